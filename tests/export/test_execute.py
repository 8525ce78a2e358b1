"""Our QONNX execution (no per-element sanitizing) gives the same context as qonnx's sanitizing one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.execute import execute_graph, run_graph
from snn2fpga.export.graph import GRAPH_INPUT, input_batch, read_meta, set_batch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(("name", "samples"), [("digits-lif-mlp", 24), ("fmnist-lif-mlp", 6), ("fmnist-lif-cnn", 3)])
def test_same_context_as_the_sanitizing_qonnx_path(name, samples, monkeypatch):
    monkeypatch.delenv("SANITIZE_QUANT_TENSORS", raising=False)  # qonnx's default: sanitize every tensor
    model = ModelWrapper(str(EXAMPLES / f"{name}.onnx"))
    features = int(np.prod(read_meta(model)["input_shape"]))
    rng = np.random.default_rng(samples)
    # uint8 features of every intensity, with the extremes 0 and 255 present
    x = rng.integers(0, 256, (samples, features)).astype(np.float32)
    x[0, :2], x[-1, :2] = 0, 255
    ours = run_graph(model, x)
    assert "SANITIZE_QUANT_TENSORS" not in os.environ  # nothing global was changed for our call
    batched = set_batch(model, input_batch(model, x))
    theirs = execute_onnx(batched, {GRAPH_INPUT: x}, return_full_exec_context=True)
    assert ours.keys() == theirs.keys()
    spiking = [k for k in ours if k.endswith("_spikes")]
    assert spiking and all(ours[k].any() for k in spiking)  # the comparison sees real activity
    for key, value in theirs.items():
        if value is None:  # the unnamed optional input slot
            assert ours[key] is None
            continue
        mine = np.asarray(ours[key])
        assert mine.dtype == np.asarray(value).dtype and mine.shape == np.shape(value), key
        assert np.array_equal(mine, value), key


def test_bad_inputs_are_named():
    model = ModelWrapper(str(EXAMPLES / "digits-lif-mlp.onnx"))
    with pytest.raises(SNN2FPGAError, match="no input named 'nope'"):
        execute_graph(model, {"nope": np.zeros(1, dtype=np.float32)})
    with pytest.raises(SNN2FPGAError, match="has shape"):
        execute_graph(model, {GRAPH_INPUT: np.zeros((3, 5), dtype=np.float32)})
