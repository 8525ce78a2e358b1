"""Lower the spike-map plumbing: OR pooling, flatten, and the reshapes around the input encoder."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops.hw import HW_DOMAIN
from snn2fpga.transforms.graph_util import node_attr, remove_initializer

MAP_CONSUMERS = ("SpikingConv", "SpikePool")


class LowerPooling(Transformation):
    """``MaxPool`` of spike maps (kernel = stride, no padding) -> ``SpikePool`` (OR)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for idx, node in enumerate(model.graph.node):
            if node.op_type != "MaxPool":
                continue
            kernel = list(node_attr(node, "kernel_shape", []))
            strides = list(node_attr(node, "strides", kernel))
            pads = list(node_attr(node, "pads", [0, 0, 0, 0]))
            if len(set(kernel)) != 1 or strides != kernel or any(pads):
                raise SNN2FPGAError(
                    f"MaxPool '{node.name}': kernel {kernel}, strides {strides}, pads {pads} cannot be lowered; "
                    "supported: square windows with stride = kernel and no padding"
                )
            tb, chans, height, width = model.get_tensor_shape(node.input[0])
            steps = tb  # batch 1 in the exported graph
            new = helper.make_node("SpikePool", list(node.input), list(node.output), name=node.name, domain=HW_DOMAIN,
                                   H=int(height), W=int(width), C=int(chans), K=int(kernel[0]), T=int(steps), SIMD=1)
            model.graph.node.remove(node)
            model.graph.node.insert(idx, new)
            return model, True
        return model, False


class LowerFlatten(Transformation):
    """Drop the Reshape between a spike map and a dense layer: the dense reads the map (``in_maps``).

    The map comes from a conv or pool, or it is the I/Q plane of an iq SpikeInput (one channel, so its
    NHWC stream is the row-major flatten the graph's Reshape describes)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for node in model.graph.node:
            if node.op_type != "Reshape":
                continue
            prod = model.find_producer(node.input[0])
            cons = model.find_consumers(node.output[0]) or []
            if prod is None or prod.domain != HW_DOMAIN:
                continue
            iq_plane = prod.op_type == "SpikeInput" and node_attr(prod, "kind") == "iq"
            if prod.op_type not in MAP_CONSUMERS and not iq_plane:
                continue
            if len(cons) != 1 or cons[0].op_type not in ("SpikingDense", "DenseReadout"):
                raise SNN2FPGAError(f"Reshape '{node.name}' after a spike map must feed one dense layer")
            _, chans, height, width = model.get_tensor_shape(node.input[0])
            dense = cons[0]
            dense.input[0] = node.input[0]
            dense.attribute.append(helper.make_attribute("in_maps", [int(chans), int(height), int(width)]))
            model.graph.node.remove(node)
            remove_initializer(model, node.input[1])
            return model, True
        return model, False


class LowerInputMaps(Transformation):
    """The reshape of encoder spikes into maps moves into the SpikeInput (``out_maps``); an I/Q encoder
    feeding a one-channel convolution makes that convolution event-driven."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for node in list(model.graph.node):
            if node.op_type != "SpikeInput":
                continue
            cons = model.find_consumers(node.output[0]) or []
            if len(cons) == 1 and cons[0].op_type == "Reshape":
                reshape = cons[0]
                shape = [int(d) for d in model.get_initializer(reshape.input[1])[1:]]
                if shape[0] != 1:
                    raise SNN2FPGAError(
                        f"a {node_attr(node, 'kind')} encoder can feed a convolution only with one input channel "
                        f"(got {shape[0]}): the on-chip encoder emits pixels in raster order"
                    )
                node.attribute.append(helper.make_attribute("out_maps", shape))
                for c in model.find_consumers(reshape.output[0]) or []:
                    c.input[0] = node.output[0]
                model.graph.node.remove(reshape)
                remove_initializer(model, reshape.input[1])
                vi = model.get_tensor_valueinfo(reshape.output[0])
                if vi is not None:
                    vi.name = node.output[0]
                    for old in [v for v in model.graph.value_info if v.name == node.output[0] and v is not vi]:
                        model.graph.value_info.remove(old)
            for c in model.find_consumers(node.output[0]) or []:
                if node_attr(node, "kind") == "iq" and c.op_type == "SpikingConv" and node_attr(c, "event") is None:
                    c.attribute.append(helper.make_attribute("event", 1))
        return model, False  # one pass handles every input node
