"""One hardware stage as folding, estimates and backends see it: :class:`StageSpec`, and its cycles.

Units: sizes in elements, widths in bits, cycles of the accelerator clock. A stage's kind is the
op_type of its abstract op (domain ``snn2fpga.ops.hw``); its backend is what SpecializeLayers chose
(``hls``, ``rtl``) or ``hw`` while it is still abstract. What is true of a kind on a backend (its
cycles, resources, legal foldings) is its facts class (:mod:`snn2fpga.hwir.facts`), found through
the op class of the node: :attr:`StageSpec.facts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from snn2fpga.semantics.conv import conv_out_size
from snn2fpga.semantics.neuron import LeakMode

if TYPE_CHECKING:
    from snn2fpga.hwir.facts import StageFacts

AXI_WORD_BITS = 32  # host words of the AXI-Stream input
FEATURES_PER_WORD = 4  # 8-bit features per host word
IQ_STEPS_PER_WORD = 2  # (I, Q) byte pairs per host word of the I/Q encoder
OPS_PACKAGE = "snn2fpga.ops"  # the domains of the hardware ops are OPS_PACKAGE.<backend>


class HwKind(StrEnum):
    """The hardware stages (op_type of a ``snn2fpga.ops.hw`` node, without a backend suffix)."""

    SPIKE_INPUT = "SpikeInput"
    SPIKING_DENSE = "SpikingDense"
    DENSE_READOUT = "DenseReadout"
    SPIKE_COUNTER = "SpikeCounter"
    SPIKING_CONV = "SpikingConv"
    SPIKE_POOL = "SpikePool"


class Backend(StrEnum):
    """How a stage is implemented: ``hw`` (abstract, not specialized yet), ``hls`` or ``rtl``.

    A backend's nodes live in domain ``snn2fpga.ops.<backend>`` and their op_type is the kind plus
    ``_<backend>`` (FINN's naming: ``SpikingDense_hls``); abstract nodes have no suffix.
    """

    HW = "hw"
    HLS = "hls"
    RTL = "rtl"

    @property
    def domain(self) -> str:
        """The ONNX domain of this backend's nodes."""
        return f"{OPS_PACKAGE}.{self.value}"

    @property
    def suffix(self) -> str:
        """What this backend appends to the kind in a node's op_type ('' for the abstract op)."""
        return "" if self is Backend.HW else f"_{self.value}"

    def op_type(self, kind: HwKind) -> str:
        """The op_type of a ``kind`` node of this backend (``SpikingDense_rtl``)."""
        return f"{kind.value}{self.suffix}"


class InputKind(StrEnum):
    """What a SpikeInput does: on-chip rate / latency / I/Q-plane encoding, or spike unpacking."""

    RATE = "rate"
    LATENCY = "latency"
    SPIKES = "spikes"
    IQ = "iq"


class NeuronKind(StrEnum):
    """The neuron model of a spiking stage: LIF / IF (``leak`` attributes) or DCLL (kq, kp, kr, rho)."""

    LIF = "lif"
    DCLL = "dcll"


@dataclass(frozen=True)
class NodeCycles:
    """Cycles of one stage: per timestep and per sample (T timesteps plus any per-sample loop)."""

    per_timestep: int
    per_sample: int


@dataclass(frozen=True)
class StageSpec:
    """One hardware stage (all sizes in elements, widths in bits).

    Attributes:
        name: the node name (``layer0``).
        kind: the stage.
        timesteps: T.
        n_in: inputs per timestep of a dense stage (IN), input channels of a conv (CIN) or pool (C),
            features of a SpikeInput (IN; kind iq: G*G pixels), C of a SpikeCounter.
        n_out: dense: OUT neurons; conv: COUT channels; pool: C; SpikeInput: n_in; SpikeCounter: C.
        simd: input elements per cycle (SpikeInput: spikes per output word = its consumer's SIMD;
            pool: channels per word in and out; event conv: 1).
        pe: neurons (conv: output channels) per cycle (dense and conv only, else 1).
        out_simd: spikes per output word of a SpikingDense / SpikingConv (= its consumer's SIMD), a
            SpikePool's SIMD, else 1.
        weight_bits: weight width of a dense / conv stage, bits.
        state_bits: state width of a dense / conv stage, bits (DCLL: of each of Q, P, R).
        leak: leak mode of a LIF / LI stage.
        input_kind: what a SpikeInput does (None for other stages).
        consumer: name of the hardware node fed by this stage's output, None if none.
        neuron: LIF or DCLL (spiking dense and conv; a DenseReadout is always LI).
        maps: the spike map [C, H, W] a conv / pool reads, a dense reads (``in_maps``) or a SpikeInput
            emits (``out_maps``); empty for flat vectors.
        kernel: K of a conv (square kernel) or pool (window = stride).
        stride: conv stride (pool: K).
        pad: conv zero padding.
        event: an event-driven conv (``event = 1``), or a SpikeInput (iq) feeding one.
        grid: G of an iq SpikeInput (grid bins per axis).
        backend: the implementation the node was specialized to (``hw``: not yet).
    """

    name: str
    kind: HwKind
    timesteps: int
    n_in: int
    n_out: int
    simd: int = 1
    pe: int = 1
    out_simd: int = 1
    weight_bits: int = 0
    state_bits: int = 0
    leak: LeakMode = LeakMode.NONE
    input_kind: InputKind | None = None
    consumer: str | None = None
    neuron: NeuronKind = NeuronKind.LIF
    maps: tuple[int, ...] = ()
    kernel: int = 1
    stride: int = 1
    pad: int = 0
    event: bool = False
    grid: int = 0
    backend: Backend = Backend.HW

    @cached_property  # kept in the instance's __dict__, outside the frozen fields (eq, hash, repr)
    def facts(self) -> StageFacts:
        """What is true of this stage's kind on its backend, from the op class of (kind, backend)."""
        from snn2fpga.hwir.graph import facts_for  # graph imports the ops, which import this module

        return facts_for(self.kind, self.backend)

    @property
    def out_hw(self) -> tuple[int, int]:
        """(HO, WO): the output map of a conv / pool (hls/snn_conv.h); (1, 1) for other stages."""
        if not self.facts.windowed or len(self.maps) != 3:
            return 1, 1
        _, h, w = self.maps
        return (conv_out_size(h, self.kernel, self.stride, self.pad),
                conv_out_size(w, self.kernel, self.stride, self.pad))

    @property
    def pixels(self) -> int:
        """HO*WO output pixels of a conv / pool, 1 otherwise."""
        ho, wo = self.out_hw
        return ho * wo

    @property
    def in_pixels(self) -> int:
        """H*W input pixels of a stage reading a map, 1 otherwise."""
        return self.maps[1] * self.maps[2] if len(self.maps) == 3 else 1

    @property
    def neurons(self) -> int:
        """Neurons of a dense / conv stage: OUT, or COUT*HO*WO."""
        return self.n_out * self.pixels

    @property
    def synapses(self) -> int:
        """Synapses per neuron: IN (dense) or K*K*CIN (conv)."""
        return self.facts.synapses(self)

    @property
    def neuron_state_bits(self) -> int:
        """On-chip state per neuron: LIF / LI the membrane (state_bits), DCLL Q, P, R and the spike
        (3*state_bits + 1, hls/snn_neurons.h; a non-spiking stage is always LI)."""
        if self.neuron is NeuronKind.DCLL and self.facts.fires:
            return 3 * self.state_bits + 1
        return self.state_bits


def divisors(n: int) -> list[int]:
    """The positive divisors of n, ascending (the legal PE / SIMD values of a dimension of size n)."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})
