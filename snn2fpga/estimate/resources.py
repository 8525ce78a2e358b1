"""Resource estimates (LUT, FF, BRAM36, DSP) of the hardware stages: each stage's facts say its own.

The conventions and the shared cost primitives are in :mod:`snn2fpga.hwir.cost`; the formula of each
stage is its facts' ``resources`` (:mod:`snn2fpga.hwir.hls_io`, :mod:`~snn2fpga.hwir.hls_dense`,
:mod:`~snn2fpga.hwir.hls_maps`). The design pays :data:`~snn2fpga.hwir.cost.IP_OVERHEAD` once for its
AXI interfaces and dataflow control.
"""

from __future__ import annotations

from collections.abc import Callable

from snn2fpga.hwir.cost import IP_OVERHEAD, Resources
from snn2fpga.hwir.spec import StageSpec

# Synthesized figures of a stage configuration where they exist (e.g. codegen.stage_synth.StageSynthLookup,
# a cache lookup), None where they do not: then the stage's formula applies.
Measured = Callable[[StageSpec], Resources | None]
SYNTH = "synth"  # figures from yosys synth_xilinx (pre-place-and-route)
ESTIMATE = "estimate"  # figures from the stage's formulas


def stage_resources(spec: StageSpec) -> Resources:
    """Resources of one stage; raises for an illegal folding."""
    facts = spec.facts
    facts.check(spec)
    return facts.resources(spec)


def sourced_resources(spec: StageSpec, measured: Measured | None = None) -> tuple[Resources, str]:
    """Resources of one stage and how they were obtained: ``synth`` when ``measured`` has the stage's
    synthesized figures, else ``estimate`` (its formula); raises for an illegal folding either way."""
    facts = spec.facts
    facts.check(spec)
    found = measured(spec) if measured is not None else None
    return (found, SYNTH) if found is not None else (facts.resources(spec), ESTIMATE)


def design_overhead() -> Resources:
    """The once-per-design cost of the IP's AXI interfaces and dataflow control (:data:`IP_OVERHEAD`)."""
    return IP_OVERHEAD


def total_resources(specs: list[StageSpec], measured: Measured | None = None) -> Resources:
    """Sum of all stages plus the design overhead (synthesized figures where ``measured`` has them)."""
    total = design_overhead()
    for spec in specs:
        total += sourced_resources(spec, measured)[0]
    return total
