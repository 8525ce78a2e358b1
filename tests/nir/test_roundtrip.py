"""ours -> NIR -> ours gives the same integer model; `export --nir` from the CLI."""

from __future__ import annotations

import pytest
import torch

from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.cli import main
from snn2fpga.nir import ImportOptions, import_nir
from snn2fpga.nir.exporter import to_nir
from snn2fpga.nn import SNNClassifier
from snn2fpga.train import quantize_post_training
from tests.nir.graphs import nir


def _integer_model(model):
    out = []
    for layer in model.layers:
        if hasattr(layer, "integer_weight"):
            w, s = layer.integer_weight()
            out.append(("w", w.tolist(), s.tolist()))
        elif hasattr(layer, "params"):
            out.append(("n", layer.params, layer.threshold))
        else:
            out.append((type(layer).__name__,))
    return out


def _variant(model: SNNClassifier, **neuron) -> SNNClassifier:
    spec = model.spec
    layers = [dict(s) for s in spec.layers]
    for s in layers:
        if s["type"] == "lif":
            for k in ("leak_shift", "beta", "beta_frac_bits"):
                s.pop(k, None)
            s.update(neuron)
    new = SNNClassifier(type(spec)(layers, spec.encoder, spec.classes, spec.input_shape, spec.arch, dict(spec.extra)))
    new.load_state_dict(model.state_dict())
    return new.eval()


@pytest.mark.parametrize("neuron,preset", [
    ({"leak_shift": 3, "reset": "subtract"}, "snntorch"),
    ({"beta": 0.9, "beta_frac_bits": 12, "reset": "zero"}, "norse"),
    ({"beta": 0.7, "beta_frac_bits": 8, "reset": "subtract"}, "sinabs"),
])
@pytest.mark.parametrize("per_channel", [False, True])
def test_ours_to_nir_to_ours_is_the_same_integer_model(small_trained, digits, tmp_path, neuron, preset,
                                                       per_channel):
    model = quantize_post_training(_variant(small_trained, **neuron), 6, 100.0, per_channel)
    path = tmp_path / "m.nir"
    nir.write(path, to_nir(model, preset))
    back = import_nir(path, None, ImportOptions(dataset="digits", weight_bits=6, per_channel=per_channel,
                                                clip_percentile=100.0, preset=preset))
    assert _integer_model(back.model) == _integer_model(model)
    x = digits.x_test[:40]
    assert (back.model.predict(x) == model.predict(x)).all()


def test_cli_export_nir_then_export_the_nir(small_trained, tmp_path, capsys):
    ckpt = save_checkpoint(small_trained, tmp_path / "m.pt", training={"dataset": "digits"})
    assert main(["export", str(ckpt), "--nir", "-o", str(tmp_path / "out.nir")]) == 0
    graph = nir.read(tmp_path / "out.nir")  # typed: passes nir's own type check
    assert sorted(type(n).__name__ for n in graph.nodes.values()) == ["I", "Input", "LIF", "Linear", "Linear", "Output"]
    assert type(graph.nodes["li3"]).__name__ == "I"  # our non-leaky readout is NIR's integrator
    assert main(["export", str(tmp_path / "out.nir"), "--weight-bits", "4", "--clip-percentile", "100",
                 "--verify", "20", "--json"]) == 0
    assert '"mismatches": 0' in capsys.readouterr().out
    back, _ = load_checkpoint(tmp_path / "out.pt")
    assert _integer_model(back) == _integer_model(small_trained)


def test_conv_model_round_trip_and_max_pool_refusal(digits, tmp_path, capsys):
    from snn2fpga.nn.archs import lif_cnn_spec

    torch.manual_seed(0)
    nopool = SNNClassifier(lif_cnn_spec([8, 8], digits.classes, channels=(3,), kernel=3, pool=1, weight_bits=5)).eval()
    path = tmp_path / "c.nir"
    nir.write(path, to_nir(nopool))
    assert [type(n).__name__ for n in nir.read(path).nodes.values()].count("Conv2d") == 1
    back = import_nir(path, None, ImportOptions(dataset="digits", weight_bits=5, clip_percentile=100.0))
    assert [s["type"] for s in back.model.spec.layers] == [s["type"] for s in nopool.spec.layers]
    assert _integer_model(back.model) == _integer_model(nopool)
    pooled = SNNClassifier(lif_cnn_spec([8, 8], ["a", "b"], channels=(2,), kernel=3))
    ckpt = save_checkpoint(pooled, tmp_path / "p.pt")
    assert main(["export", str(ckpt), "--nir"]) == 2
    assert "layer 2 (SpikeMaxPool): NIR has no max (OR) pooling" in capsys.readouterr().err
