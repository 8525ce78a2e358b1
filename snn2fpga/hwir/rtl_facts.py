"""Facts of the RTL backend's stages (rtl/*.sv) where they differ from the HLS kernels': cycles and resources.

Each class overrides ``cycles`` with the steady-state schedule its module documents (never stalled):
per timestep, and per sample = the interval between consecutive samples of that stage alone. The whole-design
latency and interval of an RTL top come from the schedule replay in :mod:`snn2fpga.estimate.rtl_schedule`,
which a test holds equal to Verilator's count.

Resources of every RTL stage come from formulas fitted to yosys ``synth_xilinx`` results over a grid of
configurations per module kind (bench/rtl_fit.py; terms in :mod:`snn2fpga.hwir.rtl_fit_terms`, coefficients
and residuals in bench/results/rtl_fit.json, quoted in bench/HARDWARE.md): LUT (logic + LUT-RAM) and FF are
``sum(coefficient * term)``; block RAMs follow yosys' own memory rule (:mod:`snn2fpga.hwir.yosys_memory`).
DSPs: none measured on the grids (shift leaks); a ``mult`` leak counts one DSP48 per neuron lane (two above
25-bit states) as the HLS formula does, not yet checked against yosys.
"""

from __future__ import annotations

from snn2fpga.hwir.cost import DSP_MULT_WIDTH, Resources
from snn2fpga.hwir.hls_dense import DenseReadoutFacts, SpikingDenseFacts
from snn2fpga.hwir.hls_io import SpikeCounterFacts, SpikeInputFacts
from snn2fpga.hwir.hls_maps import SpikePoolFacts, SpikingConvFacts
from snn2fpga.hwir.rtl_fit_terms import ff_terms, fit_kind, memories, terms
from snn2fpga.hwir.spec import HwKind, InputKind, NodeCycles, StageSpec
from snn2fpga.semantics.neuron import LeakMode

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


    def resources(self, spec: StageSpec) -> Resources:
        return fitted_resources(spec)

def _iterations(spec: StageSpec) -> int:
    """P = (OUT/PE) * (IN/SIMD): the dense engine's iterations per timestep, one per cycle."""
    return (spec.n_out // spec.pe) * (spec.n_in // spec.simd)


# yosys 0.70 synth_xilinx fits (bench/results/rtl_fit.json "kinds"): per module kind, the coefficients of its
# terms (rtl_fit_terms.FIT_KINDS) for LUT and for FF. tests/estimate/test_rtl_fit.py ties them to the JSON.
RTL_FITS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "dense": ((2.209243, 8.950968, 0.069851, 225.556262),
              (0.072727, 4.813448, 0.012409, 27.638983)),
    "conv": ((-0.92533, 17.228373, 4.286565, -231.890687, 20.526719, -23.504868),
             (1.217621, 0.005783, -0.099092, 21.910981, 2.933363, 113.051894)),
    "conv_event": ((18.65785, -1.168089, -1.511945, 0.266478, 160.375427),
                   (7.055034, -1.288503, -1.235922, 0.114508, 124.414676)),
    "pool": ((-0.641703, 2.454536, 0.208665, 43.14704),
             (-1.212628, 1.24276, 0.276698, 31.235945)),
    "counter": ((3.148319, -1.285934, 31.218567),
                (2.00969, -0.013649, 11.335658)),
    "rate": ((3.37233, 1.24442, 0.952575, 37.081443),
             (0.209691, 0.840937, 11.226591, -25.127436)),
    "latency": ((0.103978, 0.963963, 1.783513, 96.002443),
                (0.110135, 0.914897, 9.261578, -35.617694)),
    "unpack": ((-0.460765, 1.076647, 1.43553, 0.04486),
               (-0.269341, -0.102425, 4.406877, -0.003201)),
    "iq_event": ((4.7, 1.3, 17.3),
                 (6.0, 1.0, 19.0)),
    "iq_frame": ((0.515558, -5.791845, 14.828326, 1.636266),
                 (0.166845, 3.111588, 1.124464, 11.719957)),
}


def fitted_resources(spec: StageSpec) -> Resources:
    """LUT / FF of an RTL stage from its kind's yosys fit, BRAM36 by yosys' memory rule, DSP (see module doc)."""
    lut_c, ff_c = RTL_FITS[fit_kind(spec)]
    lut = round(sum(c * x for c, x in zip(lut_c, terms(spec), strict=True)))
    ff = round(sum(c * x for c, x in zip(ff_c, ff_terms(spec), strict=True)))
    dsp = 0
    if spec.leak is LeakMode.MULT and spec.kind is not HwKind.SPIKE_INPUT:
        dsp = spec.pe * (1 if spec.state_bits <= DSP_MULT_WIDTH else 2)
    return Resources(lut=max(0, lut), ff=max(0, ff), bram36=sum(m.bram36 for m in memories(spec)), dsp=dsp)


class SpikingDenseRtlFacts(SpikingDenseFacts):
    """snn_dense_lif: P cycles per timestep, input reading overlapped with fold 0, the output words of a
    timestep sent while the next one computes (two output banks); the output sets the pace when it needs
    more than P cycles per timestep."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = max(_iterations(spec), spec.n_out // spec.out_simd)
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        return fitted_resources(spec)


class DenseReadoutRtlFacts(DenseReadoutFacts):
    """snn_dense_li: P cycles per timestep; the OUT scores leave while the next sample computes."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = _iterations(spec)
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        return fitted_resources(spec)


class SpikeCounterRtlFacts(SpikeCounterFacts):
    """snn_spike_counter: one word per cycle; a sample every max(T*C/SIMD, C + 1) cycles (the counts of one
    sample leave while the next is counted)."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        folds = spec.n_in // spec.simd
        return NodeCycles(folds, max(spec.timesteps * folds, spec.n_in + 1))

    def resources(self, spec: StageSpec) -> Resources:
        return fitted_resources(spec)


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

    def resources(self, spec: StageSpec) -> Resources:
        return fitted_resources(spec)


class SpikePoolRtlFacts(SpikePoolFacts):
    """snn_maxpool_or: one input word per cycle, no bubble between timesteps or samples."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = spec.in_pixels * spec.n_in // spec.simd
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        return fitted_resources(spec)


