"""Shared CustomOp behaviour of ops whose output shape is stored in the graph by the pass that made them."""

from __future__ import annotations

from typing import Any

from onnx import NodeProto
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp


class StoredShapeOp(CustomOp):
    """Shape inference keeps the output shape the graph already holds (set when the node was made)."""

    def make_shape_compatible_op(self, model: Any) -> NodeProto:
        return self.make_const_shape_op(model.get_tensor_shape(self.onnx_node.output[0]))


class SpikeOutputOp(StoredShapeOp):
    """A :class:`StoredShapeOp` whose output is binary spikes."""

    def infer_node_datatype(self, model: Any) -> None:
        model.set_tensor_datatype(self.onnx_node.output[0], DataType["BINARY"])
