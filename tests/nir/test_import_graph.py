"""import_nir on hand-made graphs: the graphs users have (batch dims, missing types), refusals per node."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snn2fpga.cli import main
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir import ImportOptions, NIRRefusal, import_nir
from snn2fpga.nir.layers import read_layers
from snn2fpga.nir.semantics import PRESETS
from tests.nir.graphs import chain, lif, mlp, nir, weights

CAL = np.random.default_rng(0).random((40, 6)).astype(np.float32)


@pytest.fixture
def cal_file(tmp_path):
    path = tmp_path / "cal.npy"
    np.save(path, CAL)
    return path


def _opts(cal_file, **kw):
    return ImportOptions(dataset=None, calibration=cal_file, **kw)


def _int_params(model):
    out = []
    for layer in model.layers:
        if hasattr(layer, "integer_weight"):
            w, s = layer.integer_weight()
            out.append((w.tolist(), s.tolist()))
        else:
            out.append((layer.params, layer.threshold))
    return out


def _simulate_nir_euler(w1, w2, spikes, dt, tau, thr):
    """NIR's LIF ODE stepped with explicit Euler in float64, reset to zero (NIR's literal semantics)."""
    out = []
    v1, v2 = np.zeros((spikes.shape[1], w1.shape[0])), np.zeros((spikes.shape[1], w2.shape[0]))
    r = tau / dt
    for t in range(spikes.shape[0]):
        v1 = v1 + dt / tau * (-v1 + r * spikes[t] @ w1.T)
        s1 = (v1 >= thr).astype(np.float64)
        v1 = v1 * (1 - s1)
        v2 = v2 + dt / tau * (-v2 + r * s1 @ w2.T)
        s2 = (v2 >= thr).astype(np.float64)
        v2 = v2 * (1 - s2)
        out.append(s2)
    return np.stack(out)


def test_float_import_spikes_equal_a_direct_euler_simulation_of_the_nir_graph(cal_file):
    g = mlp(tau=8e-4)
    res = import_nir(g, None, _opts(cal_file, reset="zero"))
    with torch.no_grad():
        ours = res.float_model(CAL).numpy()
    spikes = res.float_model.encode(CAL).numpy().astype(np.float64)
    ref = _simulate_nir_euler(g.nodes["n0"].weight, g.nodes["n2"].weight, spikes, 1e-4, 8e-4, 1.0)
    assert ref.sum() > 0 and (ref == 0).any()  # not a vacuous comparison
    assert np.array_equal(ours, ref)


@pytest.mark.parametrize("shape", [[6], [1, 6], [2, 3], [1, 2, 3], None])
def test_input_with_or_without_batch_dim_and_untyped_gives_the_same_model(cal_file, shape):
    ref = import_nir(mlp(), None, _opts(cal_file))
    g = mlp()
    g.nodes["input"] = nir.Input(input_type=np.array(shape)) if shape else nir.Input(input_type=np.array([6]))
    if shape is None:
        g.nodes["input"].input_type = {"input": None}
    for name in ("n1", "n3"):  # snnTorch leaves neuron nodes untyped, with scalar parameters
        node = g.nodes[name]
        node.input_type = {"input": np.array([])}
        node.output_type = {"output": np.array([])}
    res = import_nir(g, None, _opts(cal_file))
    assert _int_params(res.model) == _int_params(ref.model)


def test_scalar_parameters_broadcast_to_the_layer(cal_file):
    g = mlp()
    g.nodes["n1"] = nir.LIF(tau=np.array(8e-4), r=np.array(8.0), v_leak=np.array(0.0), v_threshold=np.array(1.0))
    assert _int_params(import_nir(g, None, _opts(cal_file)).model) == _int_params(
        import_nir(mlp(), None, _opts(cal_file)).model)


def test_scale_and_affine_with_zero_bias_and_threshold_and_li_readout(cal_file):
    g = chain(nir.Affine(weight=weights(4, 6), bias=np.zeros(4)), nir.Scale(scale=np.full(4, 2.0)),
              nir.Threshold(threshold=np.full(4, 0.5)), nir.Linear(weight=weights(3, 4, 1)),
              nir.LI(tau=np.full(3, 8e-4), r=np.full(3, 8.0), v_leak=np.zeros(3)))
    layers = read_layers(g, PRESETS["snntorch"])
    assert [s["type"] for s in layers.specs] == ["linear", "lif", "linear", "li"]
    assert np.allclose(layers.weights[0], 2.0 * weights(4, 6))
    assert layers.specs[1] == {"type": "lif", "beta": 0.0, "beta_frac_bits": 8, "threshold": 0.5, "reset": "zero"}
    assert layers.specs[3] == {"type": "li", "leak_shift": 3}
    res = import_nir(g, None, _opts(cal_file))
    assert res.model.readout.value == "membrane"


def _refused(graph, cal_file, node, kind, words):
    with pytest.raises(NIRRefusal) as err:
        import_nir(graph, None, _opts(cal_file))
    assert (err.value.node, err.value.kind) == (node, kind), str(err.value)
    assert words in str(err.value)


@pytest.mark.parametrize("bad,kind,words", [
    (lambda: nir.Delay(delay=np.ones(4)), "Delay", "no synaptic delays"),
    (lambda: nir.CubaLIF(tau_syn=np.full(4, 1e-3), tau_mem=np.full(4, 1e-3), r=np.ones(4), v_leak=np.zeros(4),
                         v_threshold=np.ones(4)), "CubaLIF", "synaptic current"),
    (lambda: nir.CubaLI(tau_syn=np.full(4, 1e-3), tau_mem=np.full(4, 1e-3), r=np.ones(4), v_leak=np.zeros(4)),
     "CubaLI", "synaptic current"),
    (lambda: nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
     "SumPool2d", "not binary"),
    (lambda: nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
     "AvgPool2d", "not binary"),
])
def test_unmappable_primitives_are_refused_by_name_and_type(cal_file, bad, kind, words):
    g = chain(nir.Linear(weight=weights(4, 6)), bad(), lif(4), nir.Linear(weight=weights(3, 4)), lif(3))
    _refused(g, cal_file, "n1", kind, words)


def test_conv1d_is_refused_by_name(cal_file):
    conv = nir.Conv1d(input_shape=None, weight=np.ones((2, 1, 3)), stride=1, padding=0, dilation=1, groups=1,
                      bias=np.zeros(2))
    _refused(chain(conv, lif(2)), cal_file, "n0", "Conv1d", "2-D")


def test_structural_refusals(cal_file):
    _refused(chain(nir.Affine(weight=weights(3, 6), bias=np.full(3, 0.1)), lif(3)), cal_file, "n0", "Affine",
             "bias is non-zero")
    _refused(chain(nir.Linear(weight=weights(4, 6)), nir.Linear(weight=weights(3, 4)), lif(3)), cal_file, "n1",
             "Linear", "without a neuron in between")
    _refused(chain(lif(6), nir.Linear(weight=weights(3, 6)), lif(3)), cal_file, "n0", "LIF",
             "not preceded by a weight layer")
    _refused(chain(nir.Linear(weight=weights(4, 6)), lif(4), nir.Scale(scale=np.ones(4)),
                   nir.Linear(weight=weights(3, 4)), lif(3)), cal_file, "n2", "Scale", "non-binary")
    _refused(chain(nir.Linear(weight=weights(4, 6)), nir.LI(tau=np.full(4, 1e-3), r=np.ones(4), v_leak=np.zeros(4)),
                   nir.Linear(weight=weights(3, 4)), lif(3)), cal_file, "n1", "LI", "only be the last")
    _refused(chain(nir.Linear(weight=weights(3, 6))), cal_file, "n0", "Linear", "ends in a weight layer")
    _refused(chain(nir.Linear(weight=weights(3, 5)), lif(3)), cal_file, "n0", "Linear", "takes 5 inputs")


def test_branches_cycles_and_subgraphs_are_refused(cal_file):
    g = mlp()
    g.edges.append(("n1", "n3"))
    _refused(g, cal_file, "n1", "LIF", "a branch")
    g = mlp()
    g.edges.append(("n3", "n0"))
    _refused(g, cal_file, "n3", "LIF", "a branch")
    g = mlp()
    g.nodes["rec"] = nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([4])),
                                         "o": nir.Output(output_type=np.array([4]))}, edges=[("i", "o")])
    _refused(g, cal_file, "rec", "NIRGraph", "recurrent")


def test_files_and_data_errors(tmp_path, cal_file):
    with pytest.raises(SNN2FPGAError, match="NIR file not found"):
        import_nir(tmp_path / "none.nir", None, _opts(cal_file))
    junk = tmp_path / "junk.nir"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(SNN2FPGAError, match="not a readable NIR graph"):
        import_nir(junk, None, _opts(cal_file))
    with pytest.raises(SNN2FPGAError, match="takes 6 inputs, the calibration data has 64"):
        import_nir(mlp(), None, ImportOptions(dataset="digits"))
    bad = tmp_path / "bad.npy"
    np.save(bad, CAL * 3)
    with pytest.raises(SNN2FPGAError, match=r"in \[0, 1\]"):
        import_nir(mlp(), None, _opts(bad))
    with pytest.raises(SNN2FPGAError, match="3 outputs but the data has 2 classes"):
        import_nir(mlp(), None, _opts(cal_file, classes=["a", "b"]))


def test_cli_import_nir_auto_state_bits_and_errors(tmp_path, cal_file, capsys):
    path = tmp_path / "m.nir"
    nir.write(path, mlp())
    assert main(["import-nir", str(path), "--calibration", str(cal_file), "--state-bits", "0", "--json"]) == 0
    assert (tmp_path / "m.pt").is_file()
    out = capsys.readouterr().out
    assert "n1 (LIF) -> lif: beta 0.875 -> shift leak k=3" in out
    assert main(["import-nir", str(path), "--calibration", str(cal_file), "--weight-bits", "1"]) == 2
    assert main(["import-nir", str(path), "--calibration", str(cal_file), "--preset", "lava"]) == 2
    err = capsys.readouterr().err
    assert "--weight-bits 1 is out of range" in err and "unknown NIR preset 'lava'" in err
    g = mlp()
    g.nodes["n1"] = lif(4, v_leak=np.full(4, 0.2))
    nir.write(tmp_path / "leak.nir", g)
    assert main(["import-nir", str(tmp_path / "leak.nir"), "--calibration", str(cal_file)]) == 2
    assert "NIR node 'n1' (LIF) cannot be mapped exactly: v_leak is non-zero" in capsys.readouterr().err


def test_top_level_import_nir_is_the_importer():
    import snn2fpga

    assert snn2fpga.import_nir is import_nir


def test_calibration_file_with_and_without_a_dataset(digits, tmp_path, capsys):
    g = chain(nir.Linear(weight=weights(16, 64)), lif(16), nir.Linear(weight=weights(10, 16, 1)), lif(10),
              input_shape=[64])
    cal = tmp_path / "digits_cal.npy"
    np.save(cal, digits.x_train[:50])
    both = import_nir(g, tmp_path / "both.pt", ImportOptions(dataset="digits", calibration=cal))
    assert both.model.spec.classes == digits.classes and "test_accuracy" in both.metrics
    assert both.model.spec.extra["dataset"] == "digits"
    nir.write(tmp_path / "g.nir", g)
    assert main(["import-nir", str(tmp_path / "g.nir"), "--calibration", str(cal), "--json"]) == 0
    from snn2fpga.checkpoint import load_checkpoint

    model, meta = load_checkpoint(tmp_path / "g.pt")
    assert meta["training"]["dataset"] is None and model.spec.classes == [str(i) for i in range(10)]
    assert "test_accuracy" not in capsys.readouterr().out.strip().splitlines()[-1]
    # the calibration data decided the state calibration: same file -> same integer model as `both`
    assert _int_params(model) == _int_params(both.model)
