"""HLS facts of the stages over spike maps: SpikingConv (conv_neuron, conv_event_neuron) and SpikePool
(maxpool_or), hls/snn_conv.h.

Cycles, with NF = COUT/PE neuron folds, SF = K*K*CIN/SIMD synapse folds, HO x WO the output map and
OUT_SIMD the output word width (the consumer's SIMD):

=============================  ================================================  ========================
stage (kernel)                 cycles per timestep                               cycles per sample
=============================  ================================================  ========================
SpikingConv (conv_neuron)      H*W*CIN/SIMD + HO*WO*NF*SF + HO*WO*COUT/OUT_SIMD  T * per timestep
SpikingConv event=1            HO*WO*NF + HO*WO*COUT/OUT_SIMD                    T * per timestep
  (conv_event_neuron)
SpikePool (maxpool_or)         H*W*C/SIMD                                        T * per timestep
=============================  ================================================  ========================

The conv kernels take either neuron policy (LIF / DCLL) with the same loops. A SpikePool's words are
its SIMD wide at both ends, so its SIMD is also its consumer's SIMD and its producer's OUT_SIMD: a
chain conv -> pool -> conv shares one width across the pool. An event-driven conv reads one event
word per timestep from an iq SpikeInput and has no SIMD (1).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.cost import KERNEL_CONTROL, Resources, clog2, counters, memory, mux_luts, neuron_update, synapse
from snn2fpga.hwir.facts import Attrs, Dim, SpikingOutputFacts, StageFacts
from snn2fpga.hwir.hls_dense import read_layer
from snn2fpga.hwir.spec import HwKind, NodeCycles, StageSpec


def event_simd_error(name: str, value: int) -> str:
    """The error of a SIMD other than 1 on an event-driven convolution."""
    return (f"node {name}: SIMD={value} but an event-driven convolution (event=1) reads one event word per "
            "timestep and has no SIMD; legal values: 1")


def check_window(spec: StageSpec) -> None:
    """The K x K window (with stride and padding) must leave an output map of at least 1 x 1."""
    ho, wo = spec.out_hw
    if ho < 1 or wo < 1:
        raise SNN2FPGAError(f"node {spec.name}: kernel {spec.kernel} does not fit the {list(spec.maps)} map")


class SpikingConvFacts(SpikingOutputFacts, StageFacts):
    """A spiking convolution: conv_neuron (frame-buffered) or conv_event_neuron (``event = 1``)."""

    kind = HwKind.SPIKING_CONV
    folding_attrs = ("PE", "SIMD")
    out_width_label = "OUT_SIMD"
    windowed = True
    fires = True

    def read(self, attr: Attrs, common: dict[str, Any]) -> StageSpec:
        cin = int(attr("CIN"))
        return StageSpec(
            n_in=cin, n_out=int(attr("COUT")), maps=(cin, int(attr("H")), int(attr("W"))), kernel=int(attr("K")),
            stride=int(attr("STRIDE", 1)), pad=int(attr("PAD", 0)), event=bool(int(attr("event", 0))),
            **read_layer(attr, fires=True), **common,
        )

    def pe_dim(self, spec: StageSpec) -> Dim | None:
        return spec.n_out, "COUT"

    def simd_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_in, "CIN")]

    def out_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_out, "COUT")]

    def group_simd_dims(self, spec: StageSpec) -> list[Dim]:
        extra = [(1, "1 (event-driven convolution)")] if spec.event else []
        return self.simd_dims(spec) + extra

    def check_simd(self, spec: StageSpec, value: int) -> None:
        if spec.event and value != 1:
            raise SNN2FPGAError(event_simd_error(spec.name, value))

    def check_shape(self, spec: StageSpec) -> None:
        if spec.event and spec.n_in != 1:
            raise SNN2FPGAError(f"node {spec.name}: the event-driven convolution needs CIN == 1, got {spec.n_in}")
        self.check_simd(spec, spec.simd)
        check_window(spec)

    def reads_events(self, spec: StageSpec) -> bool:
        return spec.event

    def synapses(self, spec: StageSpec) -> int:
        return spec.kernel * spec.kernel * spec.n_in

    def cycles(self, spec: StageSpec) -> NodeCycles:
        folds, nf = spec.n_in // spec.simd, spec.n_out // spec.pe
        pix, write = spec.pixels, spec.pixels * (spec.n_out // spec.out_simd)
        if spec.event:
            per_ts = pix * nf + write
        else:
            per_ts = spec.in_pixels * folds + pix * nf * (spec.kernel * spec.kernel * folds) + write
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        """With NF = COUT/PE, CF = CIN/SIMD, SF = K*K*CF, N = COUT*HO*WO neurons, B = bits of state per
        neuron (S for LIF, 3*S + 1 for DCLL), L = lcm(PE, OUT_SIMD):

        * neuron state: RAM of N/PE words of PE*B bits (``mem``, partitioned by PE) -- the big one (a
          32x32 map of 32 DCLL channels with 24-bit traces is 32*32*32*73 bits = 2.4 Mbit, 66 BRAM36
          at best);
        * thresholds: ROM of NF words of PE*S bits; output spike frame: RAM of N/L words of L bits;
        * frame: weights, ROM of NF*SF words of PE*SIMD*weight_bits bits; input frame buffer, RAM of
          H*W*CF words of SIMD bits (H*W*CIN bits); the PE*SIMD masked adders (synapse);
        * event: no frame buffer; weights, ROM of NF*K*K words of PE*weight_bits bits (COUT x K*K
          weights); per lane the weight gated by the tap hit (weight_bits LUT), no adder;
        * window address: with A = clog2(max(H, W) + 2*PAD) + 1 signed coordinate bits, two coordinate
          adds and four bound compares (6*A LUT), plus the frame address (iy*W + ix)*CF + cg (frame,
          2*clog2(H*W*CF) LUT) or the tap index ky*K + kx (event, 2*clog2(K*K) LUT);
        * the neuron update (LIF or DCLL), the loop counters (of HO*WO, HO, WO, NF,
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
            + neuron_update(spec, fires=True)
            + KERNEL_CONTROL
            + Resources(lut=6 * coord, ff=spec.out_simd)
        )
        if spec.event:
            return (total + memory(pe * wb, nf * taps, rom=True) + Resources(lut=pe * wb + 2 * clog2(taps))
                    + counters(*loops))
        return (total + memory(pe * simd * wb, nf * taps * cf, rom=True)
                + memory(simd, height * width * cf, rom=False) + synapse(spec)
                + Resources(lut=2 * clog2(height * width * cf))
                + counters(*loops, taps * cf, spec.kernel, spec.kernel, cf))


class SpikePoolFacts(StageFacts):
    """OR pooling (maxpool_or): K x K windows with stride K, SIMD channels per word in and out."""

    kind = HwKind.SPIKE_POOL
    joins_consumer_group = True
    out_width_label = "OUT_SIMD"
    windowed = True

    def read(self, attr: Attrs, common: dict[str, Any]) -> StageSpec:
        c, k = int(attr("C")), int(attr("K"))
        return StageSpec(n_in=c, n_out=c, out_simd=common["simd"], maps=(c, int(attr("H")), int(attr("W"))),
                         kernel=k, stride=k, **common)

    def simd_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_in, "C")]

    def out_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_out, "C")]

    def check_shape(self, spec: StageSpec) -> None:
        check_window(spec)
        if spec.out_simd != spec.simd:
            raise SNN2FPGAError(f"node {spec.name}: a SpikePool's output words are its SIMD ({spec.simd}) wide, "
                                f"but OUT_SIMD={spec.out_simd}")

    def out_width(self, spec: StageSpec) -> int | None:
        return spec.out_simd

    def with_consumer(self, spec: StageSpec, consumer: StageSpec | None) -> StageSpec:
        simd = consumer.simd if consumer is not None else spec.simd
        return replace(spec, simd=simd, out_simd=simd)

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = spec.in_pixels * (spec.n_in // spec.simd)
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        """CF = C/SIMD. The row accumulator: RAM of WO*CF words of SIMD bits (one row of pooled words);
        the window-row OR ``hacc``: C bits of registers (one LUT each for load / hold), read through a
        CF:1 mux of SIMD bits (:func:`~snn2fpga.hwir.cost.mux_luts`); the two SIMD-bit ORs (column and
        row merge); the loop counters (of H, W, CF, K, K, WO); the SIMD-bit output register and control."""
        c, height, width = spec.maps
        _, wo = spec.out_hw
        simd = spec.simd
        cf = c // simd
        return (memory(simd, wo * cf, rom=False) + Resources(lut=c + simd * mux_luts(cf) + 2 * simd, ff=c + simd)
                + counters(height, width, cf, spec.kernel, spec.kernel, wo) + KERNEL_CONTROL)
