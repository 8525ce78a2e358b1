"""Pick the implementation (backend) of every hardware op: the HLS one unless told otherwise."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.graph import facts_for, hw_kind
from snn2fpga.hwir.spec import Backend


class SpecializeLayers(Transformation):
    """``<Op>`` in ``snn2fpga.ops.hw`` -> ``<Op>_<backend>`` in ``snn2fpga.ops.<backend>`` (attributes
    unchanged). Every op must have that backend registered (with its facts), else an error names it.

    Run it before folding, as FINN does: the folding search and the estimates then use the facts
    (cycles, resources) of the backend each op will be built with.
    """

    def __init__(self, backend: Backend = Backend.HLS) -> None:
        super().__init__()
        if backend is Backend.HW:
            raise SNN2FPGAError(f"SpecializeLayers needs a concrete backend: "
                                f"{', '.join(b.value for b in Backend if b is not Backend.HW)}")
        self.backend = backend

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            kind = hw_kind(node)
            if node.domain == Backend.HW.domain and kind is not None:
                facts_for(kind, self.backend)  # raises, naming the op and backend, when none is registered
                node.op_type = self.backend.op_type(kind)
                node.domain = self.backend.domain
                changed = True
        return model, changed
