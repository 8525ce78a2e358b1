"""QONNX execution of exported graphs, without qonnx's per-element quantization sanitizing (torch-free).

qonnx's ``execute_onnx`` runs ``sanitize_quant_values`` on every node's inputs and outputs unless the
process-wide environment variable ``SANITIZE_QUANT_TENSORS`` is ``0``. That check walks every tensor
element with Python's built-in ``max`` (most of a conv graph's execution time) and buys nothing here:
our ``Quant`` nodes hold integers with scale 1 and zero point 0, and the custom ops emit integers
already (tests/export/test_execute.py shows identical contexts on the shipped examples). Flipping the
environment variable would change qonnx's behaviour for everything else in the user's process while
we run, so :func:`execute_graph` walks the nodes itself with qonnx's own ``execute_node`` instead:
the sanitizing is skipped for our calls only, and qonnx's global state is never touched.

Standard ONNX nodes run through :mod:`snn2fpga.export.node_exec`: onnxruntime as in qonnx, with each
one-node session built once, and a spikes-by-integer-weights MatMul in onnxruntime's int8 kernel where
that is provably the same float32 result.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_node
from qonnx.custom_op.registry import is_custom_op
from qonnx.util.basic import get_preferred_qonnx_opset

import snn2fpga.ops  # noqa: F401  (registers the custom ops)
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.graph import GRAPH_INPUT, input_batch, set_batch
from snn2fpga.export.node_exec import execute_standard_node, value_infos


def execute_graph(model: ModelWrapper, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Execute every node of ``model`` in order (ONNX graphs are topologically sorted) on ``inputs``.

    Same node semantics as ``qonnx.core.onnx_exec.execute_onnx(model, inputs, True)`` with the
    quantization sanitizing off; returns the full execution context (inputs, weights, every
    intermediate and output tensor by name).
    """
    context = model.make_empty_exec_context()
    for name, value in inputs.items():
        if name not in context:
            raise SNN2FPGAError(f"the graph has no input named {name!r}; its inputs: "
                                f"{', '.join(i.name for i in model.graph.input)}")
        if context[name].shape != value.shape:
            raise SNN2FPGAError(f"input {name!r} has shape {value.shape}, the graph expects {context[name].shape}")
        context[name] = value
    opsets = model.get_opset_imports()
    infos = value_infos(model.graph)
    for node in model.graph.node:
        version = opsets.get(node.domain, get_preferred_qonnx_opset())
        if is_custom_op(node.domain, node.op_type):
            execute_node(node, context, model.graph, version)
        else:
            execute_standard_node(node, context, model.graph, version, infos)
    return context


def run_graph(model: ModelWrapper, graph_input: np.ndarray) -> dict[str, np.ndarray]:
    """Execute an exported graph (batch taken from the input) with qonnx; full context returned."""
    batched = set_batch(model, input_batch(model, graph_input))
    return execute_graph(batched, {GRAPH_INPUT: graph_input.astype(np.float32)})
