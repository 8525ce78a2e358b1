"""Pick the implementation (backend) of every hardware op: HLS C++ or SystemVerilog RTL (FINN's SpecializeLayers).

Run it before folding, as FINN does: the folding search and the estimates then use the facts (cycles,
resources, legal foldings: :mod:`snn2fpga.hwir.facts`) of the backend each op will be built with.
"""

from __future__ import annotations

from enum import StrEnum

from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.graph import facts_for, hw_kind
from snn2fpga.hwir.spec import Backend


class BackendChoice(StrEnum):
    """``build --backend``: HLS C++ kernels, SystemVerilog RTL kernels, or RTL when every stage has one."""

    HLS = "hls"
    RTL = "rtl"
    AUTO = "auto"


def rtl_refusals(model: ModelWrapper) -> list[str]:
    """Why the hardware nodes of ``model`` cannot all use the RTL backend (empty: they can)."""
    reasons = []
    for node in model.graph.node:
        if node.domain == Backend.HW.domain:
            try:
                rtl_op = getCustomOp(_renamed(node, Backend.RTL))
            except Exception:  # qonnx raises several types for an op_type its domain does not define
                reasons.append(f"{node.name} ({node.op_type}): no RTL implementation is registered")
                continue
            why = rtl_op.rtl_unsupported()
            if why:
                reasons.append(f"{node.name} ({node.op_type}): {why}")
    return reasons


def _renamed(node: NodeProto, backend: Backend) -> NodeProto:
    copy = NodeProto()
    copy.CopyFrom(node)
    copy.op_type, copy.domain = copy.op_type + backend.suffix, backend.domain
    return copy


def resolve_backend(model: ModelWrapper, choice: BackendChoice | str) -> Backend:
    """The concrete backend (HLS or RTL) for ``choice``; ``rtl`` with an unsupported stage is an error naming it."""
    choice = BackendChoice(choice)
    if choice is BackendChoice.HLS:
        return Backend.HLS
    refusals = rtl_refusals(model)
    if choice is BackendChoice.AUTO:
        return Backend.HLS if refusals else Backend.RTL
    if refusals:
        raise SNN2FPGAError("--backend rtl: these stages have no RTL implementation: " + "; ".join(refusals)
                            + ". Build with --backend hls (or auto, which picks HLS for this model).")
    return Backend.RTL


class SpecializeLayers(Transformation):
    """``<Op>`` in ``snn2fpga.ops.hw`` -> ``<Op>_hls`` (``snn2fpga.ops.hls``) or ``<Op>_rtl``
    (``snn2fpga.ops.rtl``), attributes unchanged. ``auto`` picks RTL only when every stage has an RTL
    implementation, so one design never mixes the two (the generated top is one language). Every op must
    have the chosen backend registered with its facts, else an error names it."""

    def __init__(self, backend: BackendChoice | Backend | str = BackendChoice.HLS) -> None:
        super().__init__()
        try:
            self.choice = BackendChoice(backend)
        except ValueError:
            raise SNN2FPGAError(f"SpecializeLayers: unknown backend {str(backend)!r}; use one of "
                                f"{', '.join(c.value for c in BackendChoice)}") from None

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        chosen = resolve_backend(model, self.choice)
        changed = False
        for node in model.graph.node:
            kind = hw_kind(node)
            if node.domain == Backend.HW.domain and kind is not None:
                facts_for(kind, chosen)  # raises, naming the op and backend, when none is registered
                node.op_type = chosen.op_type(kind)
                node.domain = chosen.domain
                changed = True
        return model, changed
