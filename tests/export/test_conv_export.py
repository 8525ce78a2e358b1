"""Export and lowering of convolutional and DCLL networks: exact verification and clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import LI, LIF, QuantLinear
from snn2fpga.nn.conv import QuantConv2d, SpikeFlatten, SpikeMaxPool
from snn2fpga.nn.dcll import DCLL
from snn2fpga.transforms.lower import lower_to_hw


class Seq(torch.nn.Module):
    def __init__(self, *mods):
        super().__init__()
        self.seq = torch.nn.Sequential(*mods)

    def forward(self, x):
        return self.seq(x)


def _maps(seed: int, shape=(6, 5, 2, 8, 8), p=0.4) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float32)


def test_conv_pool_flatten_dense_export_is_exact(tmp_path):
    torch.manual_seed(0)
    net = Seq(QuantConv2d(2, 4, 3, stride=1, padding=1, weight_bits=4), LIF(leak_shift=2, threshold=0.3),
              SpikeMaxPool(2), QuantConv2d(4, 4, 3, stride=2, padding=1, weight_bits=4, per_channel=True),
              LIF(beta=0.8, threshold=0.3, reset="zero"), SpikeFlatten(),
              QuantLinear(4 * 2 * 2, 3, weight_bits=4), LI())
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (QuantConv2d, QuantLinear)):
                m.weight.mul_(3.0)
    res = snn2fpga.export(net, _maps(0), tmp_path / "c.onnx")
    assert res.report.samples == 5 and res.report.mismatches == 0
    assert net.seq[1].last_trace.spikes.sum() > 0  # the comparison is not vacuous


def test_dcll_dense_and_conv_export_is_exact(tmp_path):
    torch.manual_seed(1)
    conv = DCLL(QuantConv2d(2, 3, 3, padding=1, weight_bits=6), 3 * 8 * 8, num_classes=3, kq=1, kp=2, kr=1,
                threshold=0.05, rho=0.1, state_bits=24, frac_bits=6)
    dense = DCLL(QuantLinear(3 * 8 * 8, 5, weight_bits=6), 5, num_classes=3, threshold=0.05, state_bits=24)
    net = Seq(conv, SpikeFlatten(), dense, QuantLinear(5, 3, weight_bits=6), LI(state_bits=24))
    res = snn2fpga.export(net, _maps(1), tmp_path / "d.onnx")
    assert res.report.mismatches == 0
    assert conv.last_trace.spikes.sum() > 0 and dense.last_trace.spikes.sum() > 0
    model = ModelWrapper(str(tmp_path / "d.onnx"))
    assert [n.op_type for n in model.graph.node if n.domain == "snn2fpga.ops"] == ["DCLL", "DCLL", "LeakyIntegrator"]


@pytest.mark.parametrize(
    "kwargs,match",
    [(dict(kernel_size=3, padding=3), "padding 0..kernel-1"), (dict(kernel_size=0), "kernel 1..15"),
     (dict(kernel_size=3, stride=0), "stride >= 1"), (dict(kernel_size=3, weight_bits=1), "weight_bits=1")],
)
def test_unsupported_conv_parameters_are_named(kwargs, match):
    with pytest.raises(SNN2FPGAError, match=match):
        QuantConv2d(2, 4, **kwargs)


@pytest.mark.parametrize(
    "mods,match",
    [
        ((QuantConv2d(2, 3, 3, padding=1), LI()), "readout must be a dense layer"),
        ((QuantConv2d(2, 3, 3, padding=1), LIF(leak_shift=1), QuantLinear(3, 2), LI()), "add a SpikeFlatten"),
        ((QuantConv2d(2, 3, 3), LIF(leak_shift=1), SpikeFlatten(), SpikeMaxPool(2)), "pools spike maps but gets"),
        ((QuantConv2d(3, 3, 3), LIF(leak_shift=1)), "takes spike maps with 3 channels"),
        ((QuantConv2d(2, 3, 9), LIF(leak_shift=1)), "does not fit"),
    ],
)
def test_bad_conv_structures(tmp_path, mods, match):
    with pytest.raises(SNN2FPGAError, match=match):
        snn2fpga.export(Seq(*mods), _maps(2), tmp_path / "x.onnx")


def test_dcll_needs_a_synapse():
    with pytest.raises(SNN2FPGAError, match="DCLL wraps a QuantConv2d or QuantLinear"):
        DCLL(torch.nn.Linear(3, 3), 3)  # type: ignore[arg-type]


def _exported_conv(tmp_path) -> ModelWrapper:
    from snn2fpga.nn import SNNClassifier
    from snn2fpga.nn.archs import lif_cnn_spec

    torch.manual_seed(0)
    net = SNNClassifier(lif_cnn_spec([8, 8], ["a", "b", "c"], channels=(4,), kernel=3))
    x = np.random.default_rng(0).random((4, 8, 8)).astype(np.float32)
    snn2fpga.export(net, x[:1], tmp_path / "c.onnx", verify_inputs=x, allow_saturation=True)
    return ModelWrapper(str(tmp_path / "c.onnx"))


def test_host_encoded_maps_are_refused_by_lowering(tmp_path):
    net = Seq(QuantConv2d(2, 4, 3, padding=1), LIF(leak_shift=2, threshold=0.3), SpikeFlatten(),
              QuantLinear(4 * 8 * 8, 3), LI())
    snn2fpga.export(net, _maps(3), tmp_path / "m.onnx")
    with pytest.raises(SNN2FPGAError, match="host-encoded spike maps"):
        lower_to_hw(ModelWrapper(str(tmp_path / "m.onnx")))


def test_lowering_refuses_dilation_and_names_the_node(tmp_path):
    model = _exported_conv(tmp_path)
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    conv.attribute.append(helper.make_attribute("dilations", [2, 2]))
    with pytest.raises(SNN2FPGAError, match=r"Conv 'layer0_conv'.*dilations \[2, 2\].*dilation 1"):
        lower_to_hw(model)


def test_lowering_refuses_overlapping_pooling(tmp_path):
    model = _exported_conv(tmp_path)
    pool = next(n for n in model.graph.node if n.op_type == "MaxPool")
    for a in pool.attribute:
        if a.name == "strides":
            a.ints[:] = [1, 1]
    with pytest.raises(SNN2FPGAError, match=rf"MaxPool '{pool.name}'.*stride = kernel"):
        lower_to_hw(model)
