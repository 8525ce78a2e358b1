"""Lower Quant -> MatMul / Conv -> LIF / LeakyIntegrator / DCLL into one fused hardware node.

MatMul + LIF -> SpikingDense; MatMul + LeakyIntegrator -> DenseReadout; MatMul + DCLL -> SpikingDense
(neuron "dcll"); Conv + LIF / DCLL -> SpikingConv.
"""

from __future__ import annotations

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops import DOMAIN
from snn2fpga.ops.hw import HW_DOMAIN
from snn2fpga.transforms.graph_util import base_name, node_attr, remove_initializer, single_producer

_NEURON_ATTRS = ("leak", "leak_shift", "beta_q", "beta_frac_bits", "reset", "state_bits", "threshold",
                 "weight_scale", "kq", "kp", "kr", "rho", "frac_bits")
_NEURON_OPS = ("LIF", "LeakyIntegrator", "DCLL")


class LowerDenseLayers(Transformation):
    """Fuse each synapse (integer weights, binary spikes) with its neuron update into one hardware node.

    The weights become an initializer ``<layer>_W`` [IN, OUT] of integers; the neuron parameters are
    copied as attributes, folding starts at PE = SIMD = 1. The node takes the layer's name (``layer0``).
    """

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        for node in graph.node:
            if node.domain != DOMAIN or node.op_type not in _NEURON_OPS:
                continue
            prod = model.find_producer(node.input[0])
            is_conv = prod is not None and prod.op_type == "Conv"
            matmul = prod if is_conv else single_producer(model, node.input[0], node, "MatMul")
            assert matmul is not None
            quant = single_producer(model, matmul.input[1], matmul, "Quant")
            weight = self._integer_weight(model, quant)
            attrs = {a: node_attr(node, a) for a in _NEURON_ATTRS if node_attr(node, a) is not None}
            attrs["neuron"] = "dcll" if node.op_type == "DCLL" else "lif"
            bits = int(model.get_initializer(quant.input[3]))
            if is_conv:
                name = base_name(matmul, "_conv")
                new = self._conv_node(model, node, matmul, weight, name, bits, attrs)
            else:
                steps = model.get_tensor_shape(matmul.input[0])[0]
                name = base_name(matmul, "_matmul")
                w_name = f"{name}_W"
                model.set_initializer(w_name, weight.astype(np.float32))
                op_type = "DenseReadout" if node.op_type == "LeakyIntegrator" else "SpikingDense"
                new = helper.make_node(
                    op_type, [matmul.input[0], w_name], list(node.output), name=name, domain=HW_DOMAIN,
                    IN=int(weight.shape[0]), OUT=int(weight.shape[1]), T=int(steps), PE=1, SIMD=1,
                    weight_bits=bits, **attrs,
                )
            graph.node.remove(quant)
            graph.node.remove(matmul)
            pos = list(graph.node).index(node)  # the neuron comes after all producers: keeps topological order
            graph.node.remove(node)
            graph.node.insert(pos, new)
            for init in quant.input:
                remove_initializer(model, init)
            remove_initializer(model, matmul.input[1])
            return model, True
        return model, False

    @staticmethod
    def _conv_node(model: ModelWrapper, node: NodeProto, conv: NodeProto, weight: np.ndarray, name: str, bits: int,
                   attrs: dict[str, object]) -> NodeProto:
        if node.op_type == "LeakyIntegrator":
            raise SNN2FPGAError(f"node '{node.name}': a non-spiking readout must be a dense layer, not a convolution")
        pads = list(node_attr(conv, "pads", [0, 0, 0, 0]))
        strides = list(node_attr(conv, "strides", [1, 1]))
        dil = list(node_attr(conv, "dilations", [1, 1]))
        groups = int(node_attr(conv, "group", 1))
        if len(set(pads)) != 1 or len(set(strides)) != 1 or dil != [1, 1] or groups != 1:
            raise SNN2FPGAError(
                f"Conv '{conv.name}': pads {pads}, strides {strides}, dilations {dil}, group {groups} cannot be "
                "lowered; supported: square kernels, equal zero padding and stride on both axes, dilation 1, group 1"
            )
        _, cin, height, width = model.get_tensor_shape(conv.input[0])
        steps = int(node_attr(node, "timesteps"))
        w_name = f"{name}_W"
        model.set_initializer(w_name, weight.astype(np.float32))
        return helper.make_node(
            "SpikingConv", [conv.input[0], w_name], list(node.output), name=name, domain=HW_DOMAIN,
            H=int(height), W=int(width), CIN=int(cin), COUT=int(weight.shape[0]), K=int(weight.shape[2]),
            STRIDE=int(strides[0]), PAD=int(pads[0]), T=steps, timesteps=steps, PE=1, SIMD=1, weight_bits=bits,
            **attrs,
        )

    @staticmethod
    def _integer_weight(model: ModelWrapper, quant: NodeProto) -> np.ndarray:
        vals = [model.get_initializer(n) for n in quant.input]
        if len(vals) != 4 or any(v is None for v in vals):
            raise SNN2FPGAError(
                f"Quant node '{quant.name}': weights, scale, zero point and bit width must be constants"
            )
        w, scale, zeropt, bits = vals
        if np.any(np.asarray(scale) != 1.0) or np.any(np.asarray(zeropt) != 0.0):
            raise SNN2FPGAError(
                f"Quant node '{quant.name}': only integer weights (scale 1, zero point 0, as `snn2fpga export` "
                "writes them) can be lowered; the real scale belongs in the neuron's weight_scale attribute"
            )
        n_bits = int(np.asarray(bits))
        limit = (1 << (n_bits - 1)) - 1
        if not np.array_equal(np.rint(w), w) or np.abs(w).max(initial=0) > limit:
            raise SNN2FPGAError(f"Quant node '{quant.name}': weights are not {n_bits}-bit narrow-range integers")
        return np.asarray(w)
