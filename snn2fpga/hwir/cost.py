"""Resources and the cost primitives every stage's resource formula is made of.

In the spirit of FINN's ``estimate_layer_resources``: analytical formulas in the folding parameters,
good to tens of percent, meant to rank foldings and to tell early whether a design fits a board, not
to replace the Vivado utilization report. Conventions (7-series / UltraScale+ fabric, 100 MHz):

* an n-bit add, subtract or magnitude compare costs n LUTs (one LUT6 per bit on the carry chain);
  a 2:1 mux of n bits costs n LUTs;
* memories follow :func:`memory` (LUTRAM, registers or BRAM by size);
* every kernel pays :data:`KERNEL_CONTROL` for its loop counters, FSM and stream handshakes, and the
  design pays :data:`IP_OVERHEAD` once for its AXI interfaces.

The weight memory is modelled as FINN does: one memory of NF*SF words of PE*SIMD*weight_bits bits,
the PE*SIMD weights read in one cycle sharing one address. Every per-neuron array partitioned cyclic
by PE in the kernels (membranes, DCLL traces, thresholds) is likewise one memory of PE lanes per word.
BRAM36 counts are in halves (a RAMB18 counts 0.5, as Vivado reports it).

The formulas of each stage are its facts' ``resources`` (:mod:`snn2fpga.hwir.hls_io`,
:mod:`~snn2fpga.hwir.hls_dense`, :mod:`~snn2fpga.hwir.hls_maps`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from snn2fpga.hwir.spec import NeuronKind, StageSpec
from snn2fpga.semantics.neuron import LeakMode


@dataclass(frozen=True)
class Resources:
    """Programmable-logic resources: LUT6s, flip-flops, 36-Kbit block RAMs (in halves), DSP slices."""

    lut: int = 0
    ff: int = 0
    bram36: float = 0.0
    dsp: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.lut + other.lut, self.ff + other.ff, self.bram36 + other.bram36, self.dsp + other.dsp)

    def to_dict(self) -> dict[str, float]:
        """The four counts as a JSON-able dict."""
        return asdict(self)


# A LUT6 holds 64x1 bits as distributed ROM or single-port RAM; a simple-dual-port RAM (read and write
# in the same cycle at different addresses, as the pipelined membrane update does) needs two.
LUTRAM_DEPTH = 64
# Below this size a memory is cheaper in LUTs than in a 18-Kbit BRAM it would mostly waste.
LUTRAM_MAX_BITS = 16 * 1024
# RAMB18 simple-dual-port aspect ratios (width bits, depth words); a RAMB36 is two RAMB18.
BRAM18_SHAPES = ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512))
# Loop counters (t, nf, sf, ...), the FSM of the pipelined loops, stream valid/ready handling.
KERNEL_CONTROL = Resources(lut=120, ff=150)
# Once per design: the AXI-Lite control slave (ap_ctrl_hs + sample/timestep registers, ~200 LUT / 300 FF
# in Vitis HLS reports), the AXI-Stream input and output ports with register slices (~100 / 250), the
# top's sample loop, DATAFLOW start/done synchronisation and the depth-2 FIFOs between stages
# (~300 / 350). The AXI DMA and interconnect of the Vivado block design are outside the IP and not counted.
IP_OVERHEAD = Resources(lut=600, ff=900)
INPUT_BITS = 8  # features are uint8
DSP_MULT_WIDTH = 25  # signed input width of a DSP48 multiplier port (the 18-bit port takes beta_q)


def clog2(n: int) -> int:
    """ceil(log2(n)) for n >= 1 (0 for n = 1): bits of an index into n things."""
    return (n - 1).bit_length()


def memory(width: int, depth: int, *, rom: bool) -> Resources:
    """An array of ``depth`` words of ``width`` bits.

    Rule: a RAM of depth 1 is a register (FF = width, LUT = width for its per-bit write-enable / hold
    logic); depth < 64 or width*depth < 16 Kbit is
    distributed memory, LUT = width * ceil(depth/64) (twice that for a RAM, which is read and written in
    the same cycle); otherwise block RAM,
    RAMB18 = min over the RAMB18 aspect ratios (w, d) of ceil(width/w) * ceil(depth/d), BRAM36 = RAMB18/2.
    This is the rule of the HLS kernels' estimates; the RTL backend's memories follow yosys' own mapping rule
    (:mod:`snn2fpga.hwir.yosys_memory`), which is not a size threshold.
    """
    if width <= 0 or depth <= 0:
        return Resources()
    if depth == 1 and not rom:
        return Resources(lut=width, ff=width)
    if depth < LUTRAM_DEPTH or width * depth < LUTRAM_MAX_BITS:
        per_bit = 1 if rom else 2
        return Resources(lut=per_bit * width * math.ceil(depth / LUTRAM_DEPTH))
    bram18 = min(math.ceil(width / w) * math.ceil(depth / d) for w, d in BRAM18_SHAPES)
    return Resources(bram36=bram18 / 2)


def acc_bits(spec: StageSpec) -> int:
    """Accumulator width of a dense / conv stage, bits: max(state_bits, weight_bits + clog2(SYN)) + 2 with
    SYN = IN (dense, hls/snn_dense.h) or K*K*CIN (conv, hls/snn_conv.h)."""
    return max(spec.state_bits, spec.weight_bits + clog2(spec.synapses)) + 2


def adder_tree_luts(simd: int, weight_bits: int) -> int:
    """LUTs of the balanced tree adding SIMD masked weights: each level halves the operands and grows one bit.

    The spike mask (AND) fits in the first level's LUT6s beside the add, so it costs nothing extra.
    """
    total, n, width = 0, simd, weight_bits
    while n > 1:
        width += 1
        total += (n // 2) * width
        n = -(-n // 2)
    return total


def synapse(spec: StageSpec) -> Resources:
    """The PE*SIMD masked adders of a dense / conv stage.

    LUT = PE * (tree(SIMD, weight_bits) + ACC): per neuron lane a tree of SIMD masked weights
    (:func:`adder_tree_luts`) and the ACC-bit add of the partial sum. FF = PE * (ACC + tree/2): the
    partial sum register, and pipeline registers after about every second tree level at 100 MHz.
    """
    tree = adder_tree_luts(spec.simd, spec.weight_bits)
    acc = acc_bits(spec)
    return Resources(lut=spec.pe * (tree + acc), ff=spec.pe * (acc + tree // 2))


def neuron_update(spec: StageSpec, *, fires: bool) -> Resources:
    """The PE parallel neuron updates of a dense / conv stage: :func:`dcll_update` for a firing DCLL
    stage, else LIF (``fires``) or the LI readout.

    LIF / LI (leak, integrate, saturate, fire, reset):

    Per lane with S = state_bits: leak SHIFT one S-bit subtract (V - (V >> k)), MULT a DSP (no LUT),
    NONE nothing; integrate an ACC-bit add; saturate an S-bit compare-and-clamp; LIF also fires (S-bit
    compare with theta) and resets (S-bit subtract and mux). FF = PE * (2*S + 1): leaked and integrated
    membrane pipeline registers and the spike. DSP = PE (2 per lane when S > 25 bits) for MULT, else 0.
    """
    if spec.neuron is NeuronKind.DCLL and fires:
        return dcll_update(spec)
    s = spec.state_bits
    leak_lut = s if spec.leak is LeakMode.SHIFT else 0
    lut = leak_lut + acc_bits(spec) + s
    if fires:
        lut += s + 2 * s
    dsp = (1 if s <= DSP_MULT_WIDTH else 2) if spec.leak is LeakMode.MULT else 0
    return Resources(lut=spec.pe * lut, ff=spec.pe * (2 * s + 1), dsp=spec.pe * dsp)


def dcll_update(spec: StageSpec) -> Resources:
    """The PE parallel DCLL updates (hls/snn_neurons.h): no multiplier, all shift leaks.

    Per lane with S = state_bits: three shift-subtract-add-saturate units, Q' = sat(Q - (Q >> KQ) + I)
    (S + ACC + S LUT), P' = sat(P - (P >> KP) + Q) and R' = sat(R - (R >> KR) - RHO*S) (3*S LUT each:
    subtract, add of an S-bit operand, clamp); U = sat(P' + R') (2*S); the compare U >= theta (S).
    LUT = PE * (11*S + ACC). FF = PE * (2*(3*S + 1)): the read and the written Q, P, R, S registers of
    the update pipeline. DSP = 0.
    """
    s = spec.state_bits
    return Resources(lut=spec.pe * (11 * s + acc_bits(spec)), ff=spec.pe * 2 * (3 * s + 1))


def xor_luts(fan_in: int) -> int:
    """LUT6s of an XOR of ``fan_in`` bits: the first LUT takes 6 inputs, each further one 5 more."""
    return 0 if fan_in <= 1 else math.ceil((fan_in - 1) / 5)


def mux_luts(n: int) -> int:
    """LUT6s per bit of an n:1 multiplexer (a LUT6 is a 4:1 mux: each further LUT takes 3 more inputs)."""
    return 0 if n <= 1 else math.ceil((n - 1) / 3)


def counters(*sizes: int) -> Resources:
    """Loop counters / coordinates counting to each of ``sizes``: clog2(size) bits each, one LUT (increment
    and wrap) and one FF per bit. The generic loop FSM and handshakes are :data:`KERNEL_CONTROL`."""
    bits = sum(clog2(n) for n in sizes)
    return Resources(lut=bits, ff=bits)
