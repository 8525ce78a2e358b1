"""Verification with QONNX in a worker thread (two or more cores) reports exactly what the sequential
run reports, mismatches included: chunks are compared in order against their own PyTorch traces."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga.export.verify as verify
from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.export import collect_layers
from snn2fpga.export.api import _input_shape


def _report(model: ModelWrapper, module, x: np.ndarray, cores: int, monkeypatch) -> dict:
    monkeypatch.setattr(verify, "_cores", lambda: cores)
    layers = collect_layers(module, _input_shape(module, x[:1]))
    return verify.verify_graph(model, module, layers, x, batch_size=7).to_dict()


@pytest.mark.parametrize("tamper", [False, True])
def test_overlapped_verification_equals_sequential(tmp_path, monkeypatch, tamper):
    from sklearn.datasets import load_digits

    import snn2fpga

    module, _ = load_checkpoint("examples/digits-lif-mlp.pt")
    x = load_digits().data[:40] / 16.0
    res = snn2fpga.export(module, x[:1], tmp_path / "m.onnx", verify_inputs=x[:1])
    assert res.report.mismatches == 0
    model = ModelWrapper(str(tmp_path / "m.onnx"))
    if tamper:  # a graph that disagrees from sample to sample: a higher threshold in the hidden layer
        node = next(n for n in model.graph.node if n.op_type == "LIF")
        attr = next(a for a in node.attribute if a.name == "threshold")
        raised = [int(t) + 1 for t in attr.ints]
        node.attribute.remove(attr)
        node.attribute.append(helper.make_attribute("threshold", raised))
    overlapped = _report(model, module, x, 2, monkeypatch)
    sequential = _report(model, module, x, 1, monkeypatch)
    assert overlapped == sequential
    assert overlapped["samples"] == 40
    if tamper:
        assert overlapped["mismatches"] > 0 and overlapped["first_mismatch"] is not None
    else:
        assert overlapped["mismatches"] == 0
