"""onnxruntime execution of the standard ONNX nodes of an exported graph, faster than qonnx's, same values.

qonnx's ``execute_node`` builds a one-node model and a fresh ``InferenceSession`` for every standard node on
every call (a few ms each), and runs ``MatMul`` in float32. Two changes, each with the same outputs:

- **Sessions are cached**, keyed by the serialized one-node model (node, opset, the value infos that qonnx
  gives it), so a graph executed on many batches builds each session once. The model is the one qonnx
  builds, so onnxruntime computes exactly what qonnx's call computes.
- **A MatMul of binary spikes by integer weights runs as onnxruntime's ``MatMulInteger``** (uint8 x int8
  -> int32, its int8 kernels: about 4x faster than float32 on AVX-512 VNNI and AVX2 hosts), then is cast
  to float32. It is used only when the result is provably the float32 MatMul's: the left operand holds
  only 0 and 1, the right one integers in -128..127, and the largest possible |sum|, 128 * K, is below
  2^24, so every float32 partial sum of the float path is an exact integer too, whatever its order.
  Anything else (a multi-bit input, wider weights, a huge K) takes the float32 path unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import onnxruntime as rt
from onnx import NodeProto, TensorProto, ValueInfoProto, helper
from qonnx.util.basic import qonnx_make_model

_FLOAT_EXACT = 1 << 24  # integers up to 2^24 are exact in float32
_MAX_SESSIONS = 256  # one per (node, batch shape): a sweep over many graphs must not grow without end
_sessions: dict[bytes, rt.InferenceSession] = {}
_lock = threading.Lock()


def _session(model_bytes: bytes) -> rt.InferenceSession:
    sess = _sessions.get(model_bytes)
    if sess is None:
        options = rt.SessionOptions()
        # a cached session outlives its call: its idle pool threads must sleep, not spin on the cores that
        # the rest of the process (PyTorch, the C-simulation) uses next
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        sess = rt.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
        with _lock:
            if len(_sessions) >= _MAX_SESSIONS:
                _sessions.clear()
            _sessions[model_bytes] = sess
    return sess


def value_infos(graph: Any) -> dict[str, ValueInfoProto]:
    """Every named value info of ``graph`` (inputs, outputs, then intermediates; the first one wins)."""
    infos: dict[str, ValueInfoProto] = {}
    for group in (graph.input, graph.output, graph.value_info):
        for info in group:
            infos.setdefault(info.name, info)
    return infos


def _one_node_model(node: NodeProto, infos: dict[str, ValueInfoProto], opset_version: int) -> bytes:
    """qonnx's one-node model of ``node`` (the graph's value infos of its inputs and outputs), serialized."""
    missing = [name for name in node.output if name not in infos]
    if missing:
        raise KeyError(f"output {missing[0]} of node {node.name or node.op_type} has no value info in the graph")
    node_graph = helper.make_graph(
        nodes=[node], name="single-node-exec",
        inputs=[infos[name] for name in node.input if name in infos],
        outputs=[infos[name] for name in node.output],
    )
    node_model = qonnx_make_model(node_graph)
    node_model.opset_import[0].version = opset_version
    return node_model.SerializeToString()


def execute_standard_node(
    node: NodeProto, context: dict[str, np.ndarray], graph: Any, opset_version: int,
    infos: dict[str, ValueInfoProto] | None = None,
) -> None:
    """Run one standard-domain node on ``context`` (outputs written into it), as qonnx's ``execute_node``.

    ``infos``: :func:`value_infos` of ``graph``, built once per graph walk by the caller (else here).
    """
    if node.op_type == "MatMul" and len(node.input) == 2:
        product = spike_matmul(context[node.input[0]], context[node.input[1]])
        if product is not None:
            context[node.output[0]] = product
            return
    model_bytes = _one_node_model(node, value_infos(graph) if infos is None else infos, opset_version)
    results = _session(model_bytes).run(list(node.output), {name: context[name] for name in node.input})
    context.update(zip(node.output, results, strict=True))


def _matmul_integer_session() -> rt.InferenceSession:
    """One session computing uint8 x int8 -> int32 with numpy's MatMul broadcasting (shapes left free)."""
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "spike-matmul",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, None),
         helper.make_tensor_value_info("b", TensorProto.INT8, None)],
        [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    return _session(model.SerializeToString())


def _binary_uint8(a: np.ndarray) -> np.ndarray | None:
    """``a`` as uint8 when every value is 0.0 or 1.0, else None.

    A value survives the uint8 cast unchanged only if it is an integer in 0..255 (a fraction, a negative
    or larger value, NaN or infinity never compares equal to its cast); the maximum then rules out 2..255.
    """
    if a.dtype != np.float32:
        return None
    with np.errstate(invalid="ignore"):
        as_u8 = a.astype(np.uint8)
    if as_u8.max(initial=0) > 1 or not np.array_equal(as_u8, a):
        return None
    return as_u8


def spike_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """``a @ b`` in float32 through ``MatMulInteger`` when that is provably exact (module doc), else None."""
    if b.dtype != np.float32 or b.ndim != 2 or a.ndim < 2 or a.shape[-1] != b.shape[0]:
        return None
    if 128 * b.shape[0] >= _FLOAT_EXACT:
        return None
    with np.errstate(invalid="ignore"):
        b8 = b.astype(np.int8)
    if not np.array_equal(b8, b):  # a fraction, NaN or a value outside -128..127 (wraps) differs
        return None
    a8 = _binary_uint8(a)
    if a8 is None:
        return None
    return _matmul_integer_session().run(None, {"a": a8, "b": b8})[0].astype(np.float32)
