"""Lower the spike-count readout (ReduceSum over time of a spiking last layer) to a SpikeCounter."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.ops.hw import HW_DOMAIN

COUNTER_NODE = "counter"


class LowerSpikeCount(Transformation):
    """``ReduceSum(spikes, axes=[0])`` fed by a SpikingDense becomes a hardware ``SpikeCounter``."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        for idx, node in enumerate(graph.node):
            if node.op_type != "ReduceSum":
                continue
            prod = model.find_producer(node.input[0])
            axes = model.get_initializer(node.input[1]) if len(node.input) > 1 else None
            if prod is None or prod.op_type != "SpikingDense" or axes is None or list(axes) != [0]:
                continue
            steps, _, chans = model.get_tensor_shape(node.input[0])
            new = helper.make_node("SpikeCounter", [node.input[0]], list(node.output), name=COUNTER_NODE,
                                   domain=HW_DOMAIN, C=int(chans), T=int(steps), SIMD=1)
            graph.node.remove(node)
            graph.node.insert(idx, new)
            return model, True
        return model, False
