"""The stream-width rules between stages, applied through each stage's facts.

The stream between a producer and its consumer is the CONSUMER's SIMD wide. So a SpikeInput's output
width is its consumer's SIMD, and a SpikingDense's / SpikingConv's OUT_SIMD is its consumer's SIMD (1
when it has no hardware consumer). A SpikePool's words are its SIMD wide at both ends, so its SIMD is
its consumer's SIMD too, and its producer's OUT_SIMD is that same SIMD. An event-driven conv reads one
event word per timestep and has no SIMD (1); its SpikeInput (kind iq) then runs the event encoder.
:func:`snn2fpga.hwir.graph.stage_specs` applies these rules when it reads a model, whatever the
derived nodes' own SIMD attributes say; the folding transformations keep those attributes equal to
them. Each stage's part of the rules is its facts' ``with_consumer`` and ``out_width``.
"""

from __future__ import annotations

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.spec import InputKind, StageSpec


def derive_stream_widths(specs: list[StageSpec]) -> list[StageSpec]:
    """Give every stage the stream widths its consumer dictates (module docstring). Consumers are
    resolved before producers (a pool chain propagates)."""
    out = list(specs)
    index = {s.name: i for i, s in enumerate(out)}
    for _ in range(len(out) + 1):  # reverse graph order reaches the fixed point in one pass when topological
        changed = False
        for i in reversed(range(len(out))):
            spec = out[i]
            consumer = out[index[spec.consumer]] if spec.consumer in index else None
            new = spec.facts.with_consumer(spec, consumer)
            if new != spec:
                out[i], changed = new, True
        if not changed:
            break
    return out


def check_spec(spec: StageSpec) -> None:
    """Raise an error naming the node when its folding is illegal (a factor < 1 or not a divisor)."""
    spec.facts.check(spec)


def check_specs(specs: list[StageSpec]) -> None:
    """:func:`check_spec` for every stage, and the stream rules between stages: every stage's input words
    are its producer's output words, and an event-driven conv reads an iq SpikeInput."""
    by_name = {s.name: s for s in specs}
    for spec in specs:
        check_spec(spec)
        consumer = by_name.get(spec.consumer) if spec.consumer else None
        if consumer is None:
            continue
        if consumer.facts.reads_events(consumer) and spec.input_kind is not InputKind.IQ:
            raise SNN2FPGAError(f"node {consumer.name}: an event-driven convolution must read the events of an "
                                f"iq SpikeInput, not {spec.kind.value} {spec.name}")
        width = spec.facts.out_width(spec)
        if width is not None and width != consumer.simd:
            raise SNN2FPGAError(f"node {spec.name}: its output words are {width} wide but its consumer "
                                f"{consumer.name} reads SIMD={consumer.simd}")
