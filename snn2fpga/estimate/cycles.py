"""Cycle model of the hardware stages: each stage's facts (:mod:`snn2fpga.hwir`) say its cycles.

Every count of the HLS facts is pipelined-loop iterations at II=1 (one cycle each, pipeline depth
excluded), i.e. what ``snn_cycle_counter`` counts in the C-simulation. One call of a kernel processes
one sample of T timesteps. The tables per stage are in :mod:`snn2fpga.hwir.hls_io`,
:mod:`snn2fpga.hwir.hls_dense` and :mod:`snn2fpga.hwir.hls_maps`; a backend with its own hardware
(``_rtl``) states its own model in its facts' ``cycles``.
"""

from __future__ import annotations

from typing import Any

from onnx import NodeProto

from snn2fpga.hwir.graph import stage_spec
from snn2fpga.hwir.spec import NodeCycles, StageSpec


def stage_cycles(spec: StageSpec) -> NodeCycles:
    """Cycles per timestep and per sample of one stage; raises for an illegal folding."""
    facts = spec.facts
    facts.check(spec)
    return facts.cycles(spec)


def host_words(spec: StageSpec) -> int:
    """32-bit host words per sample the stage reads from the host (0 but for the input stage)."""
    return spec.facts.host_words(spec)


def node_cycles(model: Any, node: NodeProto) -> NodeCycles:
    """Cycles per timestep and per sample of one hardware node of ``model``."""
    return stage_cycles(stage_spec(model, node))
