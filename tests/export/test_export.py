"""Export: metadata, verification that can fail, and clear refusals."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes

import snn2fpga
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.export import collect_layers, read_meta, verify_graph
from snn2fpga.nn import LI, LIF, QuantLinear


def test_export_classifier_metadata_and_ops(tmp_path, small_trained, digits):
    res = snn2fpga.export(small_trained, digits.x_test[:1], tmp_path / "m.onnx", verify_inputs=digits.x_test[:40])
    assert res.report.samples == 40 and res.report.mismatches == 0
    model = ModelWrapper(str(tmp_path / "m.onnx"))
    meta = read_meta(model)
    assert meta["timesteps"] == 16 and meta["encoder"] == "rate" and meta["readout"] == "membrane"
    assert meta["classes"] == [str(i) for i in range(10)] and meta["input_shape"] == [8, 8]
    ops = [n.op_type for n in model.graph.node]
    assert ops == ["SpikeEncoder", "Quant", "MatMul", "LIF", "Quant", "MatMul", "LeakyIntegrator", "Identity",
                   "ArgMax"]
    lif = getCustomOp(model.graph.node[3])
    _, scale = small_trained.layers[0].integer_weight()
    assert lif.get_nodeattr("threshold") == small_trained.layers[1].integer_thresholds(scale).tolist()
    assert lif.get_nodeattr("leak") == "shift" and lif.get_nodeattr("leak_shift") == 3
    assert model.get_tensor_datatype("layer0_wq").name == "INT4"
    onnx.checker.check_model(model.model)
    # qonnx's shape inference keeps every tensor shape
    inferred = model.transform(InferShapes())
    assert inferred.get_tensor_shape("layer0_vfinal") == [1, 32]
    assert inferred.get_tensor_shape("layer0_spikes") == [16, 1, 32]


def test_verifier_detects_a_tampered_graph(tmp_path, small_trained, digits):
    snn2fpga.export(small_trained, digits.x_test[:1], tmp_path / "m.onnx")
    model = ModelWrapper(str(tmp_path / "m.onnx"))
    lif = getCustomOp(model.graph.node[3])
    lif.set_nodeattr("threshold", [t + 1 for t in lif.get_nodeattr("threshold")])
    report = verify_graph(model, small_trained, collect_layers(small_trained), digits.x_test[:40])
    assert report.mismatches > 0 and report.spike_mismatches > 0
    assert report.first_mismatch is not None


class WithRelu(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = QuantLinear(4, 3)
        self.act = torch.nn.ReLU()
        self.out = LI()


def test_unsupported_layer_is_named(tmp_path):
    with pytest.raises(SNN2FPGAError, match=r"'act' \(ReLU\) cannot be exported; supported: .*QuantLinear"):
        snn2fpga.export(WithRelu(), np.zeros((2, 1, 4)), tmp_path / "x.onnx")


class Seq(torch.nn.Module):
    def __init__(self, *mods):
        super().__init__()
        self.seq = torch.nn.Sequential(*mods)

    def forward(self, x):
        return self.seq(x)


@pytest.mark.parametrize(
    "mods,match",
    [
        ((QuantLinear(4, 3), LI(), QuantLinear(3, 2), LI()), "must be the last layer"),
        ((QuantLinear(4, 3),), "not followed by a neuron"),
        ((LIF(leak_shift=2), QuantLinear(4, 3)), "must follow a QuantLinear"),
        ((QuantLinear(4, 3, weight_bits=None), LI()), "quantization off"),
        ((QuantLinear(4, 3), LIF(leak_shift=2), QuantLinear(5, 2), LI()), "takes 5 inputs"),
    ],
)
def test_bad_structures(tmp_path, mods, match):
    with pytest.raises(SNN2FPGAError, match=match):
        snn2fpga.export(Seq(*mods), np.zeros((2, 1, 4)), tmp_path / "x.onnx")


def test_saturation_during_verification_is_reported(tmp_path):
    torch.manual_seed(0)
    net = Seq(QuantLinear(6, 4, weight_bits=8), LIF(leak_shift=4, threshold=0.5, state_bits=10), QuantLinear(4, 2),
              LI(state_bits=8))
    with torch.no_grad():
        net.seq[0].weight.abs_()  # all-positive input: the membranes climb to the state limit
        net.seq[1].threshold = float(net.seq[0].weight.abs().max()) / 127 * 500  # theta = 500 of 511
    spikes = np.ones((20, 3, 6), dtype=np.float32)
    with pytest.raises(VerificationError, match=r"state saturation.*layer0 \(seq.0 -> seq.1\): \d+ clamps") as ei:
        snn2fpga.export(net, spikes, tmp_path / "s.onnx")
    assert ei.value.summary["saturations"]["layer0"] > 0
    assert ei.value.summary["mismatches"] == 0
    res = snn2fpga.export(net, spikes, tmp_path / "s.onnx", allow_saturation=True)
    assert res.report.saturations["layer0"] > 0


def test_user_module_spike_count_readout(tmp_path):
    torch.manual_seed(3)
    net = Seq(QuantLinear(5, 6, weight_bits=3), LIF(beta=0.8, threshold=0.2), QuantLinear(6, 3, weight_bits=3),
              LIF(leak_shift=1, threshold=0.2, reset="zero"))
    spikes = (np.random.default_rng(0).random((8, 10, 5)) < 0.5).astype(np.float32)
    res = snn2fpga.export(net, spikes, tmp_path / "u.onnx")
    assert res.report.samples == 10 and res.report.mismatches == 0
    assert read_meta(ModelWrapper(str(tmp_path / "u.onnx")))["readout"] == "spike_count"
