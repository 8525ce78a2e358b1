"""Learnable thresholds and leaks: gradients, the integer mapping, checkpoints and clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import IF, LI, LIF, SNNClassifier, lif_mlp_spec
from snn2fpga.nn.archs import lif_cnn_spec
from snn2fpga.nn.learnable import LearnableBeta, LearnableThreshold, quantize_beta
from snn2fpga.nn.synapse import IntCurrent
from snn2fpga.semantics.neuron import LeakMode, NeuronParams, ResetMode, run_neurons


def _loss_grads(model: SNNClassifier, x: np.ndarray, y: np.ndarray) -> dict[str, torch.Tensor]:
    model.train()
    out = model(x, seed=3)
    torch.nn.functional.cross_entropy(model.scores(out), torch.from_numpy(y)).backward()
    return {n: p.grad for n, p in model.named_parameters()}


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_gradient_reaches_thresholds_and_beta(arch, digits):
    torch.manual_seed(0)
    if arch == "mlp":
        spec = lif_mlp_spec(64, [24], digits.classes, digits.input_shape, learn_threshold=True, learn_leak=True)
    else:
        spec = lif_cnn_spec(digits.input_shape, digits.classes, channels=(4,), kernel=3, learn_threshold=True,
                            learn_leak=True)
    model = SNNClassifier(spec)
    grads = _loss_grads(model, digits.x_train[:32], digits.y_train[:32])
    g_thr, g_beta = grads["layers.1.learned_threshold.raw"], grads["layers.1.learned_beta.raw"]
    assert g_thr is not None and g_thr.shape == (24 if arch == "mlp" else 4,)
    assert bool(torch.isfinite(g_thr).all()) and int((g_thr != 0).sum()) > 0
    assert g_beta is not None and g_beta.shape == () and float(g_beta) != 0.0


def test_parametrizations_initial_values_and_positivity():
    thr = LearnableThreshold(5, 0.3)
    assert np.allclose(thr.values(), 0.3, rtol=1e-6) and thr.channels == 5
    with torch.no_grad():
        thr.raw.fill_(-60.0)  # any raw value is still a positive threshold
    assert bool((thr() > 0).all()) and bool((thr.values() > 0).all())
    beta = LearnableBeta(0.9, 8)
    assert beta.beta_q() == quantize_beta(0.9, 8) == 230
    assert float(beta()) == 230 / 256  # the forward pass uses exactly the fixed-point beta
    with torch.no_grad():
        beta.raw.fill_(40.0)  # sigmoid -> 1: beta_q stays below 2^F
    assert beta.beta_q() == 255


def test_shift_leak_becomes_the_equal_multiplicative_leak():
    """learn_leak on a shift-leak layer starts from beta = 1 - 2^-k, exactly representable (F >= k)."""
    for k, frac in ((3, 8), (5, 8), (11, 11)):
        lif = LIF(leak_shift=k, learn_leak=True)
        p = lif.params
        assert p.leak is LeakMode.MULT and p.beta_frac_bits == frac
        assert p.beta_q == (1 << frac) - (1 << (frac - k)) and p.beta == 1.0 - 2.0**-k


def test_integer_path_uses_the_learned_values_exactly():
    """The layer's integer path equals the reference with theta[c] = round(thr[c] / scale) and the learned
    beta_q (checked with ==, after the parameters moved away from their initial values)."""
    lif = LIF(leak_shift=3, threshold=0.5, state_bits=12, learn_threshold=True, channels=6, learn_leak=True)
    with torch.no_grad():
        lif.learned_threshold.raw.copy_(torch.linspace(-1.0, 1.5, 6))
        lif.learned_beta.raw.fill_(1.3)
    scale = torch.tensor([0.01])
    theta = np.floor(lif.learned_threshold.values() / 0.01 + 0.5).astype(np.int64)
    assert lif.integer_thresholds(scale).tolist() == theta.tolist()
    beta_q = quantize_beta(float(torch.sigmoid(torch.tensor(1.3, dtype=torch.float64))), 8)
    assert lif.params.beta_q == beta_q and beta_q != 224
    cur = torch.from_numpy(np.random.default_rng(0).integers(-40, 90, size=(20, 3, 6)))
    spikes = lif.eval()(IntCurrent(cur, scale)).to(torch.uint8).numpy()
    ref = run_neurons(cur.numpy(), theta, NeuronParams(LeakMode.MULT, 12, ResetMode.SUBTRACT, 0, beta_q, 8))
    assert np.array_equal(spikes, ref.spikes) and np.array_equal(lif.last_trace.v_final, ref.v_final)


def test_checkpoint_round_trip_and_old_specs(tmp_path, digits):
    torch.manual_seed(0)
    spec = lif_mlp_spec(64, [8], digits.classes, digits.input_shape, learn_threshold=True, learn_leak=True)
    model = SNNClassifier(spec)
    with torch.no_grad():
        model.layers[1].learned_threshold.raw.add_(torch.linspace(-0.5, 0.5, 8))
        model.layers[1].learned_beta.raw.add_(0.7)
    save_checkpoint(model, tmp_path / "m.pt")
    back, _ = load_checkpoint(tmp_path / "m.pt")
    assert torch.equal(back.layers[1].learned_threshold.raw, model.layers[1].learned_threshold.raw)
    assert back.layers[1].params == model.layers[1].params
    assert np.array_equal(back.predict(digits.x_test[:30]), model.eval().predict(digits.x_test[:30]))
    # a spec without the options builds the layers as before: no new parameters, the shift leak kept
    plain = SNNClassifier(lif_mlp_spec(64, [8], digits.classes, digits.input_shape))
    assert set(plain.state_dict()) == {"layers.0.weight", "layers.2.weight"}
    assert plain.layers[1].params.leak is LeakMode.SHIFT and "learn_threshold" not in plain.spec.layers[1]


def test_layer_spec_round_trip():
    from snn2fpga.nn.model import layer_from_spec, layer_to_spec

    lif = LIF(leak_shift=5, threshold=0.7, learn_threshold=True, channels=3, learn_leak=True)
    spec = layer_to_spec(lif)
    assert spec["learn_threshold"] and spec["channels"] == 3 and spec["learn_leak"] and spec["beta"] == 1 - 2**-5
    back = layer_from_spec(spec)
    back.load_state_dict(lif.state_dict())
    assert back.params == lif.params and np.array_equal(back.float_thresholds(), lif.float_thresholds())


def test_channels_are_inferred_for_a_hand_written_spec(digits):
    spec = lif_mlp_spec(64, [12], digits.classes, digits.input_shape)
    spec.layers[1] = {**spec.layers[1], "learn_threshold": True}
    model = SNNClassifier(spec)
    assert model.layers[1].learned_threshold.channels == 12 and model.spec.layers[1]["channels"] == 12


def test_ptq_keeps_the_learned_parameters(digits):
    from snn2fpga.train import quantize_post_training

    spec = lif_mlp_spec(64, [8], digits.classes, digits.input_shape, weight_bits=None, learn_threshold=True,
                        learn_leak=True)
    model = SNNClassifier(spec)
    with torch.no_grad():
        model.layers[1].learned_threshold.raw.add_(0.25)
        model.layers[1].learned_beta.raw.add_(-0.4)
    q = quantize_post_training(model, 4)
    assert torch.equal(q.layers[1].learned_threshold.raw, model.layers[1].learned_threshold.raw)
    assert q.layers[1].params == model.layers[1].params


@pytest.mark.parametrize(("make", "match"), [
    (lambda: IF(learn_leak=True), r"IF has no leak to learn"),
    (lambda: LI(learn_threshold=True), r"LI does not spike, so it has no threshold to learn"),
    (lambda: LI(learn_leak=True), r"LI has no leak to learn"),
    (lambda: LIF(leak_shift=3, learn_threshold=True), r"needs the layer's channel count"),
])
def test_bad_combinations_are_refused(make, match):
    with pytest.raises(SNN2FPGAError, match=match):
        make()


def test_learned_thresholds_must_match_the_input_channels():
    lif = LIF(leak_shift=3, learn_threshold=True, channels=4)
    with pytest.raises(SNN2FPGAError, match="learns 4 thresholds but its input has 5 channels"):
        lif(torch.zeros(2, 1, 5))


def test_cli_refuses_learning_options_for_dcll(tmp_path, capsys):
    from snn2fpga.cli import main

    for flag in ("--learn-threshold", "--learn-leak"):
        rc = main(["train", "--dataset", "radioml-synth", "--arch", "dcll-radioml", flag, "--synth-frames", "1",
                   "-o", str(tmp_path / "m.pt")])
        assert rc == 2
        assert f"{flag} is not supported for --arch dcll-radioml" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()


def test_nir_export_writes_the_learned_thresholds_and_beta(digits):
    pytest.importorskip("nir")
    from snn2fpga.nir.exporter import to_nir

    model = SNNClassifier(lif_mlp_spec(64, [6], digits.classes, digits.input_shape, learn_threshold=True,
                                       learn_leak=True))
    with torch.no_grad():
        model.layers[1].learned_threshold.raw.copy_(torch.linspace(-1.0, 1.0, 6))
        model.layers[1].learned_beta.raw.fill_(0.5)
    node = to_nir(model).nodes["lif1"]
    assert np.array_equal(node.v_threshold, model.layers[1].float_thresholds())
    beta_q = model.layers[1].params.beta_q  # the snntorch preset (Euler): beta = 1 - dt / tau
    assert beta_q == quantize_beta(1 / (1 + np.exp(-0.5)), 8)
    assert np.allclose(1 - 1e-4 / node.tau, beta_q / 256)
