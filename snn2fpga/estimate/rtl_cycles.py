"""Cycle model of the RTL top (level ``estimate``), checked against Verilator-measured cycles (``rtlsim``).

The model replays, timestep by timestep, the schedule each RTL kernel documents in its header (rtl/*.sv,
"Cycle behaviour") for the never-stalled case: input words always valid, output always ready. Every stage
is a list of per-timestep events: the cycle its first input word of timestep n is taken, the cycle its
first and last output words of timestep n are handed on. Stages are linked through the FIFOs of the
generated top: a word handed on at cycle c is at the consumer's input in cycle c + FIFO_LATENCY. The host
adapters (snn_axis_in / snn_axis_out) add their own register stage.

What it returns: the latency of one sample (first input word accepted -> last output word accepted) and
the interval between samples in steady state, both in clock cycles, per design and per stage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DesignCycles:
    """Modelled cycles of the RTL top: latency of one sample and the steady-state interval between samples,
    plus each stage's own interval (cycles per sample when it is never starved nor blocked)."""

    latency: int
    interval: int
    stages: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": "estimate"}


def rtl_design_cycles(model: Any) -> DesignCycles:
    """The cycle model of the RTL top of ``model`` (specialized to RTL)."""
    from snn2fpga.estimate.rtl_schedule import simulate_schedule

    return simulate_schedule(model)
