"""The terms of the yosys-fitted resource formulas of the RTL stages, one set per module kind.

bench/rtl_fit.py synthesizes each kind over a grid of configurations and fits LUT (logic + LUT-RAM) and FF
as ``sum(coefficient * term)`` by least squares on these terms; :mod:`snn2fpga.hwir.rtl_facts` evaluates the
same terms with the published coefficients (bench/results/rtl_fit.json). Both import the terms from here, so
the formula the facts use is the one that was fitted.

Memories are not fitted: where each goes (soft logic, LUT-RAM, block RAM) follows yosys' own rule
(:mod:`snn2fpga.hwir.yosys_memory`); the LUTs of those that stay in the fabric enter the fit as one term
(``MEM_LUT``, its coefficient near 1 when the rule's LUT count is right) and block RAMs are counted by the
rule alone. Sizes: S = STATE_BITS (DCLL: 3*S + 1 per neuron), WB = WEIGHT_BITS, NF = COUT/PE, SF =
K*K*CIN/SIMD, PIX = HO*WO, CNTW = clog2(T+1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from snn2fpga.hwir.cost import Resources, clog2
from snn2fpga.hwir.spec import HwKind, InputKind, StageSpec
from snn2fpga.hwir.yosys_memory import rtl_memory

Terms = Callable[[StageSpec], tuple[float, ...]]


def dense_memories(spec: StageSpec) -> list[Resources]:
    """snn_dense_lif / snn_dense_li: the weight ROM (NF*SF words of PE*SIMD*WB bits)."""
    nf, sf = spec.n_out // spec.pe, spec.n_in // spec.simd
    return [rtl_memory(spec.pe * spec.simd * spec.weight_bits, nf * sf, rom=True)]


def conv_memories(spec: StageSpec) -> list[Resources]:
    """snn_conv / snn_conv_event: weight ROM, threshold ROM (NF words of PE*S), the neuron state RAM (PIX*NF
    words of PE*state bits), the output spike frame (rtl/snn_spike_frame.sv: NF banks of PIX words of PE bits)
    and, frame-buffered only, the input frame RAM (H*W*CIN/SIMD words of SIMD)."""
    pe, nf = spec.pe, spec.n_out // spec.pe
    taps = spec.kernel * spec.kernel
    width = pe * spec.weight_bits if spec.event else pe * spec.simd * spec.weight_bits
    depth = nf * taps * (1 if spec.event else spec.n_in // spec.simd)
    mems = [rtl_memory(width, depth, rom=True), rtl_memory(pe * spec.state_bits, nf, rom=True),
            rtl_memory(pe * spec.neuron_state_bits, spec.pixels * nf, rom=False),
            *[rtl_memory(pe, spec.pixels, rom=False)] * nf]
    if not spec.event:
        mems.append(rtl_memory(spec.simd, spec.in_pixels * spec.n_in // spec.simd, rom=False))
    return mems


def _mem_lut(mems: list[Resources]) -> int:
    return sum(m.lut for m in mems)


def _dense(spec: StageSpec) -> tuple[float, ...]:
    rom = dense_memories(spec)[0]
    rom_bits = spec.n_in * spec.n_out * spec.weight_bits if rom.bram36 == 0 else 0
    return (spec.pe * spec.simd * spec.weight_bits, spec.pe * spec.neuron_state_bits, rom_bits, 1)


def _conv(spec: StageSpec) -> tuple[float, ...]:
    """snn_conv: the PE x SIMD synapses, the PE neuron lanes, its memories in the fabric, and PE and COUT alone
    (the per-lane window/fold control and the spike frame's COUT-bit row read; chosen over COUT*HO*WO, which
    extrapolated to 28x28 maps 47 % high: bench/HARDWARE.md)."""
    return (spec.pe * spec.simd * spec.weight_bits, spec.pe * spec.neuron_state_bits,
            _mem_lut(conv_memories(spec)), spec.pe, spec.n_out, 1)


def _conv_event(spec: StageSpec) -> tuple[float, ...]:
    return (spec.pe * spec.weight_bits, spec.pe * spec.neuron_state_bits, _mem_lut(conv_memories(spec)),
            spec.neurons, 1)


def _pool(spec: StageSpec) -> tuple[float, ...]:
    _, wo = spec.out_hw
    return (spec.n_in, spec.simd, wo * spec.n_in, 1)


def _counter(spec: StageSpec) -> tuple[float, ...]:
    cntw = clog2(spec.timesteps + 1)
    return (spec.n_in * cntw, spec.simd * cntw, 1)


def value_bits(spec: StageSpec) -> int:
    """Bits per buffered value of an encoder: 8 (rate: a feature), clog2(T+1) (latency: a firing time), 1."""
    if spec.input_kind is InputKind.RATE:
        return 8
    return clog2(spec.timesteps + 1) if spec.input_kind is InputKind.LATENCY else 1


ENCODER_BANKS = 2  # the BANKS parameter of the encoders' snn_bank_buffer (ping-pong)


def encoder_memories(spec: StageSpec) -> list[Resources]:
    """The input buffer of snn_rate_encoder / snn_latency_encoder / snn_spike_unpack (rtl/snn_bank_buffer.sv,
    RAM = 1): BANKS * ceil(IN/G) words of G*VB bits, G = lcm(WR_LANES, SIMD), WR_LANES = 4 features (32 spikes)
    per host word. yosys merges its output register into the read port, so it follows the RAM rule (a RAMB18
    when cheaper than LUT-RAM, as for IN=192, SIMD=4 of the rate encoder)."""
    lanes = 32 if spec.input_kind is InputKind.SPIKES else 4
    group = math.lcm(lanes, spec.simd)
    values = -(-spec.n_in // lanes) * lanes
    return [rtl_memory(group * value_bits(spec), ENCODER_BANKS * -(-values // group), rom=False)]


def _encoder(spec: StageSpec) -> tuple[float, ...]:
    vb = value_bits(spec)
    group = math.lcm(32 if spec.input_kind is InputKind.SPIKES else 4, spec.simd)
    return (spec.simd * vb, _mem_lut(encoder_memories(spec)), group * vb, 1)


def _encoder_ff(spec: StageSpec) -> tuple[float, ...]:
    """FF of an encoder: its registers (output word, staging word of the buffer, counters), not its memory."""
    vb = value_bits(spec)
    group = math.lcm(32 if spec.input_kind is InputKind.SPIKES else 4, spec.simd)
    return (spec.simd * vb, group * vb, clog2(spec.n_in), 1)


def _iq_event(spec: StageSpec) -> tuple[float, ...]:
    return (clog2(spec.grid), clog2(spec.timesteps + 1), 1)


def _iq_frame(spec: StageSpec) -> tuple[float, ...]:
    index = clog2(spec.grid * spec.grid)
    return (spec.simd * index, index, clog2(spec.timesteps + 1), 1)


@dataclass(frozen=True)
class FitKind:
    """One fitted module family: its name in rtl_fit.json, the term names (documentation) and function of its
    LUT fit, and of its FF fit where those differ (``ff_terms`` / ``ff_fn``; None: the same as LUT's)."""

    name: str
    terms: tuple[str, ...]
    fn: Terms
    ff_terms: tuple[str, ...] | None = None
    ff_fn: Terms | None = None


ENC_FF = ("SIMD*VB", "lcm(4 or 32,SIMD)*VB (staging word)", "clog2(IN)", "1")  # encoders' FF terms
FIT_KINDS = {
    "dense": FitKind("dense", ("PE*SIMD*WEIGHT_BITS", "PE*STATE_BITS", "IN*OUT*WEIGHT_BITS (weight ROM in logic)",
                               "1"), _dense),
    "conv": FitKind("conv", ("PE*SIMD*WEIGHT_BITS", "PE*state bits", "MEM_LUT", "PE", "COUT", "1"), _conv),
    "conv_event": FitKind("conv_event", ("PE*WEIGHT_BITS", "PE*state bits", "MEM_LUT", "COUT*HO*WO", "1"),
                          _conv_event),
    "pool": FitKind("pool", ("C", "SIMD", "WO*C (row accumulator bits)", "1"), _pool),
    "counter": FitKind("counter", ("C*CNTW", "SIMD*CNTW", "1"), _counter),
    "rate": FitKind("rate", ("SIMD*VB", "MEM_LUT", "lcm(4,SIMD)*VB (RAM word)", "1"), _encoder, ENC_FF, _encoder_ff),
    "latency": FitKind("latency", ("SIMD*VB", "MEM_LUT", "lcm(4,SIMD)*VB (RAM word)", "1"), _encoder, ENC_FF,
                       _encoder_ff),
    "unpack": FitKind("unpack", ("SIMD", "MEM_LUT", "lcm(32,SIMD) (RAM word)", "1"), _encoder, ENC_FF, _encoder_ff),
    "iq_event": FitKind("iq_event", ("clog2(G)", "CNTW", "1"), _iq_event),
    "iq_frame": FitKind("iq_frame", ("SIMD*clog2(G*G)", "clog2(G*G)", "CNTW", "1"), _iq_frame),
}


def fit_kind(spec: StageSpec) -> str:
    """The fitted module family of an RTL stage (the key of FIT_KINDS)."""
    if spec.kind in (HwKind.SPIKING_DENSE, HwKind.DENSE_READOUT):
        return "dense"
    if spec.kind is HwKind.SPIKING_CONV:
        return "conv_event" if spec.event else "conv"
    if spec.kind is HwKind.SPIKE_POOL:
        return "pool"
    if spec.kind is HwKind.SPIKE_COUNTER:
        return "counter"
    if spec.input_kind is InputKind.IQ:
        return "iq_event" if spec.event else "iq_frame"
    return {InputKind.RATE: "rate", InputKind.LATENCY: "latency", InputKind.SPIKES: "unpack"}[spec.input_kind]


def terms(spec: StageSpec) -> tuple[float, ...]:
    """The LUT fit terms of an RTL stage (FIT_KINDS[fit_kind(spec)])."""
    return FIT_KINDS[fit_kind(spec)].fn(spec)


def ff_terms(spec: StageSpec) -> tuple[float, ...]:
    """The FF fit terms of an RTL stage (its kind's ``ff_fn``, else its LUT terms)."""
    kind = FIT_KINDS[fit_kind(spec)]
    return (kind.ff_fn or kind.fn)(spec)


def memories(spec: StageSpec) -> list[Resources]:
    """The memories of an RTL stage whose block RAMs yosys' rule counts: dense and conv ROMs and RAMs, the
    encoders' input buffers (the pool's row accumulator, the counter's counts and the I/Q encoders' registers
    are small: logic or LUT-RAM, inside the fit)."""
    kind = fit_kind(spec)
    if kind == "dense":
        return dense_memories(spec)
    if kind in ("conv", "conv_event"):
        return conv_memories(spec)
    if kind in ("rate", "latency", "unpack"):
        return encoder_memories(spec)
    return []
