"""Resource estimates (LUT, FF, BRAM36, DSP) of the hardware stages, one documented formula each.

In the spirit of FINN's ``estimate_layer_resources``: analytical formulas in the folding parameters,
good to tens of percent, meant to rank foldings and to tell early whether a design fits a board, not
to replace the Vivado utilization report. Conventions (7-series / UltraScale+ fabric, 100 MHz):

* an n-bit add, subtract or magnitude compare costs n LUTs (one LUT6 per bit on the carry chain);
  a 2:1 mux of n bits costs n LUTs;
* memories follow :func:`memory` (LUTRAM, registers or BRAM by size);
* every kernel pays :data:`KERNEL_CONTROL` for its loop counters, FSM and stream handshakes, and the
  design pays :data:`IP_OVERHEAD` once for its AXI interfaces (:func:`design_overhead`).

The weight memory is modelled as FINN does: one memory of NF*SF words of PE*SIMD*weight_bits bits,
the PE*SIMD weights read in one cycle sharing one address. Every per-neuron array partitioned cyclic
by PE in the kernels (membranes, DCLL traces, thresholds) is likewise one memory of PE lanes per word.
BRAM36 counts are in halves (a RAMB18 counts 0.5, as Vivado reports it).

Formulas per stage (S = state_bits, ACC = :func:`acc_bits`, B = :attr:`StageSpec.neuron_state_bits`:
S for LIF / LI, 3*S + 1 for DCLL):

* SpikeInput: :func:`spike_input` (rate / latency / spikes / iq);
* SpikingDense / DenseReadout (dense_lif, dense_dcll, dense_li): :func:`dense`;
* SpikingConv (conv_neuron, conv_event_neuron): :func:`conv` -- the neuron state memory
  COUT*HO*WO*B bits dominates a convolution over a large map (a 32x32 map of 32 DCLL channels with
  24-bit traces is 32*32*32*73 bits = 2.4 Mbit, 66 BRAM36 at best);
* SpikePool (maxpool_or): :func:`pool`; SpikeCounter: :func:`spike_counter`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

from snn2fpga.estimate.cycles import AXI_WORD_BITS, HwKind, InputKind, NeuronKind, StageSpec, check_spec
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
# The rate encoder's 32-bit Galois LFSR (hls/snn_common.h): polynomial mask, steps per random byte.
LFSR_MASK = 0x80200003
LFSR_BITS = 32
LFSR_STEPS_PER_BYTE = 8
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
    """The PE*SIMD masked adders of a dense stage.

    LUT = PE * (tree(SIMD, weight_bits) + ACC): per neuron lane a tree of SIMD masked weights
    (:func:`adder_tree_luts`) and the ACC-bit add of the partial sum. FF = PE * (ACC + tree/2): the
    partial sum register, and pipeline registers after about every second tree level at 100 MHz.
    """
    tree = adder_tree_luts(spec.simd, spec.weight_bits)
    acc = acc_bits(spec)
    return Resources(lut=spec.pe * (tree + acc), ff=spec.pe * (acc + tree // 2))


def neuron_update(spec: StageSpec) -> Resources:
    """The PE parallel neuron updates of a dense / conv stage: :func:`dcll_update` for DCLL, else LIF / LI.

    LIF / LI (leak, integrate, saturate, fire, reset):

    Per lane with S = state_bits: leak SHIFT one S-bit subtract (V - (V >> k)), MULT a DSP (no LUT),
    NONE nothing; integrate an ACC-bit add; saturate an S-bit compare-and-clamp; LIF also fires (S-bit
    compare with theta) and resets (S-bit subtract and mux). FF = PE * (2*S + 1): leaked and integrated
    membrane pipeline registers and the spike. DSP = PE (2 per lane when S > 25 bits) for MULT, else 0.
    """
    if spec.neuron is NeuronKind.DCLL and spec.kind is not HwKind.DENSE_READOUT:
        return dcll_update(spec)
    s = spec.state_bits
    leak_lut = s if spec.leak is LeakMode.SHIFT else 0
    lut = leak_lut + acc_bits(spec) + s
    if spec.kind is not HwKind.DENSE_READOUT:
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


def dense(spec: StageSpec) -> Resources:
    """A SpikingDense / DenseReadout stage (dense_lif, dense_dcll, dense_li).

    Weights: ROM of NF*SF words of PE*SIMD*weight_bits bits (:func:`memory`). Neuron state: RAM of NF
    words of PE*B bits (partitioned by PE; B = state_bits, DCLL 3*state_bits + 1). Spiking (LIF / DCLL)
    also: thresholds, ROM of NF words of PE*state_bits bits, and the spike buffer, RAM of OUT/L words of
    L bits with L = lcm(PE, OUT_SIMD). Input buffer: RAM of SF words of SIMD bits (a dense reading a
    spike map buffers the whole flattened map). Plus :func:`synapse`, :func:`neuron_update` and the
    kernel control.
    """
    nf, sf = spec.n_out // spec.pe, spec.n_in // spec.simd
    total = (
        memory(spec.pe * spec.simd * spec.weight_bits, nf * sf, rom=True)
        + memory(spec.pe * spec.neuron_state_bits, nf, rom=False)
        + memory(spec.simd, sf, rom=False)
        + synapse(spec)
        + neuron_update(spec)
        + KERNEL_CONTROL
    )
    if spec.kind is HwKind.SPIKING_DENSE:
        lanes = math.lcm(spec.pe, spec.out_simd)
        total += memory(spec.pe * spec.state_bits, nf, rom=True) + memory(lanes, spec.n_out // lanes, rom=False)
        total += Resources(ff=spec.out_simd)  # output word register
    return total


def xor_luts(fan_in: int) -> int:
    """LUT6s of an XOR of ``fan_in`` bits: the first LUT takes 6 inputs, each further one 5 more."""
    return 0 if fan_in <= 1 else math.ceil((fan_in - 1) / 5)


@lru_cache(maxsize=256)
def lfsr_xor_luts(simd: int) -> int:
    """LUTs of the rate encoder's unrolled LFSR for SIMD lanes per cycle.

    The LFSR advances 8 steps per lane, 8*SIMD steps per cycle, all unrolled: every bit computed in a
    cycle is an XOR of state bits, found by stepping the GF(2) transition of the Galois LFSR (each
    output bit kept as the mask of state bits it depends on). Counted: the 8 random bits of each lane
    and the 32 bits of the next state, each :func:`xor_luts` of its fan-in.
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


def mux_luts(n: int) -> int:
    """LUT6s per bit of an n:1 multiplexer (a LUT6 is a 4:1 mux: each further LUT takes 3 more inputs)."""
    return 0 if n <= 1 else math.ceil((n - 1) / 3)


def counters(*sizes: int) -> Resources:
    """Loop counters / coordinates counting to each of ``sizes``: clog2(size) bits each, one LUT (increment
    and wrap) and one FF per bit. The generic loop FSM and handshakes are :data:`KERNEL_CONTROL`."""
    bits = sum(clog2(n) for n in sizes)
    return Resources(lut=bits, ff=bits)


def conv(spec: StageSpec) -> Resources:
    """A SpikingConv stage: conv_neuron (frame) or conv_event_neuron (event = 1), hls/snn_conv.h.

    With NF = COUT/PE, CF = CIN/SIMD, SF = K*K*CF, N = COUT*HO*WO neurons, B = bits of state per neuron
    (S for LIF, 3*S + 1 for DCLL), L = lcm(PE, OUT_SIMD):

    * neuron state: RAM of N/PE words of PE*B bits (``mem``, partitioned by PE) -- the big one;
    * thresholds: ROM of NF words of PE*S bits; output spike frame: RAM of N/L words of L bits;
    * frame: weights, ROM of NF*SF words of PE*SIMD*weight_bits bits; input frame buffer, RAM of
      H*W*CF words of SIMD bits (H*W*CIN bits); the PE*SIMD masked adders (:func:`synapse`);
    * event: no frame buffer; weights, ROM of NF*K*K words of PE*weight_bits bits (COUT x K*K
      weights); per lane the weight gated by the tap hit (weight_bits LUT), no adder;
    * window address: with A = clog2(max(H, W) + 2*PAD) + 1 signed coordinate bits, two coordinate
      adds and four bound compares (6*A LUT), plus the frame address (iy*W + ix)*CF + cg (frame,
      2*clog2(H*W*CF) LUT) or the tap index ky*K + kx (event, 2*clog2(K*K) LUT);
    * :func:`neuron_update` (LIF or DCLL), the loop counters (:func:`counters` of HO*WO, HO, WO, NF,
      HO*WO*COUT/OUT_SIMD and, frame only, SF, K, K, CF), the OUT_SIMD-bit output register, control.
    """
    (_, height, width), (ho, wo) = spec.maps, spec.out_hw
    pe, simd, wb, s = spec.pe, spec.simd, spec.weight_bits, spec.state_bits
    nf, cf, taps = spec.n_out // pe, spec.n_in // simd, spec.kernel * spec.kernel
    neurons = spec.neurons
    lanes = math.lcm(pe, spec.out_simd)
    coord = clog2(max(height, width) + 2 * spec.pad) + 1
    loops = (ho * wo, ho, wo, nf, ho * wo * (spec.n_out // spec.out_simd))
    total = (
        memory(pe * spec.neuron_state_bits, neurons // pe, rom=False)
        + memory(pe * s, nf, rom=True)
        + memory(lanes, neurons // lanes, rom=False)
        + neuron_update(spec)
        + KERNEL_CONTROL
        + Resources(lut=6 * coord, ff=spec.out_simd)
    )
    if spec.event:
        return (total + memory(pe * wb, nf * taps, rom=True) + Resources(lut=pe * wb + 2 * clog2(taps))
                + counters(*loops))
    return (total + memory(pe * simd * wb, nf * taps * cf, rom=True) + memory(simd, height * width * cf, rom=False)
            + synapse(spec) + Resources(lut=2 * clog2(height * width * cf))
            + counters(*loops, taps * cf, spec.kernel, spec.kernel, cf))


def pool(spec: StageSpec) -> Resources:
    """A SpikePool stage (maxpool_or, hls/snn_conv.h), SIMD channels per word in and out, CF = C/SIMD.

    The row accumulator: RAM of WO*CF words of SIMD bits (one row of pooled words); the window-row OR
    ``hacc``: C bits of registers (one LUT each for load / hold), read through a CF:1 mux of SIMD bits
    (:func:`mux_luts`); the two SIMD-bit ORs (column and row merge); the loop counters (:func:`counters`
    of H, W, CF, K, K, WO); the SIMD-bit output register and control.
    """
    c, height, width = spec.maps
    _, wo = spec.out_hw
    simd = spec.simd
    cf = c // simd
    return (memory(simd, wo * cf, rom=False) + Resources(lut=c + simd * mux_luts(cf) + 2 * simd, ff=c + simd)
            + counters(height, width, cf, spec.kernel, spec.kernel, wo) + KERNEL_CONTROL)


def spike_counter(spec: StageSpec) -> Resources:
    """A SpikeCounter: count RAM of C/SIMD words of SIMD*N bits (N = clog2(T+1)), SIMD N-bit incrementers
    (N LUT each), the 32-bit output word register and control."""
    n = clog2(spec.timesteps + 1)
    return (memory(spec.simd * n, spec.n_in // spec.simd, rom=False) + Resources(lut=spec.simd * n, ff=32)
            + KERNEL_CONTROL)


def stage_resources(spec: StageSpec) -> Resources:
    """Resources of one stage (dispatch on its kind); raises for an illegal folding."""
    check_spec(spec)
    if spec.kind is HwKind.SPIKE_INPUT:
        return iq_input(spec) if spec.input_kind is InputKind.IQ else spike_input(spec)
    if spec.kind is HwKind.SPIKE_COUNTER:
        return spike_counter(spec)
    if spec.kind is HwKind.SPIKING_CONV:
        return conv(spec)
    if spec.kind is HwKind.SPIKE_POOL:
        return pool(spec)
    return dense(spec)


def design_overhead() -> Resources:
    """The once-per-design cost of the IP's AXI interfaces and dataflow control (:data:`IP_OVERHEAD`)."""
    return IP_OVERHEAD


def total_resources(specs: list[StageSpec]) -> Resources:
    """Sum of all stages plus the design overhead."""
    total = design_overhead()
    for spec in specs:
        total += stage_resources(spec)
    return total
