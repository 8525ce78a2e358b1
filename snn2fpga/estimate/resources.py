"""Resource estimates (LUT, FF, BRAM36, DSP) of the hardware stages: each stage's facts say its own.

The conventions and the shared cost primitives are in :mod:`snn2fpga.hwir.cost`; the formula of each
stage is its facts' ``resources`` (:mod:`snn2fpga.hwir.hls_io`, :mod:`~snn2fpga.hwir.hls_dense`,
:mod:`~snn2fpga.hwir.hls_maps`). The design pays :data:`~snn2fpga.hwir.cost.IP_OVERHEAD` once for its
AXI interfaces and dataflow control.
"""

from __future__ import annotations

from snn2fpga.hwir.cost import IP_OVERHEAD, Resources
from snn2fpga.hwir.spec import StageSpec


def stage_resources(spec: StageSpec) -> Resources:
    """Resources of one stage; raises for an illegal folding."""
    facts = spec.facts
    facts.check(spec)
    return facts.resources(spec)


def design_overhead() -> Resources:
    """The once-per-design cost of the IP's AXI interfaces and dataflow control (:data:`IP_OVERHEAD`)."""
    return IP_OVERHEAD


def total_resources(specs: list[StageSpec]) -> Resources:
    """Sum of all stages plus the design overhead."""
    total = design_overhead()
    for spec in specs:
        total += stage_resources(spec)
    return total
