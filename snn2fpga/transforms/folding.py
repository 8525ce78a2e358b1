"""Folding of the hardware graph: how many neurons (PE) and inputs (SIMD) each stage handles per cycle.

Folding attributes per stage (node attributes, legal values = the divisors of the dimension):

* SpikingDense / DenseReadout: ``PE`` | OUT and ``SIMD`` | IN; a dense reading a spike map
  (``in_maps`` [C, H, W], streamed NHWC) also needs ``SIMD`` | C;
* SpikingConv: ``PE`` | COUT and ``SIMD`` | CIN; an event-driven conv (``event = 1``) has no SIMD: 1;
* SpikePool: ``SIMD`` | C, its input AND output width;
* SpikeCounter: ``SIMD`` | C (it is also the output width of the layer feeding it);
* SpikeInput: ``SIMD`` is NOT free: the stream between two stages is the consumer's SIMD wide, so a
  SpikeInput's SIMD always equals its consumer's. :class:`PropagateStreamWidths` sets it; both
  :class:`ApplyFoldingConfig` and :class:`AutoFolding` run it. A SpikingDense's / SpikingConv's output
  width (OUT_SIMD) is likewise its consumer's SIMD and is not stored on the node.

SIMD groups: a SpikePool reads and writes words of its own SIMD, so its SIMD is also its consumer's
SIMD (and its producer's OUT_SIMD): a pool and its consumer form one group sharing one SIMD
(conv -> pool -> conv shares one width across the pool; pool -> pool chains extend the group). Setting
the SIMD of any member in a config sets the group; two different values in one group are an error.
The legal values of a group divide every member's dimension and its producer's output dimension
(:func:`group_legal_simd`).

The folding config (``folding_config.json``) maps node names to those attributes::

    {"input": {"SIMD": 16}, "layer0": {"PE": 8, "SIMD": 16}, "layer1": {"PE": 2, "SIMD": 8}}
    {"input": {"SIMD": 1}, "layer0": {"PE": 4, "SIMD": 1}, "pool1": {"SIMD": 8}, "layer2": {"PE": 2, "SIMD": 8}}
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from onnx import NodeProto, helper
from qonnx.transformation.base import Transformation
from qonnx.util.basic import get_by_name

from snn2fpga.boards import Board, load_board
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate.cycles import stage_cycles
from snn2fpga.estimate.report import RESOURCE_KINDS
from snn2fpga.estimate.resources import Measured, total_resources
from snn2fpga.hwir.cost import Resources
from snn2fpga.hwir.facts import not_dividing
from snn2fpga.hwir.graph import hw_nodes, stage_specs
from snn2fpga.hwir.spec import StageSpec, divisors
from snn2fpga.hwir.streams import check_specs, derive_stream_widths

FoldingConfig = dict[str, dict[str, int]]

DEFAULT_MAX_FRACTION = 0.5  # AutoFolding's resource budget when neither a target nor a fraction is given


def _pe_dimension(spec: StageSpec) -> tuple[int, str]:
    """The size PE must divide, and its name (only asked of stages with a PE)."""
    dim = spec.facts.pe_dim(spec)
    if dim is None:
        raise SNN2FPGAError(f"node {spec.name} ({spec.kind.value}) has no PE")
    return dim


def simd_groups(specs: list[StageSpec]) -> list[list[int]]:
    """Indices of the stages that share one SIMD (module docstring): each SpikePool with its hardware
    consumer, transitively; every other stage (but a SpikeInput, whose SIMD is derived) alone."""
    parent = list(range(len(specs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = {s.name: i for i, s in enumerate(specs)}
    for i, spec in enumerate(specs):
        if spec.facts.joins_consumer_group and spec.consumer in index:
            parent[root(i)] = root(index[spec.consumer])
    groups: dict[int, list[int]] = {}
    for i, spec in enumerate(specs):
        if not spec.facts.simd_from_consumer:
            groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _group_of(specs: list[StageSpec], index: int) -> list[int]:
    return next(g for g in simd_groups(specs) if index in g)


def _group_constraints(specs: list[StageSpec], group: list[int]) -> list[tuple[str, str, int, str]]:
    """(node, label, size, size name) that the SIMD of ``group`` must divide: each member's own dimensions
    and the output dimension of each member's producer outside the group (its OUT_SIMD)."""
    names = {specs[i].name for i in group}
    out = []
    for i in group:
        member = specs[i]
        out += [(member.name, "SIMD", size, size_name) for size, size_name in member.facts.group_simd_dims(member)]
    for producer in specs:
        if producer.consumer in names and producer.name not in names:
            facts = producer.facts
            label = facts.out_width_label or "OUT_SIMD"
            out += [(producer.name, label, size, size_name) for size, size_name in facts.out_dims(producer)]
    return out


def group_legal_simd(specs: list[StageSpec], group: list[int]) -> list[int]:
    """The legal SIMD values of a group: the common divisors of all its constraints."""
    return divisors(math.gcd(*(size for _, _, size, _ in _group_constraints(specs, group))))


def set_node_attr(node: NodeProto, name: str, value: int) -> bool:
    """Set an integer attribute on a node proto (plain or ``_hls``); True when the value changed."""
    old = get_by_name(node.attribute, name)
    if old is not None:
        if helper.get_attribute_value(old) == value:
            return False
        node.attribute.remove(old)
    node.attribute.append(helper.make_attribute(name, int(value)))
    return True


def folding_config(model: Any) -> FoldingConfig:
    """The current folding of every hardware node, in the JSON config format (stream widths derived)."""
    return {
        spec.name: {attr: (spec.pe if attr == "PE" else spec.simd) for attr in spec.facts.folding_attrs}
        for spec in stage_specs(model)
    }


def _check_structure(config: Any, source: str) -> FoldingConfig:
    if not isinstance(config, dict):
        raise SNN2FPGAError(
            f"{source}: the folding config must be an object keyed by node name, got {type(config).__name__}"
        )
    for name, entry in config.items():
        if not isinstance(entry, dict):
            raise SNN2FPGAError(f"{source}: entry {name!r} must be an object like {{\"PE\": 4, \"SIMD\": 8}}")
        for attr, value in entry.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise SNN2FPGAError(f"{source}: node {name}: {attr}={value!r} is not an integer")
    return config


def load_folding_config(path: str | Path) -> FoldingConfig:
    """Read a folding config JSON file, with clear errors for a missing file, bad JSON or a wrong structure."""
    p = Path(path)
    if not p.is_file():
        raise SNN2FPGAError(f"folding config {p} does not exist")
    try:
        data = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SNN2FPGAError(f"folding config {p} is not valid JSON: {exc}") from None
    except RecursionError:
        raise SNN2FPGAError(f"folding config {p} is nested too deeply to be a folding config") from None
    except OSError as exc:
        raise SNN2FPGAError(f"folding config {p} cannot be read: {exc.strerror or exc}") from None
    return _check_structure(data, f"folding config {p}")


def _write_folding(model: Any, specs: list[StageSpec]) -> bool:
    """Store the folding of ``specs`` (stream widths derived) on the model's nodes; True when anything changed."""
    by_name = {s.name: s for s in derive_stream_widths(specs)}
    changed = False
    for node in hw_nodes(model):
        spec = by_name[node.name]
        for attr in spec.facts.folding_attrs:
            changed |= set_node_attr(node, attr, spec.pe if attr == "PE" else spec.simd)
    return changed


class PropagateStreamWidths(Transformation):
    """Set each SpikeInput's and SpikePool's SIMD to its consumer's SIMD (the stream is the consumer's
    SIMD wide; a pool's words are its SIMD wide at both ends).

    One pass reaches the fixed point, so ``apply`` reports no further change to ``model.transform``.
    """

    def apply(self, model: Any) -> tuple[Any, bool]:
        specs = stage_specs(model)
        check_specs(specs)
        _write_folding(model, specs)
        return model, False


class ApplyFoldingConfig(Transformation):
    """Apply a folding config ``{"layer0": {"PE": 8, "SIMD": 16}, ...}`` keyed by node name.

    Unknown node names, unknown attributes and values that do not divide the dimension raise an error
    naming the node, the value and the legal choices. A SpikeInput entry is accepted only when it equals
    the SIMD its consumer ends up with. A SIMD entry sets the SIMD of the node's whole group (a pool and
    its consumer); two different values in one group raise an error naming both nodes. An event-driven
    conv accepts only SIMD 1. Nodes not in the config keep their folding. Stream widths are propagated
    afterwards (:class:`PropagateStreamWidths`).
    """

    def __init__(self, config: FoldingConfig) -> None:
        super().__init__()
        self.config = _check_structure(config, "folding config")

    def apply(self, model: Any) -> tuple[Any, bool]:
        specs = stage_specs(model)
        index = {s.name: i for i, s in enumerate(specs)}
        unknown = [name for name in self.config if name not in index]
        if unknown:
            raise SNN2FPGAError(
                f"folding config names unknown node(s) {', '.join(unknown)}; hardware nodes: {', '.join(index)}"
            )
        group_simd: dict[int, tuple[int, str]] = {}  # first member index of the group -> (SIMD, set by node)
        for name, entry in self.config.items():
            i = index[name]
            spec = specs[i]
            facts = spec.facts
            allowed = facts.folding_attrs
            for attr, value in entry.items():
                if attr not in allowed:
                    raise SNN2FPGAError(
                        f"node {name} ({spec.kind.value}): unknown folding attribute {attr!r}; use {', '.join(allowed)}"
                    )
                if attr == "PE":
                    size, size_name = _pe_dimension(spec)
                    if value < 1 or size % value:
                        raise not_dividing(name, attr, value, size, size_name)
                    specs[i] = replace(specs[i], pe=value)
                    continue
                facts.check_simd(spec, value)
                for size, size_name in facts.simd_dims(spec):
                    if value < 1 or size % value:
                        raise not_dividing(name, attr, value, size, size_name)
                if facts.simd_from_consumer:
                    continue  # derived: checked against its consumer below
                group = _group_of(specs, i)
                previous = group_simd.get(group[0])
                if previous is not None and previous[0] != value:
                    members = ", ".join(specs[j].name for j in group)
                    raise SNN2FPGAError(
                        f"node {name}: SIMD={value} conflicts with SIMD={previous[0]} of {previous[1]}: "
                        f"a SpikePool's words are its SIMD wide in and out, so {members} share one SIMD"
                    )
                group_simd[group[0]] = (value, name)
        for first, (value, _) in group_simd.items():
            group = _group_of(specs, first)
            for node, label, size, size_name in _group_constraints(specs, group):
                if size % value:
                    shared = "" if len(group) == 1 else f" (the SIMD of {', '.join(specs[j].name for j in group)})"
                    raise not_dividing(node, label + shared, value, size, size_name)
            for j in group:
                specs[j] = replace(specs[j], simd=value)
        folded = derive_stream_widths(specs)
        for spec in folded:
            wanted = self.config.get(spec.name, {}).get("SIMD")
            if spec.facts.simd_from_consumer and wanted is not None and wanted != spec.simd:
                raise SNN2FPGAError(
                    f"node {spec.name}: SIMD={wanted} but a SpikeInput's SIMD is its consumer "
                    f"{spec.consumer}'s SIMD ({spec.simd}); set the consumer's SIMD instead"
                )
        check_specs(folded)
        _write_folding(model, folded)
        return model, False  # one pass is complete: never ask model.transform to repeat


def _share(resources: Resources, board: Board) -> dict[str, float]:
    return {k: getattr(resources, k) / getattr(board.capacity, k) for k in RESOURCE_KINDS}


def _moves(specs: list[StageSpec], index: int) -> list[list[StageSpec]]:
    """Designs one step faster for stage ``index``: its SIMD (its whole SIMD group), its PE, then its
    output stream width (its consumer's SIMD group), each raised to the next larger legal value."""
    spec = specs[index]
    facts = spec.facts
    by_name = {s.name: i for i, s in enumerate(specs)}
    knobs: list[tuple[int, str]] = []
    if not facts.simd_from_consumer:
        knobs.append((index, "SIMD"))
    if "PE" in facts.folding_attrs:
        knobs.append((index, "PE"))
    # a stage whose output width is its consumer's SIMD but not its own (a pool's is its own SIMD)
    writes_stream = facts.out_width_label is not None and not facts.joins_consumer_group
    if writes_stream and spec.consumer in by_name:
        knobs.append((by_name[spec.consumer], "SIMD"))
    moves = []
    for target, attr in knobs:
        if attr == "PE":
            members, current = [target], specs[target].pe
            legal = divisors(_pe_dimension(specs[target])[0])
        else:
            members, current = _group_of(specs, target), specs[target].simd
            legal = group_legal_simd(specs, members)
        larger = [d for d in legal if d > current]
        if larger:
            trial = list(specs)
            for j in members:
                trial[j] = replace(specs[j], **{attr.lower(): larger[0]})
            moves.append(derive_stream_widths(trial))
    return moves


def auto_fold(
    specs: list[StageSpec], board: Board, target_ii: float | None, max_fraction: float,
    measured: Measured | None = None,
) -> list[StageSpec]:
    """Greedy folding search from PE = SIMD = 1 (see :class:`AutoFolding`); returns the folded stages.
    ``measured``: synthesized figures of a stage configuration where they exist (else its formula)."""
    current = derive_stream_widths([replace(s, pe=1, simd=1) for s in specs])
    while True:
        cycles = [stage_cycles(s).per_sample for s in current]
        slowest = max(range(len(current)), key=lambda i: (cycles[i], -i))
        if target_ii is not None and cycles[slowest] <= target_ii:
            return current
        base_share = _share(total_resources(current, measured), board)
        best: tuple[float, int] | None = None
        best_trial: list[StageSpec] | None = None
        for rank, trial in enumerate(_moves(current, slowest)):
            share = _share(total_resources(trial, measured), board)
            # over budget: a move may not take a resource beyond the budget, nor grow one that the
            # unfolded design already needs beyond it (the weight ROMs' BRAM of a large layer, say)
            if any(share[k] > max_fraction and share[k] > base_share[k] for k in RESOURCE_KINDS):
                continue
            gain = cycles[slowest] - stage_cycles(trial[slowest]).per_sample
            cost = max(share[k] - base_share[k] for k in RESOURCE_KINDS)
            key = (gain / cost if cost > 0 else math.inf, -rank)
            if best is None or key > best:
                best, best_trial = key, trial
        if best_trial is None:
            return current
        current = best_trial


class AutoFolding(Transformation):
    """Choose PE/SIMD of every stage, from legal values only (legal by construction): PE from the
    divisors of OUT / COUT, SIMD from the common divisors of its group (:func:`group_legal_simd`).

    Start from PE = SIMD = 1 everywhere (the node's previous folding is ignored) and repeatedly speed
    up the slowest stage (largest cycles per sample). Its moves are: its SIMD, its PE, its output stream
    width (its consumer's SIMD), each to the next larger legal value (a SIMD move sets the whole SIMD
    group: a pool with its consumer); moves that would take any of
    LUT/FF/BRAM36/DSP beyond ``max_fraction`` of the board are skipped (a resource that the design
    needs beyond the budget even at PE = SIMD = 1 may stay there, but no move may grow it), and of
    the others the one that
    saves the most of the stage's cycles per share of the board added (the largest share increase over
    the four resource kinds) wins, ties going to the order above. Stop when the II meets ``target_fps``
    or the slowest stage cannot grow. Deterministic.

    Args:
        board: the target board (or its name).
        target_fps: samples per second to reach; None to grow until the budget is spent.
        max_fraction: resource budget as a fraction of the board, in (0, 1]; default 0.5 when no target
            is given, 1.0 (never beyond the board) when one is.
        clock_mhz: accelerator clock, MHz; default the board's.
        measured: the synthesized resources of a stage configuration where they exist, None where not (then
            the stage's formula applies): the build passes a lookup of the per-stage yosys cache
            (:class:`snn2fpga.codegen.stage_synth.StageSynthLookup`) for an RTL design.
    """

    def __init__(
        self,
        board: Board | str,
        target_fps: float | None = None,
        max_fraction: float | None = None,
        clock_mhz: float | None = None,
        measured: Measured | None = None,
    ) -> None:
        super().__init__()
        self.measured = measured
        self.board = load_board(board) if isinstance(board, str) else board
        if target_fps is not None and not target_fps > 0:
            raise SNN2FPGAError(f"target_fps must be positive, got {target_fps}")
        if max_fraction is None:
            max_fraction = DEFAULT_MAX_FRACTION if target_fps is None else 1.0
        if not 0 < max_fraction <= 1:
            raise SNN2FPGAError(f"max_fraction must be in (0, 1], got {max_fraction}")
        self.clock_mhz = self.board.clock_mhz if clock_mhz is None else float(clock_mhz)
        if not self.clock_mhz > 0:
            raise SNN2FPGAError(f"clock_mhz must be positive, got {clock_mhz}")
        self.target_fps = target_fps
        self.max_fraction = max_fraction

    @property
    def target_ii(self) -> float | None:
        """The largest II (cycles per sample) that meets ``target_fps``, None without a target."""
        return None if self.target_fps is None else self.clock_mhz * 1e6 / self.target_fps

    def apply(self, model: Any) -> tuple[Any, bool]:
        specs = stage_specs(model)
        if not specs:
            raise SNN2FPGAError("AutoFolding: the model has no hardware nodes to fold")
        _write_folding(model, auto_fold(specs, self.board, self.target_ii, self.max_fraction, self.measured))
        return model, False


__all__ = [
    "ApplyFoldingConfig",
    "AutoFolding",
    "FoldingConfig",
    "PropagateStreamWidths",
    "auto_fold",
    "folding_config",
    "group_legal_simd",
    "load_folding_config",
    "set_node_attr",
    "simd_groups",
]
