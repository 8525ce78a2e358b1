"""Fail early, naming the node, when a graph holds something the hardware flow cannot map."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops.hls import HLS_DOMAIN
from snn2fpga.ops.hw import HW_DOMAIN

HOST_TAIL_OPS = {"Identity", "ArgMax"}  # prediction from the scores: stays on the host
SUPPORTED = (
    "SpikeEncoder / IQPlaneEncoder / spike-train input, Quant -> MatMul -> LIF / DCLL (spiking dense) or -> "
    "LeakyIntegrator (readout), Quant -> Conv -> LIF / DCLL (spiking convolution), MaxPool (OR pooling), "
    "Reshape (flatten before a dense layer), ReduceSum over time (spike-count readout), then Identity/ArgMax "
    "on the host"
)


class CheckLowered(Transformation):
    """After lowering, every node must be a hardware op or part of the host-side prediction tail."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for node in model.graph.node:
            if node.domain in (HW_DOMAIN, HLS_DOMAIN):
                continue
            if node.op_type in HOST_TAIL_OPS:
                continue
            raise SNN2FPGAError(
                f"node '{node.name}' ({node.domain + '.' if node.domain else ''}{node.op_type}) cannot be mapped to "
                f"hardware; supported: {SUPPORTED}"
            )
        dense = [n for n in model.graph.node if n.op_type.startswith(("SpikingDense", "DenseReadout", "SpikingConv"))]
        if not dense:
            raise SNN2FPGAError(f"the graph has no layer to map to hardware; supported: {SUPPORTED}")
        return model, False
