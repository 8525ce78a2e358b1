"""A dense LIF network on the I/Q plane (bench/radioml_plane_mlp.py): the encoder hands it G*G spike inputs per
timestep, its integer path equals the numpy reference layer by layer, and the export flattens the plane
(tests/flow/test_build_maps.py takes it through C-sim, the emulated board and rtlsim)."""

from __future__ import annotations

import numpy as np
import torch

import snn2fpga
from snn2fpga.export import collect_layers
from snn2fpga.nn import EncoderConfig, SNNClassifier, lif_mlp_spec
from snn2fpga.semantics import EncoderKind, dense_currents, predict, run_neurons
from snn2fpga.semantics.iq import iq_plane_encode

T, G = 12, 4


def _model() -> SNNClassifier:
    spec = lif_mlp_spec(num_inputs=G * G, hidden=[10, 7], classes=list("abc"), input_shape=[T, 2], weight_bits=6,
                        state_bits=16, leak_shift=2, threshold=0.2,
                        encoder=EncoderConfig(EncoderKind.IQ_PLANE, T, 0, grid=G))
    torch.manual_seed(0)
    model = SNNClassifier(spec).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # enough current that the hidden layers spike
    return model


def _frames() -> np.ndarray:
    return np.random.default_rng(1).normal(size=(9, T, 2)).astype(np.float32)


def test_the_dense_first_layer_sees_the_flattened_plane():
    model, x = _model(), _frames()
    spikes = model.encode(x).numpy()
    planes = iq_plane_encode(model.quantize(x), G)  # [T, B, 1, G, G], one spike per timestep
    assert spikes.shape == (T, len(x), G * G)
    assert np.array_equal(spikes, planes.reshape(T, len(x), G * G)) and np.all(spikes.sum(axis=2) == 1)


def test_integer_path_equals_the_reference_layer_by_layer():
    model, x = _model(), _frames()
    pred = model.predict(x)  # keeps no traces: the forward below records them
    with torch.no_grad():
        model(x)
    s = iq_plane_encode(model.quantize(x), G).reshape(T, len(x), G * G)
    layers = collect_layers(model, (G * G,))
    active = 0
    for layer in layers:
        ref = run_neurons(dense_currents(s, layer.weight), layer.threshold, layer.neuron.params)
        trace = layer.neuron.last_trace
        assert np.array_equal(ref.spikes, trace.spikes) and np.array_equal(ref.v_final, trace.v_final)
        assert np.array_equal(ref.saturations, trace.saturations)
        active += int(ref.spikes.any())
        s = ref.spikes
    assert active == len(layers) - 1  # both hidden layers spiked: the comparison saw real activity
    assert np.array_equal(pred, predict(ref.v_final))


def test_export_flattens_the_plane_and_verifies(tmp_path):
    from qonnx.core.modelwrapper import ModelWrapper

    model, x = _model(), _frames()
    result = snn2fpga.export(model, x[:1], tmp_path / "m.onnx", verify_inputs=x)
    assert result.report.samples == len(x) and result.report.mismatches == 0
    ops = [n.op_type for n in ModelWrapper(str(tmp_path / "m.onnx")).graph.node]
    assert ops[:3] == ["IQPlaneEncoder", "Reshape", "Quant"] and "Conv" not in ops
