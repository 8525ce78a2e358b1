"""Cycle model of the hardware stages, exactly as the HLS kernels document and count it.

Every count is pipelined-loop iterations at II=1 (one cycle each, pipeline depth excluded), i.e. what
``snn_cycle_counter`` counts in the C-simulation. One call of a kernel processes one sample of T
timesteps. With NF = OUT/PE neuron folds and SF = IN/SIMD synapse folds:

=========================  =====================================  ============================================
stage (kernel)             cycles per timestep                    cycles per sample
=========================  =====================================  ============================================
SpikeInput rate / latency  IN/SIMD                                ceil(IN/4) + T * IN/SIMD   (hls/snn_encoders.h)
SpikeInput spikes          ceil(IN/32) + IN/SIMD                  T * (ceil(IN/32) + IN/SIMD)
SpikingDense (dense_lif)   SF + NF*SF + OUT/OUT_SIMD              T * per timestep           (hls/snn_dense.h)
DenseReadout (dense_li)    SF + NF*SF                             T * per timestep + OUT
SpikeCounter               C/SIMD                                 T * C/SIMD + C
=========================  =====================================  ============================================

Stream widths: the stream between a producer and its consumer is the CONSUMER's SIMD wide. So a
SpikeInput's output width is its consumer's SIMD, and a SpikingDense's OUT_SIMD is its consumer's
SIMD (1 when it has no hardware consumer). :func:`stage_specs` applies that rule when it reads a
model, whatever the SpikeInput's own SIMD attribute says; the folding transformations keep that
attribute equal to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from onnx import NodeProto, helper
from qonnx.util.basic import get_by_name

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics.neuron import LeakMode

HLS_SUFFIX = "_hls"
AXI_WORD_BITS = 32  # host words of the AXI-Stream input
FEATURES_PER_WORD = 4  # 8-bit features per host word


class HwKind(StrEnum):
    """The hardware stages (op_type of a ``snn2fpga.ops.hw`` node, without the ``_hls`` suffix)."""

    SPIKE_INPUT = "SpikeInput"
    SPIKING_DENSE = "SpikingDense"
    DENSE_READOUT = "DenseReadout"
    SPIKE_COUNTER = "SpikeCounter"


DENSE_KINDS = (HwKind.SPIKING_DENSE, HwKind.DENSE_READOUT)


class InputKind(StrEnum):
    """What a SpikeInput does: on-chip rate / latency encoding of 8-bit features, or spike unpacking."""

    RATE = "rate"
    LATENCY = "latency"
    SPIKES = "spikes"


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
        n_in: inputs per timestep (SpikeInput: IN features; SpikeCounter: C).
        n_out: outputs per timestep (dense: OUT neurons; SpikeInput: IN; SpikeCounter: C).
        simd: input elements per cycle (SpikeInput: spikes per output word = its consumer's SIMD).
        pe: neurons per cycle (dense only, else 1).
        out_simd: spikes per output word of a SpikingDense (= its consumer's SIMD), else 1.
        weight_bits: weight width of a dense stage, bits.
        state_bits: membrane width of a dense stage, bits.
        leak: leak mode of a dense stage.
        input_kind: what a SpikeInput does (None for other stages).
        consumer: name of the hardware node fed by this stage's output, None if none.
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


def base_op_type(node: NodeProto) -> str:
    """The op_type without the ``_hls`` suffix of a specialized node."""
    op = node.op_type
    return op[: -len(HLS_SUFFIX)] if op.endswith(HLS_SUFFIX) else op


def hw_kind(node: NodeProto) -> HwKind | None:
    """The stage of a hardware node (plain or ``_hls``), None for any other node."""
    try:
        return HwKind(base_op_type(node))
    except ValueError:
        return None


def node_attr(node: NodeProto, name: str, default: Any = None) -> Any:
    """An attribute's value (strings decoded), read from the proto so it works for ``_hls`` nodes too."""
    attr = get_by_name(node.attribute, name)
    if attr is None:
        return default
    value = helper.get_attribute_value(attr)
    return value.decode() if isinstance(value, bytes) else value


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

    common = {"name": node.name, "kind": kind, "timesteps": int(attr("T")), "simd": int(attr("SIMD", 1)),
              "consumer": _consumer_name(model, node)}
    if kind is HwKind.SPIKE_INPUT:
        n = int(attr("IN"))
        return StageSpec(n_in=n, n_out=n, input_kind=InputKind(attr("kind", "rate")), **common)
    if kind is HwKind.SPIKE_COUNTER:
        c = int(attr("C"))
        return StageSpec(n_in=c, n_out=c, **common)
    return StageSpec(
        n_in=int(attr("IN")), n_out=int(attr("OUT")), pe=int(attr("PE", 1)),
        weight_bits=int(attr("weight_bits")), state_bits=int(attr("state_bits")),
        leak=LeakMode(attr("leak", "none")), **common,
    )


def derive_stream_widths(specs: list[StageSpec]) -> list[StageSpec]:
    """Apply the stream-width rule: a SpikeInput's SIMD and a SpikingDense's OUT_SIMD = the consumer's SIMD."""
    by_name = {s.name: s for s in specs}
    out = []
    for spec in specs:
        consumer = by_name.get(spec.consumer) if spec.consumer else None
        if spec.kind is HwKind.SPIKE_INPUT and consumer is not None:
            spec = replace(spec, simd=consumer.simd)
        elif spec.kind is HwKind.SPIKING_DENSE:
            spec = replace(spec, out_simd=consumer.simd if consumer is not None else 1)
        out.append(spec)
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


def check_spec(spec: StageSpec) -> None:
    """Raise an error naming the node when its folding is illegal (a factor < 1 or not a divisor)."""
    checks = [("SIMD", spec.simd, spec.n_in, "IN" if spec.kind is not HwKind.SPIKE_COUNTER else "C")]
    if spec.kind in DENSE_KINDS:
        checks.append(("PE", spec.pe, spec.n_out, "OUT"))
    if spec.kind is HwKind.SPIKING_DENSE:
        checks.append(("OUT_SIMD (the consumer's SIMD)", spec.out_simd, spec.n_out, "OUT"))
    for label, value, size, size_name in checks:
        if value < 1 or size % value:
            raise SNN2FPGAError(
                f"node {spec.name}: {label}={value} does not divide {size_name}={size}; "
                f"legal values: {', '.join(map(str, divisors(size)))}"
            )


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
        if spec.input_kind is InputKind.SPIKES:
            per_ts = -(-spec.n_in // AXI_WORD_BITS) + folds
            return NodeCycles(per_ts, t * per_ts)
        return NodeCycles(folds, -(-spec.n_in // FEATURES_PER_WORD) + t * folds)
    if spec.kind is HwKind.SPIKE_COUNTER:
        return NodeCycles(folds, t * folds + spec.n_out)
    nf = spec.n_out // spec.pe
    per_ts = folds + nf * folds
    if spec.kind is HwKind.SPIKING_DENSE:
        per_ts += spec.n_out // spec.out_simd
        return NodeCycles(per_ts, t * per_ts)
    return NodeCycles(per_ts, t * per_ts + spec.n_out)


def node_cycles(model: Any, node: NodeProto) -> NodeCycles:
    """Cycles per timestep and per sample of one hardware node of ``model``."""
    return stage_cycles(stage_spec(model, node))
