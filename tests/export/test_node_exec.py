"""Standard nodes run through cached sessions and the integer MatMul give qonnx's float32 results, exactly."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_node
from qonnx.util.basic import qonnx_make_model

from snn2fpga.export import node_exec
from snn2fpga.export.node_exec import execute_standard_node, spike_matmul


def _matmul_graph(m: int, k: int, n: int) -> ModelWrapper:
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
    )
    return ModelWrapper(qonnx_make_model(graph))


def _both(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ours, qonnx's) output of the MatMul node on a, b."""
    model = _matmul_graph(a.shape[0], a.shape[1], b.shape[1])
    node = model.graph.node[0]
    ours: dict[str, np.ndarray] = {"a": a, "b": b}
    theirs: dict[str, np.ndarray] = {"a": a, "b": b, "y": np.zeros((a.shape[0], b.shape[1]), np.float32)}
    execute_standard_node(node, ours, model.graph, 13)
    execute_node(node, theirs, model.graph, 13)
    return ours["y"], theirs["y"]


def test_spikes_by_int8_weights_equal_the_float_matmul_at_the_extremes():
    rng = np.random.default_rng(0)
    a = (rng.random((37, 300)) < 0.3).astype(np.float32)
    a[0], a[1] = 1.0, 0.0  # a row of all spikes (largest sums) and a silent row
    b = rng.integers(-128, 128, (300, 11)).astype(np.float32)
    b[:, 0], b[:, 1] = 127.0, -128.0
    fast = spike_matmul(a, b)
    assert fast is not None and fast.dtype == np.float32
    assert fast[0, 0] == 127 * 300 and fast[0, 1] == -128 * 300
    ours, theirs = _both(a, b)
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    assert np.array_equal(fast, a.astype(np.int64) @ b.astype(np.int64))


def test_batched_spikes_broadcast_like_matmul():
    rng = np.random.default_rng(1)
    a = (rng.random((4, 6, 50)) < 0.5).astype(np.float32)
    b = rng.integers(-128, 128, (50, 9)).astype(np.float32)
    fast = spike_matmul(a, b)
    assert fast is not None and fast.shape == (4, 6, 9)
    assert np.array_equal(fast, np.matmul(a, b))


@pytest.mark.parametrize(
    ("where", "value"),
    [("a", 2.0), ("a", 0.5), ("a", -1.0), ("a", np.nan), ("b", 128.0), ("b", -129.0), ("b", 1.5), ("b", np.inf)],
)
def test_anything_but_spikes_by_int8_takes_the_float_path(where, value):
    rng = np.random.default_rng(2)
    a = (rng.random((5, 40)) < 0.5).astype(np.float32)
    b = rng.integers(-100, 100, (40, 3)).astype(np.float32)
    (a if where == "a" else b)[2, 1] = value
    assert spike_matmul(a, b) is None
    ours, theirs = _both(a, b)
    assert np.array_equal(ours, theirs, equal_nan=True)


def test_a_sum_that_float32_could_round_takes_the_float_path():
    k = (1 << 24) // 128  # 128 * K reaches 2^24: not provably exact in float32
    assert spike_matmul(np.ones((1, k), np.float32), np.ones((k, 1), np.float32)) is None
    assert spike_matmul(np.ones((1, k - 1), np.float32), np.ones((k - 1, 1), np.float32)) is not None


def test_a_session_is_built_once_per_node_model(monkeypatch):
    built: list[bytes] = []
    real = node_exec.rt.InferenceSession

    def counting(model_bytes: bytes, **kw: object) -> object:
        built.append(model_bytes)
        return real(model_bytes, **kw)

    monkeypatch.setattr(node_exec, "_sessions", {})
    monkeypatch.setattr(node_exec.rt, "InferenceSession", counting)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    node = helper.make_node("ArgMax", ["x"], ["y"], axis=-1, keepdims=0)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, [3])])
    for _ in range(3):
        ctx = {"x": x}
        execute_standard_node(node, ctx, graph, 13)
        assert np.array_equal(ctx["y"], [3, 3, 3])
    assert len(built) == 1
