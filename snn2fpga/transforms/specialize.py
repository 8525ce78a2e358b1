"""Pick the implementation (backend) of every hardware op: HLS C++ or SystemVerilog RTL (FINN's SpecializeLayers)."""

from __future__ import annotations

from enum import StrEnum

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops.hls import HLS_DOMAIN
from snn2fpga.ops.hw import HW_DOMAIN
from snn2fpga.ops.rtl import RTL_DOMAIN


class Backend(StrEnum):
    """``build --backend``: HLS C++ kernels, SystemVerilog RTL kernels, or RTL when every stage has one."""

    HLS = "hls"
    RTL = "rtl"
    AUTO = "auto"


def rtl_refusals(model: ModelWrapper) -> list[str]:
    """Why the hardware nodes of ``model`` cannot all use the RTL backend (empty: they can)."""
    reasons = []
    for node in model.graph.node:
        if node.domain == HW_DOMAIN:
            rtl_op = getCustomOp(_renamed(node, RTL_DOMAIN, "_rtl"))
            why = rtl_op.rtl_unsupported()
            if why:
                reasons.append(f"{node.name} ({node.op_type}): {why}")
    return reasons


def _renamed(node: object, domain: str, suffix: str) -> object:
    from onnx import NodeProto

    copy = NodeProto()
    copy.CopyFrom(node)  # type: ignore[arg-type]
    copy.op_type, copy.domain = copy.op_type + suffix, domain
    return copy


def resolve_backend(model: ModelWrapper, backend: Backend) -> Backend:
    """The concrete backend (HLS or RTL) for ``backend``; ``rtl`` with an unsupported stage is an error naming it."""
    if backend is Backend.HLS:
        return Backend.HLS
    refusals = rtl_refusals(model)
    if backend is Backend.AUTO:
        return Backend.HLS if refusals else Backend.RTL
    if refusals:
        raise SNN2FPGAError("--backend rtl: these stages have no RTL implementation: " + "; ".join(refusals)
                            + ". Build with --backend hls (or auto, which picks HLS for this model).")
    return Backend.RTL


class SpecializeLayers(Transformation):
    """``<Op>`` in ``snn2fpga.ops.hw`` -> ``<Op>_hls`` (``snn2fpga.ops.hls``) or ``<Op>_rtl``
    (``snn2fpga.ops.rtl``), attributes unchanged. ``auto`` picks RTL only when every stage has an RTL
    implementation, so one design never mixes the two (the generated top is one language)."""

    def __init__(self, backend: Backend = Backend.HLS) -> None:
        super().__init__()
        self.backend = Backend(backend)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        chosen = resolve_backend(model, self.backend)
        domain, suffix = (RTL_DOMAIN, "_rtl") if chosen is Backend.RTL else (HLS_DOMAIN, "_hls")
        changed = False
        for node in model.graph.node:
            if node.domain == HW_DOMAIN:
                node.op_type = f"{node.op_type}{suffix}"
                node.domain = domain
                changed = True
        return model, changed
