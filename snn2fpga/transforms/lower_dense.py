"""Lower Quant -> MatMul -> LIF / LeakyIntegrator into one SpikingDense / DenseReadout node."""

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
                 "weight_scale")
_TARGET = {"LIF": "SpikingDense", "LeakyIntegrator": "DenseReadout"}


class LowerDenseLayers(Transformation):
    """Fuse each synapse (integer weights, binary spikes) with its neuron update into one hardware node.

    The weights become an initializer ``<layer>_W`` [IN, OUT] of integers; the neuron parameters are
    copied as attributes, folding starts at PE = SIMD = 1. The node takes the layer's name (``layer0``).
    """

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        for node in graph.node:
            if node.domain != DOMAIN or node.op_type not in _TARGET:
                continue
            matmul = single_producer(model, node.input[0], node, "MatMul")
            quant = single_producer(model, matmul.input[1], matmul, "Quant")
            weight = self._integer_weight(model, quant)
            steps = model.get_tensor_shape(matmul.input[0])[0]
            name = base_name(matmul, "_matmul")
            w_name = f"{name}_W"
            model.set_initializer(w_name, weight.astype(np.float32))
            attrs = {a: node_attr(node, a) for a in _NEURON_ATTRS if node_attr(node, a) is not None}
            new = helper.make_node(
                _TARGET[node.op_type], [matmul.input[0], w_name], list(node.output), name=name, domain=HW_DOMAIN,
                IN=int(weight.shape[0]), OUT=int(weight.shape[1]), T=int(steps), PE=1, SIMD=1,
                weight_bits=int(model.get_initializer(quant.input[3])), **attrs,
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
