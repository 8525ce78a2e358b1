"""HLS facts of the dense stages: SpikingDense (dense_lif, dense_dcll) and DenseReadout (dense_li).

Cycles (hls/snn_dense.h), with NF = OUT/PE neuron folds, SF = IN/SIMD synapse folds and OUT_SIMD the
output word width (the consumer's SIMD):

=============================  ================================================  ========================
stage (kernel)                 cycles per timestep                               cycles per sample
=============================  ================================================  ========================
SpikingDense (dense_lif/dcll)  SF + NF*SF + OUT/OUT_SIMD                         T * per timestep
DenseReadout (dense_li)        SF + NF*SF                                        T * per timestep + OUT
=============================  ================================================  ========================

The neuron kind (LIF / DCLL) does not change any count: dense_dcll has dense_lif's loops. A
DenseReadout is always the LI readout. A dense layer reading a spike map (``in_maps`` [C, H, W],
streamed NHWC) needs SIMD | C.
"""

from __future__ import annotations

import math
from typing import Any

from snn2fpga.hwir.cost import KERNEL_CONTROL, Resources, memory, neuron_update, synapse
from snn2fpga.hwir.facts import Attrs, Dim, SpikingOutputFacts, StageFacts
from snn2fpga.hwir.spec import HwKind, NeuronKind, NodeCycles, StageSpec
from snn2fpga.semantics.neuron import LeakMode


def read_layer(attr: Attrs, *, fires: bool) -> dict[str, Any]:
    """The synapse and neuron fields of a dense / conv node (a readout's neurons are always LI)."""
    neuron = NeuronKind(attr("neuron", "lif")) if fires else NeuronKind.LIF
    return {"pe": int(attr("PE", 1)), "weight_bits": int(attr("weight_bits")), "state_bits": int(attr("state_bits")),
            "leak": LeakMode(attr("leak", "none")), "neuron": neuron}


class _DenseFacts(StageFacts):
    """The synapse (PE x SIMD masked adders) and neuron update shared by both dense stages."""

    folding_attrs = ("PE", "SIMD")

    def read(self, attr: Attrs, common: dict[str, Any]) -> StageSpec:
        return StageSpec(n_in=int(attr("IN")), n_out=int(attr("OUT")), maps=attr.ints("in_maps"),
                         **read_layer(attr, fires=self.fires), **common)

    def pe_dim(self, spec: StageSpec) -> Dim | None:
        return spec.n_out, "OUT"

    def simd_dims(self, spec: StageSpec) -> list[Dim]:
        dims = [(spec.n_in, "IN")]
        if len(spec.maps) == 3:  # NHWC: a pixel is C/SIMD words
            dims.append((spec.maps[0], f"C of in_maps {list(spec.maps)} (the map is streamed NHWC)"))
        return dims

    def per_timestep(self, spec: StageSpec) -> int:
        """SF + NF*SF: read the SF input words, then NF neuron folds of SF synapse folds."""
        folds = spec.n_in // spec.simd
        return folds + (spec.n_out // spec.pe) * folds

    def resources(self, spec: StageSpec) -> Resources:
        """Weights: ROM of NF*SF words of PE*SIMD*weight_bits bits (:func:`~snn2fpga.hwir.cost.memory`).
        Neuron state: RAM of NF words of PE*B bits (partitioned by PE; B = state_bits, DCLL
        3*state_bits + 1). Input buffer: RAM of SF words of SIMD bits (a dense reading a spike map
        buffers the whole flattened map). Plus the synapse, the neuron update and the kernel control.
        """
        nf, sf = spec.n_out // spec.pe, spec.n_in // spec.simd
        return (
            memory(spec.pe * spec.simd * spec.weight_bits, nf * sf, rom=True)
            + memory(spec.pe * spec.neuron_state_bits, nf, rom=False)
            + memory(spec.simd, sf, rom=False)
            + synapse(spec)
            + neuron_update(spec, fires=self.fires)
            + KERNEL_CONTROL
        )


class SpikingDenseFacts(SpikingOutputFacts, _DenseFacts):
    """A spiking fully connected layer (dense_lif, or dense_dcll for DCLL neurons)."""

    kind = HwKind.SPIKING_DENSE
    out_width_label = "OUT_SIMD"
    fires = True

    def out_dims(self, spec: StageSpec) -> list[Dim]:
        return [(spec.n_out, "OUT")]

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = self.per_timestep(spec) + spec.n_out // spec.out_simd
        return NodeCycles(per_ts, spec.timesteps * per_ts)

    def resources(self, spec: StageSpec) -> Resources:
        """The dense resources, plus the thresholds (ROM of NF words of PE*state_bits bits), the spike
        buffer (RAM of OUT/L words of L bits, L = lcm(PE, OUT_SIMD)) and the output word register."""
        nf = spec.n_out // spec.pe
        lanes = math.lcm(spec.pe, spec.out_simd)
        total = super().resources(spec)
        total += memory(spec.pe * spec.state_bits, nf, rom=True) + memory(lanes, spec.n_out // lanes, rom=False)
        return total + Resources(ff=spec.out_simd)


class DenseReadoutFacts(_DenseFacts):
    """The LI readout (dense_li): emits the OUT final membranes to the host per sample."""

    kind = HwKind.DENSE_READOUT

    def cycles(self, spec: StageSpec) -> NodeCycles:
        per_ts = self.per_timestep(spec)
        return NodeCycles(per_ts, spec.timesteps * per_ts + spec.n_out)
