"""Lower the input side: SpikeEncoder -> SpikeInput (on-chip encoder), or add a spike unpacker."""

from __future__ import annotations

from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops import DOMAIN
from snn2fpga.ops.hw import HW_DOMAIN
from snn2fpga.transforms.graph_util import node_attr

INPUT_NODE = "input"


class LowerSpikeInput(Transformation):
    """Make the graph input go through exactly one ``SpikeInput`` hardware node.

    * a ``SpikeEncoder`` (rate/latency) becomes a ``SpikeInput`` of the same kind, i.e. the encoder
      runs on chip and the host streams one byte per feature instead of T spike frames;
    * a graph whose input already is spike trains [T, 1, N] gets a ``SpikeInput(kind="spikes")``.
    """

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        if any(n.op_type == "SpikeInput" for n in graph.node):
            return model, False
        for idx, node in enumerate(graph.node):
            if node.op_type == "IQPlaneEncoder" and node.domain == DOMAIN:
                new = helper.make_node(
                    "SpikeInput", list(node.input), list(node.output), name=INPUT_NODE, domain=HW_DOMAIN, kind="iq",
                    IN=2, T=int(node_attr(node, "timesteps")), G=int(node_attr(node, "grid")), seed=0, SIMD=1,
                )
                graph.node.remove(node)
                graph.node.insert(idx, new)
                return model, False
            if node.op_type == "SpikeEncoder" and node.domain == DOMAIN:
                n_in = model.get_tensor_shape(node.input[0])[-1]
                new = helper.make_node(
                    "SpikeInput", list(node.input), list(node.output), name=INPUT_NODE, domain=HW_DOMAIN,
                    kind=node_attr(node, "kind"), IN=int(n_in), T=int(node_attr(node, "timesteps")),
                    seed=int(node_attr(node, "seed", 0)), SIMD=1,
                )
                graph.node.remove(node)
                graph.node.insert(idx, new)
                return model, False
        # host-encoded spikes: global input [T, 1, N] feeds the first MatMul directly
        inp = graph.input[0].name
        shape = model.get_tensor_shape(inp)
        if len(shape) != 3:
            raise SNN2FPGAError(
                "host-encoded spike maps as the graph input cannot be lowered yet: use the on-chip rate/latency "
                "encoder for images or the I/Q encoder for radio frames"
            )
        steps, batch, n_in = shape
        out = f"{inp}_spikes"
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name == inp:
                    node.input[i] = out
        graph.node.insert(0, helper.make_node(
            "SpikeInput", [inp], [out], name=INPUT_NODE, domain=HW_DOMAIN, kind="spikes", IN=int(n_in),
            T=int(steps), seed=0, SIMD=1,
        ))
        vi = helper.make_tensor_value_info(out, TensorProto.FLOAT, [steps, batch, n_in])
        vi.doc_string = graph.input[0].doc_string
        graph.value_info.append(vi)
        model.set_tensor_datatype(out, DataType["BINARY"])
        return model, False
