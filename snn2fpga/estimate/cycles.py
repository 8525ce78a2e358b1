"""Cycle model of the hardware stages, exactly as the HLS kernels document and count it.

Every count is pipelined-loop iterations at II=1 (one cycle each, pipeline depth excluded), i.e. what
``snn_cycle_counter`` counts in the C-simulation. One call of a kernel processes one sample of T
timesteps. With NF = OUT/PE (conv: COUT/PE) neuron folds, SF = IN/SIMD (conv: K*K*CIN/SIMD)
synapse folds, HO x WO the output map of a conv / pool and OUT_SIMD the output word width:

=============================  ================================================  ========================
stage (kernel)                 cycles per timestep                               cycles per sample
=============================  ================================================  ========================
SpikeInput rate / latency      IN/SIMD                                           ceil(IN/4) + T * IN/SIMD
SpikeInput spikes              ceil(IN/32) + IN/SIMD                             T * per timestep
SpikeInput iq -> event conv    1 (iq_encoder: one event word)                    T
SpikeInput iq, other consumer  G*G/SIMD (iq_frame_encoder)                       T * per timestep
SpikingDense (dense_lif/dcll)  SF + NF*SF + OUT/OUT_SIMD                         T * per timestep
DenseReadout (dense_li)        SF + NF*SF                                        T * per timestep + OUT
SpikingConv (conv_neuron)      H*W*CIN/SIMD + HO*WO*NF*SF + HO*WO*COUT/OUT_SIMD  T * per timestep
SpikingConv event=1            HO*WO*NF + HO*WO*COUT/OUT_SIMD                    T * per timestep
  (conv_event_neuron)
SpikePool (maxpool_or)         H*W*C/SIMD                                        T * per timestep
SpikeCounter                   C/SIMD                                            T * C/SIMD + C
=============================  ================================================  ========================

Kernels: hls/snn_encoders.h, hls/snn_iq.h, hls/snn_dense.h, hls/snn_conv.h, hls/snn_readout.h.

The neuron kind (LIF / DCLL) does not change any count: dense_dcll has dense_lif's loops, and the
conv kernels take either neuron policy. A DenseReadout is always the LI readout (dense_li).

Host words per sample of the input stage (:func:`host_words`): rate / latency ceil(IN/4) (four 8-bit
features per 32-bit word), spikes T * ceil(IN/32), iq ceil(T/2) (two (I, Q) byte pairs per word).

Stream widths: the stream between a producer and its consumer is the CONSUMER's SIMD wide. So a
SpikeInput's output width is its consumer's SIMD, and a SpikingDense's / SpikingConv's OUT_SIMD is its
consumer's SIMD (1 when it has no hardware consumer). A SpikePool's words are its SIMD wide at both
ends, so its SIMD is its consumer's SIMD too, and its producer's OUT_SIMD is that same SIMD: a chain
conv -> pool -> conv shares one width across the pool. An event-driven conv reads one event word per
timestep and has no SIMD (1); its SpikeInput (kind iq) then runs the event encoder. A dense layer that
reads a spike map (``in_maps`` [C, H, W], streamed NHWC) needs SIMD | C. :func:`stage_specs` applies
those rules when it reads a model, whatever the derived nodes' own SIMD attributes say; the folding
transformations keep those attributes equal to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from onnx import NodeProto

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics.conv import conv_out_size
from snn2fpga.semantics.neuron import LeakMode
from snn2fpga.transforms.graph_util import node_attr

HLS_SUFFIX = "_hls"
BACKEND_SUFFIXES = (HLS_SUFFIX, "_rtl")  # op_type suffixes of the specialized nodes (HLS and RTL backends)
AXI_WORD_BITS = 32  # host words of the AXI-Stream input
FEATURES_PER_WORD = 4  # 8-bit features per host word
IQ_STEPS_PER_WORD = 2  # (I, Q) byte pairs per host word of the I/Q encoder


class HwKind(StrEnum):
    """The hardware stages (op_type of a ``snn2fpga.ops.hw`` node, without the ``_hls`` suffix)."""

    SPIKE_INPUT = "SpikeInput"
    SPIKING_DENSE = "SpikingDense"
    DENSE_READOUT = "DenseReadout"
    SPIKE_COUNTER = "SpikeCounter"
    SPIKING_CONV = "SpikingConv"
    SPIKE_POOL = "SpikePool"


DENSE_KINDS = (HwKind.SPIKING_DENSE, HwKind.DENSE_READOUT)
# stages whose PE is a folding knob (neurons per cycle)
PE_KINDS = (HwKind.SPIKING_DENSE, HwKind.DENSE_READOUT, HwKind.SPIKING_CONV)
# stages with an output stream whose width (OUT_SIMD) is their consumer's SIMD
SPIKING_KINDS = (HwKind.SPIKING_DENSE, HwKind.SPIKING_CONV)


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
    """One hardware stage as the estimates see it (all sizes in elements, widths in bits).

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

    @property
    def out_hw(self) -> tuple[int, int]:
        """(HO, WO): the output map of a conv / pool (hls/snn_conv.h); (1, 1) for other stages."""
        if self.kind not in (HwKind.SPIKING_CONV, HwKind.SPIKE_POOL) or len(self.maps) != 3:
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
        return self.kernel * self.kernel * self.n_in if self.kind is HwKind.SPIKING_CONV else self.n_in

    @property
    def neuron_state_bits(self) -> int:
        """On-chip state per neuron: LIF / LI the membrane (state_bits), DCLL Q, P, R and the spike
        (3*state_bits + 1, hls/snn_neurons.h)."""
        if self.neuron is NeuronKind.DCLL and self.kind in SPIKING_KINDS:
            return 3 * self.state_bits + 1
        return self.state_bits


def base_op_type(node: NodeProto) -> str:
    """The op_type without the backend suffix (``_hls``, ``_rtl``) of a specialized node."""
    op = node.op_type
    for suffix in BACKEND_SUFFIXES:
        if op.endswith(suffix):
            return op[: -len(suffix)]
    return op


def hw_kind(node: NodeProto) -> HwKind | None:
    """The stage of a hardware node (plain or ``_hls``), None for any other node."""
    try:
        return HwKind(base_op_type(node))
    except ValueError:
        return None


def hw_nodes(model: Any) -> list[NodeProto]:
    """The hardware nodes of a ModelWrapper, in graph order."""
    return [n for n in model.graph.node if hw_kind(n) is not None]


def _consumer_name(model: Any, node: NodeProto) -> str | None:
    if not node.output:
        return None
    consumers = model.find_consumers(node.output[0]) or []
    hw = [c for c in consumers if hw_kind(c) is not None]
    return hw[0].name if hw else None


def _read_spec(model: Any, node: NodeProto) -> StageSpec:
    kind = hw_kind(node)
    if kind is None:
        raise SNN2FPGAError(f"node {node.name} ({node.op_type}) is not a hardware stage")

    def attr(name: str, default: Any = None) -> Any:
        value = node_attr(node, name, default)
        if value is None:
            raise SNN2FPGAError(f"node {node.name} ({node.op_type}): missing attribute {name}")
        return value

    def maps(name: str) -> tuple[int, ...]:
        return tuple(int(d) for d in node_attr(node, name, []) or [])

    common = {"name": node.name, "kind": kind, "timesteps": int(attr("T")), "simd": int(attr("SIMD", 1)),
              "consumer": _consumer_name(model, node)}
    if kind is HwKind.SPIKE_INPUT:
        input_kind = InputKind(attr("kind", "rate"))
        if input_kind is InputKind.IQ:
            grid = int(attr("G"))
            return StageSpec(n_in=grid * grid, n_out=grid * grid, input_kind=input_kind, grid=grid,
                             maps=maps("out_maps"), **common)
        n = int(attr("IN"))
        return StageSpec(n_in=n, n_out=n, input_kind=input_kind, maps=maps("out_maps"), **common)
    if kind is HwKind.SPIKE_COUNTER:
        c = int(attr("C"))
        return StageSpec(n_in=c, n_out=c, **common)
    if kind is HwKind.SPIKE_POOL:
        c, k = int(attr("C")), int(attr("K"))
        return StageSpec(n_in=c, n_out=c, out_simd=common["simd"], maps=(c, int(attr("H")), int(attr("W"))),
                         kernel=k, stride=k, **common)
    neuron = NeuronKind(attr("neuron", "lif")) if kind is not HwKind.DENSE_READOUT else NeuronKind.LIF
    layer = {"pe": int(attr("PE", 1)), "weight_bits": int(attr("weight_bits")), "state_bits": int(attr("state_bits")),
             "leak": LeakMode(attr("leak", "none")), "neuron": neuron}
    if kind is HwKind.SPIKING_CONV:
        cin = int(attr("CIN"))
        return StageSpec(
            n_in=cin, n_out=int(attr("COUT")), maps=(cin, int(attr("H")), int(attr("W"))), kernel=int(attr("K")),
            stride=int(attr("STRIDE", 1)), pad=int(attr("PAD", 0)), event=bool(int(attr("event", 0))),
            **layer, **common,
        )
    return StageSpec(n_in=int(attr("IN")), n_out=int(attr("OUT")), maps=maps("in_maps"), **layer, **common)


def derive_stream_widths(specs: list[StageSpec]) -> list[StageSpec]:
    """Apply the stream-width rules (module docstring): a SpikeInput's and a SpikePool's SIMD, and a
    SpikingDense's / SpikingConv's OUT_SIMD, are the consumer's SIMD; an iq SpikeInput feeding an event
    conv runs the event encoder. Consumers are resolved before producers (a pool chain propagates)."""
    out = list(specs)
    index = {s.name: i for i, s in enumerate(out)}
    for _ in range(len(out) + 1):  # reverse graph order reaches the fixed point in one pass when topological
        changed = False
        for i in reversed(range(len(out))):
            spec = out[i]
            consumer = out[index[spec.consumer]] if spec.consumer in index else None
            if spec.kind is HwKind.SPIKE_INPUT and consumer is not None:
                event = consumer.kind is HwKind.SPIKING_CONV and consumer.event
                new = replace(spec, simd=consumer.simd, event=event)
            elif spec.kind in SPIKING_KINDS:
                new = replace(spec, out_simd=consumer.simd if consumer is not None else 1)
            elif spec.kind is HwKind.SPIKE_POOL:
                simd = consumer.simd if consumer is not None else spec.simd
                new = replace(spec, simd=simd, out_simd=simd)
            else:
                new = spec
            if new != spec:
                out[i], changed = new, True
        if not changed:
            break
    return out


def stage_specs(model: Any) -> list[StageSpec]:
    """The hardware stages of a model, in graph order, with stream widths derived from the consumers."""
    return derive_stream_widths([_read_spec(model, n) for n in hw_nodes(model)])


def stage_spec(model: Any, node: NodeProto) -> StageSpec:
    """The stage of one hardware node of ``model`` (stream widths derived from its neighbours)."""
    for spec in stage_specs(model):
        if spec.name == node.name:
            return spec
    return _read_spec(model, node)  # raises for a non-hardware node


def simd_dims(spec: StageSpec) -> list[tuple[int, str]]:
    """The sizes a stage's SIMD must divide, with their names (the first is the stage's own dimension)."""
    if spec.kind is HwKind.SPIKE_INPUT:
        return [(spec.n_in, "G*G" if spec.input_kind is InputKind.IQ else "IN")]
    if spec.kind is HwKind.SPIKING_CONV:
        return [(spec.n_in, "CIN")]
    if spec.kind in (HwKind.SPIKE_POOL, HwKind.SPIKE_COUNTER):
        return [(spec.n_in, "C")]
    dims = [(spec.n_in, "IN")]
    if len(spec.maps) == 3:  # NHWC: a pixel is C/SIMD words
        dims.append((spec.maps[0], f"C of in_maps {list(spec.maps)} (the map is streamed NHWC)"))
    return dims


def out_dims(spec: StageSpec) -> list[tuple[int, str]]:
    """The sizes the OUTPUT word width of a stage (its consumer's SIMD) must divide."""
    if spec.kind is HwKind.SPIKING_DENSE:
        return [(spec.n_out, "OUT")]
    if spec.kind is HwKind.SPIKING_CONV:
        return [(spec.n_out, "COUT")]
    if spec.kind is HwKind.SPIKE_INPUT:
        return simd_dims(spec)
    if spec.kind is HwKind.SPIKE_POOL:
        return [(spec.n_out, "C")]
    return []


def event_simd_error(name: str, value: int) -> str:
    """The error of a SIMD other than 1 on an event-driven convolution."""
    return (f"node {name}: SIMD={value} but an event-driven convolution (event=1) reads one event word per "
            "timestep and has no SIMD; legal values: 1")


def _not_dividing(name: str, label: str, value: int, size: int, size_name: str) -> SNN2FPGAError:
    return SNN2FPGAError(
        f"node {name}: {label}={value} does not divide {size_name}={size}; "
        f"legal values: {', '.join(map(str, divisors(size)))}"
    )


def check_spec(spec: StageSpec) -> None:
    """Raise an error naming the node when its folding is illegal (a factor < 1 or not a divisor)."""
    if spec.kind is HwKind.SPIKING_CONV:
        if spec.event and spec.n_in != 1:
            raise SNN2FPGAError(f"node {spec.name}: the event-driven convolution needs CIN == 1, got {spec.n_in}")
        if spec.event and spec.simd != 1:
            raise SNN2FPGAError(event_simd_error(spec.name, spec.simd))
    if spec.kind in (HwKind.SPIKING_CONV, HwKind.SPIKE_POOL):
        ho, wo = spec.out_hw
        if ho < 1 or wo < 1:
            raise SNN2FPGAError(f"node {spec.name}: kernel {spec.kernel} does not fit the {list(spec.maps)} map")
    if spec.kind is HwKind.SPIKE_INPUT and spec.event and spec.simd != 1:
        raise SNN2FPGAError(f"node {spec.name}: the I/Q event encoder emits one event word per timestep; SIMD=1")
    checks = [("SIMD", spec.simd, size, size_name) for size, size_name in simd_dims(spec)]
    if spec.kind in PE_KINDS:
        checks.append(("PE", spec.pe, spec.n_out, "COUT" if spec.kind is HwKind.SPIKING_CONV else "OUT"))
    if spec.kind in SPIKING_KINDS:
        checks += [("OUT_SIMD (the consumer's SIMD)", spec.out_simd, size, size_name) for size, size_name in
                   out_dims(spec)]
    if spec.kind is HwKind.SPIKE_POOL and spec.out_simd != spec.simd:
        raise SNN2FPGAError(f"node {spec.name}: a SpikePool's output words are its SIMD ({spec.simd}) wide, "
                            f"but OUT_SIMD={spec.out_simd}")
    for label, value, size, size_name in checks:
        if value < 1 or size % value:
            raise _not_dividing(spec.name, label, value, size, size_name)


def check_specs(specs: list[StageSpec]) -> None:
    """:func:`check_spec` for every stage, and the stream rules between stages: every stage's input words
    are its producer's output words, and an event-driven conv reads an iq SpikeInput."""
    by_name = {s.name: s for s in specs}
    for spec in specs:
        check_spec(spec)
        consumer = by_name.get(spec.consumer) if spec.consumer else None
        if consumer is None:
            continue
        if consumer.kind is HwKind.SPIKING_CONV and consumer.event and spec.input_kind is not InputKind.IQ:
            raise SNN2FPGAError(f"node {consumer.name}: an event-driven convolution must read the events of an "
                                f"iq SpikeInput, not {spec.kind.value} {spec.name}")
        width = spec.simd if spec.kind is HwKind.SPIKE_INPUT else spec.out_simd
        if spec.kind in (*SPIKING_KINDS, HwKind.SPIKE_INPUT, HwKind.SPIKE_POOL) and width != consumer.simd:
            raise SNN2FPGAError(f"node {spec.name}: its output words are {width} wide but its consumer "
                                f"{consumer.name} reads SIMD={consumer.simd}")


def divisors(n: int) -> list[int]:
    """The positive divisors of n, ascending (the legal PE / SIMD values of a dimension of size n)."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


def stage_cycles(spec: StageSpec) -> NodeCycles:
    """Cycles per timestep and per sample of one stage (the table in the module docstring)."""
    check_spec(spec)
    t = spec.timesteps
    folds = spec.n_in // spec.simd
    if spec.kind is HwKind.SPIKE_INPUT:
        if spec.input_kind is InputKind.IQ:
            per_ts = 1 if spec.event else folds
            return NodeCycles(per_ts, t * per_ts)
        if spec.input_kind is InputKind.SPIKES:
            per_ts = -(-spec.n_in // AXI_WORD_BITS) + folds
            return NodeCycles(per_ts, t * per_ts)
        return NodeCycles(folds, -(-spec.n_in // FEATURES_PER_WORD) + t * folds)
    if spec.kind is HwKind.SPIKE_COUNTER:
        return NodeCycles(folds, t * folds + spec.n_out)
    if spec.kind is HwKind.SPIKE_POOL:
        per_ts = spec.in_pixels * folds
        return NodeCycles(per_ts, t * per_ts)
    nf = spec.n_out // spec.pe
    if spec.kind is HwKind.SPIKING_CONV:
        pix, write = spec.pixels, spec.pixels * (spec.n_out // spec.out_simd)
        if spec.event:
            per_ts = pix * nf + write
        else:
            per_ts = spec.in_pixels * folds + pix * nf * (spec.kernel * spec.kernel * folds) + write
        return NodeCycles(per_ts, t * per_ts)
    per_ts = folds + nf * folds
    if spec.kind is HwKind.SPIKING_DENSE:
        per_ts += spec.n_out // spec.out_simd
        return NodeCycles(per_ts, t * per_ts)
    return NodeCycles(per_ts, t * per_ts + spec.n_out)


def host_words(spec: StageSpec) -> int:
    """32-bit host words per sample the input stage reads (0 for other stages; module docstring)."""
    if spec.kind is not HwKind.SPIKE_INPUT:
        return 0
    if spec.input_kind is InputKind.IQ:
        return -(-spec.timesteps // IQ_STEPS_PER_WORD)
    if spec.input_kind is InputKind.SPIKES:
        return spec.timesteps * -(-spec.n_in // AXI_WORD_BITS)
    return -(-spec.n_in // FEATURES_PER_WORD)


def node_cycles(model: Any, node: NodeProto) -> NodeCycles:
    """Cycles per timestep and per sample of one hardware node of ``model``."""
    return stage_cycles(stage_spec(model, node))
