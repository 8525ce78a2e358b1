"""Facts of the RTL backend's stages (rtl/*.sv) where they differ from the HLS kernels': cycles, dense resources.

Each class overrides ``cycles`` with the steady-state schedule its module documents (never stalled):
per timestep, and per sample = the interval between consecutive samples of that stage alone. The dense
stages' LUT and FF come from formulas fitted to yosys ``synth_xilinx`` results over a grid of
configurations (bench/rtl_fit.py; coefficients and residuals in bench/results/rtl_fit.json, quoted in
bench/HARDWARE.md); the other stages keep the HLS formulas. The whole-design latency and interval of an
RTL top come from the schedule replay in :mod:`snn2fpga.estimate.rtl_schedule`, which a test holds equal to
Verilator's count.
"""

from __future__ import annotations

from snn2fpga.hwir.cost import Resources, memory
from snn2fpga.hwir.hls_dense import DenseReadoutFacts, SpikingDenseFacts
from snn2fpga.hwir.hls_io import SpikeCounterFacts, SpikeInputFacts
from snn2fpga.hwir.hls_maps import SpikePoolFacts, SpikingConvFacts
from snn2fpga.hwir.spec import InputKind, NodeCycles, StageSpec

HOST_WORD_BITS = 32
FEATURES_PER_WORD = 4


class SpikeInputRtlFacts(SpikeInputFacts):
    """snn_rate_encoder / snn_latency_encoder: a sample every max(IW, T*FOLDS) cycles (the next sample's
    features are read while this one is emitted); snn_spike_unpack: a timestep every max(IW, FOLDS)."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        folds = spec.n_in // spec.simd
        if spec.input_kind is InputKind.IQ:  # one event per cycle, or the I/Q frame's words one per cycle
            per_ts = 1 if spec.event else folds
            return NodeCycles(per_ts, spec.timesteps * per_ts)
        if spec.input_kind is InputKind.SPIKES:
            per_ts = max(-(-spec.n_in // HOST_WORD_BITS), folds)
            return NodeCycles(per_ts, spec.timesteps * per_ts)
        return NodeCycles(folds, max(-(-spec.n_in // FEATURES_PER_WORD), spec.timesteps * folds))


def _iterations(spec: StageSpec) -> int:
    """P = (OUT/PE) * (IN/SIMD): the dense engine's iterations per timestep, one per cycle."""
    return (spec.n_out // spec.pe) * (spec.n_in // spec.simd)


# yosys 0.70 synth_xilinx fit of snn_dense_lif (bench/results/rtl_fit.json; LUT residuals <= 10.5 %, FF <= 21 %
# over 10 configurations): coefficients of PE*SIMD*WEIGHT_BITS, PE*STATE_BITS, IN*OUT*WEIGHT_BITS (the weight
# ROM while it stays in LUTs), 1.
FIT_LUT = (2.209243, 8.950968, 0.069851, 225.556262)
FIT_FF = (0.072727, 4.813448, 0.012409, 27.638983)


def dense_rtl_resources(spec: StageSpec) -> Resources:
    """LUT/FF of snn_dense_lif / snn_dense_li from the yosys fit; a weight ROM too large for LUTs (as
    :func:`~snn2fpga.hwir.cost.memory` sizes it) is counted in BRAM instead of its LUT term."""
    nf, sf = spec.n_out // spec.pe, spec.n_in // spec.simd
    rom = memory(spec.pe * spec.simd * spec.weight_bits, nf * sf, rom=True)
    rom_bits = spec.n_in * spec.n_out * spec.weight_bits if rom.bram36 == 0 else 0
    terms = (spec.pe * spec.simd * spec.weight_bits, spec.pe * spec.neuron_state_bits, rom_bits, 1)
    lut = round(sum(c * t for c, t in zip(FIT_LUT, terms, strict=True)))
    ff = round(sum(c * t for c, t in zip(FIT_FF, terms, strict=True)))
    return Resources(lut=lut, ff=ff, bram36=rom.bram36)


class SpikingDenseRtlFacts(SpikingDenseFacts):
    """snn_dense_lif: P cycles per timestep, input reading overlapped with fold 0, the output words of a
    timestep sent while the next one computes (two output banks); the output sets the pace when it needs
    more than P cycles per timestep."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = max(_iterations(spec), spec.n_out // spec.out_simd)
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        return dense_rtl_resources(spec)


class DenseReadoutRtlFacts(DenseReadoutFacts):
    """snn_dense_li: P cycles per timestep; the OUT scores leave while the next sample computes."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = _iterations(spec)
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        return dense_rtl_resources(spec)


class SpikeCounterRtlFacts(SpikeCounterFacts):
    """snn_spike_counter: one word per cycle; a sample every max(T*C/SIMD, C + 1) cycles (the counts of one
    sample leave while the next is counted)."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        folds = spec.n_in // spec.simd
        return NodeCycles(folds, max(spec.timesteps * folds, spec.n_in + 1))


class SpikingConvRtlFacts(SpikingConvFacts):
    """snn_conv: per timestep N fold iterations then max(frame words, output words + 2) (the frame refill
    overlaps the output); snn_conv_event: N + M + 1 (rtl/snn_conv*.sv headers). N = HO*WO*(COUT/PE)*SF,
    M = HO*WO*COUT/OUT_SIMD."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        words = spec.pixels * spec.n_out // spec.out_simd
        if spec.event:
            per_ts = spec.pixels * (spec.n_out // spec.pe) + words + 1
        else:
            folds = spec.pixels * (spec.n_out // spec.pe) * (spec.kernel * spec.kernel * spec.n_in // spec.simd)
            per_ts = folds + max(spec.in_pixels * spec.n_in // spec.simd, words + 2)
        return NodeCycles(per_ts, spec.timesteps * per_ts)


class SpikePoolRtlFacts(SpikePoolFacts):
    """snn_maxpool_or: one input word per cycle, no bubble between timesteps or samples."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = spec.in_pixels * spec.n_in // spec.simd
        return NodeCycles(per_ts, spec.timesteps * per_ts)
