"""Pick the implementation (backend) of every hardware op: today the HLS one."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.ops.hls import HLS_DOMAIN
from snn2fpga.ops.hw import HW_DOMAIN


class SpecializeLayers(Transformation):
    """``<Op>`` in ``snn2fpga.ops.hw`` -> ``<Op>_hls`` in ``snn2fpga.ops.hls`` (attributes unchanged)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.domain == HW_DOMAIN:
                node.op_type = f"{node.op_type}_hls"
                node.domain = HLS_DOMAIN
                changed = True
        return model, changed
