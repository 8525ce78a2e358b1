"""HLS facts of the input and the spike-counter stages (hls/snn_encoders.h, hls/snn_iq.h, hls/snn_readout.h).

Cycles count pipelined-loop iterations at II=1 (:mod:`snn2fpga.estimate.cycles`):

=============================  ==================================  ========================
stage (kernel)                 cycles per timestep                 cycles per sample
=============================  ==================================  ========================
SpikeInput rate / latency      IN/SIMD                             ceil(IN/4) + T * IN/SIMD
SpikeInput spikes              ceil(IN/32) + IN/SIMD               T * per timestep
SpikeInput iq -> event conv    1 (iq_encoder: one event word)      T
SpikeInput iq, other consumer  G*G/SIMD (iq_frame_encoder)         T * per timestep
SpikeCounter                   C/SIMD                              T * C/SIMD + C
=============================  ==================================  ========================

Host words per sample of the input stage: rate / latency ceil(IN/4) (four 8-bit features per 32-bit
word), spikes T * ceil(IN/32), iq ceil(T/2) (two (I, Q) byte pairs per word). A SpikeInput's output
words are its consumer's SIMD wide (its SIMD is derived, never set); an iq SpikeInput feeding an
event-driven conv runs the event encoder.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from typing import Any

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.cost import INPUT_BITS, KERNEL_CONTROL, Resources, clog2, memory, xor_luts
from snn2fpga.hwir.facts import Attrs, Dim, StageFacts
from snn2fpga.hwir.spec import (
    AXI_WORD_BITS,
    FEATURES_PER_WORD,
    IQ_STEPS_PER_WORD,
    HwKind,
    InputKind,
    NodeCycles,
    StageSpec,
)

# The rate encoder's 32-bit Galois LFSR (hls/snn_common.h): polynomial mask, steps per random byte.
LFSR_MASK = 0x80200003
LFSR_BITS = 32
LFSR_STEPS_PER_BYTE = 8


@lru_cache(maxsize=256)
def lfsr_xor_luts(simd: int) -> int:
    """LUTs of the rate encoder's unrolled LFSR for SIMD lanes per cycle.

    The LFSR advances 8 steps per lane, 8*SIMD steps per cycle, all unrolled: every bit computed in a
    cycle is an XOR of state bits, found by stepping the GF(2) transition of the Galois LFSR (each
    output bit kept as the mask of state bits it depends on). Counted: the 8 random bits of each lane
    and the 32 bits of the next state, each :func:`~snn2fpga.hwir.cost.xor_luts` of its fan-in.
    """
    rows = [1 << i for i in range(LFSR_BITS)]  # rows[i]: state bits that bit i depends on
    total = 0
    for _lane in range(simd):
        for _ in range(LFSR_STEPS_PER_BYTE):
            feedback = rows[0]
            rows = [(rows[i + 1] if i + 1 < LFSR_BITS else 0) ^ (feedback if LFSR_MASK >> i & 1 else 0)
                    for i in range(LFSR_BITS)]
        total += sum(xor_luts(rows[i].bit_count()) for i in range(INPUT_BITS))
    return total + sum(xor_luts(r.bit_count()) for r in rows)


def spike_input(spec: StageSpec) -> Resources:
    """A SpikeInput stage with output words of SIMD spikes; B = lcm(4, SIMD) or lcm(32, SIMD) banks.

    rate: feature RAM of ceil(IN/B) words of 8*B bits; the LFSR (32 FF + :func:`lfsr_xor_luts`);
    per lane an 8-bit compare r < q (8 LUT). latency: firing-time RAM of ceil(IN/B) words of
    F*B bits, F = clog2(T+1); four firing-time units ((255-q)*(T-1)/255 by constant multiply and
    divide, ~3*(8+clog2 T) LUT each); per lane an F-bit equality with t (ceil(F/3)+1 LUT). spikes: bit
    RAM of ceil(IN/B) words of B bits, lanes are wires. All: the SIMD-bit output register and control.
    """
    simd, t = spec.simd, spec.timesteps
    total = KERNEL_CONTROL + Resources(ff=simd)
    if spec.input_kind is InputKind.SPIKES:
        banks = math.lcm(32, simd)
        return total + memory(banks, -(-spec.n_in // banks), rom=False)
    banks = math.lcm(4, simd)
    depth = -(-spec.n_in // banks)
    if spec.input_kind is InputKind.LATENCY:
        fire_bits = clog2(t + 1)
        lanes = simd * (math.ceil(fire_bits / 3) + 1)
        units = 4 * 3 * (INPUT_BITS + clog2(t))
        return total + memory(fire_bits * banks, depth, rom=False) + Resources(lut=lanes + units, ff=units // 3)
    lfsr = Resources(lut=lfsr_xor_luts(simd) + simd * INPUT_BITS, ff=LFSR_BITS)
    return total + memory(INPUT_BITS * banks, depth, rom=False) + lfsr


def iq_input(spec: StageSpec) -> Resources:
    """A SpikeInput of kind iq (hls/snn_iq.h): iq_encoder (event) or iq_frame_encoder.

    Both: the 32-bit host word register (32 LUT / 32 FF, it holds two timesteps), the 16-bit byte
    select (16 LUT), two grid-bin units ((code ^ 0x80) * G >> 8: a constant multiply of popcount(G) - 1
    adds of 8 + clog2(G) bits each, free for a power-of-two G), a clog2(T+1)-bit timestep counter and
    control. Event: the 16-bit event register. Frame: the hot index row*G + col (2*clog2(G)-bit add and
    register), per lane an equality of that index with the pixel counter (ceil(N/3) + 1 LUT, N =
    clog2(G*G)), the fold counter and the SIMD-bit output register.
    """
    grid, t = spec.grid, spec.timesteps
    bin_luts = max(0, grid.bit_count() - 1) * (INPUT_BITS + clog2(grid))
    counter = clog2(t + 1)
    total = KERNEL_CONTROL + memory(AXI_WORD_BITS, 1, rom=False) + Resources(
        lut=2 * INPUT_BITS + 2 * bin_luts + counter, ff=counter)
    if spec.event:
        return total + Resources(ff=2 * INPUT_BITS)
    index = clog2(grid * grid)
    folds = clog2(spec.n_in // spec.simd)
    return total + Resources(lut=index + spec.simd * (math.ceil(index / 3) + 1) + folds,
                             ff=index + folds + spec.simd)


class SpikeInputFacts(StageFacts):
    """The input stage: rate_encoder / latency_encoder / spike_unpack / iq_encoder / iq_frame_encoder."""

    kind = HwKind.SPIKE_INPUT
    simd_from_consumer = True
    out_width_label = "SIMD"

    def read(self, attr: Attrs, common: dict[str, Any]) -> StageSpec:
        input_kind = InputKind(attr("kind", "rate"))
        if input_kind is InputKind.IQ:
            grid = int(attr("G"))
            return StageSpec(n_in=grid * grid, n_out=grid * grid, input_kind=input_kind, grid=grid,
                             maps=attr.ints("out_maps"), **common)
        n = int(attr("IN"))
        return StageSpec(n_in=n, n_out=n, input_kind=input_kind, maps=attr.ints("out_maps"), **common)

    def simd_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_in, "G*G" if spec.input_kind is InputKind.IQ else "IN")]

    def out_dims(self, spec: StageSpec) -> list[Dim]:
        return self.simd_dims(spec)

    def check_shape(self, spec: StageSpec) -> None:
        if spec.event and spec.simd != 1:
            raise SNN2FPGAError(f"node {spec.name}: the I/Q event encoder emits one event word per timestep; SIMD=1")

    def out_width(self, spec: StageSpec) -> int | None:
        return spec.simd

    def with_consumer(self, spec: StageSpec, consumer: StageSpec | None) -> StageSpec:
        if consumer is None:
            return spec
        return replace(spec, simd=consumer.simd, event=consumer.facts.reads_events(consumer))

    def cycles(self, spec: StageSpec) -> NodeCycles:
        t, folds = spec.timesteps, spec.n_in // spec.simd
        if spec.input_kind is InputKind.IQ:
            per_ts = 1 if spec.event else folds
            return NodeCycles(per_ts, t * per_ts)
        if spec.input_kind is InputKind.SPIKES:
            per_ts = -(-spec.n_in // AXI_WORD_BITS) + folds
            return NodeCycles(per_ts, t * per_ts)
        return NodeCycles(folds, -(-spec.n_in // FEATURES_PER_WORD) + t * folds)

    def resources(self, spec: StageSpec) -> Resources:
        return iq_input(spec) if spec.input_kind is InputKind.IQ else spike_input(spec)

    def host_words(self, spec: StageSpec) -> int:
        if spec.input_kind is InputKind.IQ:
            return -(-spec.timesteps // IQ_STEPS_PER_WORD)
        if spec.input_kind is InputKind.SPIKES:
            return spec.timesteps * -(-spec.n_in // AXI_WORD_BITS)
        return -(-spec.n_in // FEATURES_PER_WORD)


class SpikeCounterFacts(StageFacts):
    """spike_counter: the C spike counts of a spiking last layer, written to the host per sample."""

    kind = HwKind.SPIKE_COUNTER

    def read(self, attr: Attrs, common: dict[str, Any]) -> StageSpec:
        c = int(attr("C"))
        return StageSpec(n_in=c, n_out=c, **common)

    def simd_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_in, "C")]

    def cycles(self, spec: StageSpec) -> NodeCycles:
        folds = spec.n_in // spec.simd
        return NodeCycles(folds, spec.timesteps * folds + spec.n_out)

    def resources(self, spec: StageSpec) -> Resources:
        """Count RAM of C/SIMD words of SIMD*N bits (N = clog2(T+1)), SIMD N-bit incrementers (N LUT
        each), the 32-bit output word register and control."""
        n = clog2(spec.timesteps + 1)
        return (memory(spec.simd * n, spec.n_in // spec.simd, rom=False) + Resources(lut=spec.simd * n, ff=32)
                + KERNEL_CONTROL)
