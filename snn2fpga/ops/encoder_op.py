"""Abstract QONNX custom op of the spike encoder: uint8 features [B, N] -> spikes [T, B, N]."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import NodeProto
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from snn2fpga.ops.base import SpikeOutputOp
from snn2fpga.semantics.encoders import EncoderKind, encode
from snn2fpga.semantics.iq import iq_plane_encode


class SpikeEncoder(CustomOp):
    """Rate or latency encoding of 8-bit input features, exactly as semantics.encoders defines."""

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {
            "kind": ("s", True, "rate", {k.value for k in EncoderKind}),
            "timesteps": ("i", True, 16),
            "seed": ("i", False, 0),
        }

    def make_shape_compatible_op(self, model: Any) -> NodeProto:
        shape = model.get_tensor_shape(self.onnx_node.input[0])
        return self.make_const_shape_op([int(self.get_nodeattr("timesteps")), *shape])

    def infer_node_datatype(self, model: Any) -> None:
        model.set_tensor_datatype(self.onnx_node.output[0], DataType["BINARY"])

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        spikes = encode(
            context[node.input[0]],
            EncoderKind(self.get_nodeattr("kind")),
            int(self.get_nodeattr("timesteps")),
            int(self.get_nodeattr("seed")),
        )
        context[node.output[0]] = spikes.astype(np.float32)

    def verify_node(self) -> list[str]:
        return [] if int(self.get_nodeattr("timesteps")) >= 1 else ["timesteps must be >= 1"]


class IQPlaneEncoder(SpikeOutputOp):
    """I/Q codes [B, T, 2] (signed 8-bit values) -> one-hot spike maps [T*B, 1, G, G] (semantics.iq)."""

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {"grid": ("i", True, 32), "timesteps": ("i", True, 128)}

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        codes = np.asarray(context[node.input[0]])
        grid = int(self.get_nodeattr("grid"))
        spikes = iq_plane_encode(np.rint(codes).astype(np.int64), grid)  # [T, B, 1, G, G]
        context[node.output[0]] = spikes.reshape(-1, 1, grid, grid).astype(np.float32)

    def verify_node(self) -> list[str]:
        return [] if 2 <= int(self.get_nodeattr("grid")) <= 256 else ["grid must be 2..256"]
