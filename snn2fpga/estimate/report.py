"""Whole-design estimate: per-layer resources and cycles, totals against a board, throughput and latency.

Dataflow timing (every stage is its own process, connected by streams):

* initiation interval II = the largest per-sample cycle count of any stage: in steady state one
  sample leaves the pipeline every II cycles, so ``fps = clock / II``;
* latency of one sample = II + the per-timestep cycles of every other stage: the streams carry one
  timestep at a time, so each stage before (after) the slowest one must produce (consume) about one
  timestep before the slowest can start (after it ends) -- the pipeline fill and drain. Pipeline
  depths of the loops (a few cycles each) are not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snn2fpga.boards import Board, Capacity, load_board
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate.cycles import stage_cycles
from snn2fpga.estimate.resources import ESTIMATE, SYNTH, Measured, design_overhead, sourced_resources
from snn2fpga.hwir.cost import Resources
from snn2fpga.hwir.graph import stage_specs
from snn2fpga.hwir.spec import HwKind, NodeCycles, StageSpec
from snn2fpga.hwir.streams import check_specs
from snn2fpga.io import atomic_write_text

RESOURCE_KINDS = ("lut", "ff", "bram36", "dsp")
LAYER_RESOURCES_FILE = "estimate_layer_resources.json"
NETWORK_PERFORMANCE_FILE = "estimate_network_performance.json"


@dataclass(frozen=True)
class LayerEstimate:
    """One stage: its folding, resources and cycles; ``source`` says how its resources were obtained:
    ``estimate`` (the stage's formula) or ``synth`` (yosys synth_xilinx of exactly this stage configuration,
    pre-place-and-route, found in the synth cache)."""

    name: str
    op_type: str
    pe: int
    simd: int
    out_simd: int
    resources: Resources
    cycles: NodeCycles
    source: str = ESTIMATE

    def to_dict(self) -> dict[str, Any]:
        """JSON-able row."""
        return {
            "name": self.name, "op_type": self.op_type, "PE": self.pe, "SIMD": self.simd, "OUT_SIMD": self.out_simd,
            **self.resources.to_dict(), "resources_from": self.source,
            "cycles_per_timestep": self.cycles.per_timestep, "cycles_per_sample": self.cycles.per_sample,
        }


@dataclass(frozen=True)
class Estimate:
    """Resources, throughput and latency of a whole design on one board at one clock.

    Attributes:
        board: board name.
        part: FPGA part.
        clock_mhz: accelerator clock, MHz.
        capacity: the part's resources.
        layers: the stages in graph order.
        overhead: the once-per-design AXI / control cost.
        ii_cycles: initiation interval, cycles per sample in steady state.
        latency_cycles: cycles from a sample's first input word to its result.
        bottleneck: name of the stage that sets the II.
    """

    board: str
    part: str
    clock_mhz: float
    capacity: Capacity
    layers: tuple[LayerEstimate, ...]
    overhead: Resources
    ii_cycles: int
    latency_cycles: int
    bottleneck: str

    @property
    def total(self) -> Resources:
        """All stages plus the overhead."""
        total = self.overhead
        for layer in self.layers:
            total += layer.resources
        return total

    @property
    def lut(self) -> int:
        """Total LUTs."""
        return self.total.lut

    @property
    def ff(self) -> int:
        """Total flip-flops."""
        return self.total.ff

    @property
    def bram36(self) -> float:
        """Total 36-Kbit block RAMs (in halves)."""
        return self.total.bram36

    @property
    def dsp(self) -> int:
        """Total DSP slices."""
        return self.total.dsp

    @property
    def share_pct(self) -> dict[str, float]:
        """Share of the board's capacity used, percent, per resource kind."""
        total, cap = self.total, self.capacity
        return {k: 100.0 * getattr(total, k) / getattr(cap, k) for k in RESOURCE_KINDS}

    @property
    def exceeds(self) -> list[str]:
        """The resource kinds whose estimate exceeds the board's capacity."""
        total, cap = self.total, self.capacity
        return [k for k in RESOURCE_KINDS if getattr(total, k) > getattr(cap, k)]

    @property
    def fits(self) -> bool:
        """Whether every resource estimate is within the board's capacity."""
        return not self.exceeds

    @property
    def latency_us(self) -> float:
        """Latency of one sample, microseconds."""
        return self.latency_cycles / self.clock_mhz

    @property
    def fps(self) -> float:
        """Samples per second in steady state (clock / II)."""
        return self.clock_mhz * 1e6 / self.ii_cycles

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary with top-level lut, ff, bram36, dsp, latency_us, fps and layers."""
        return {
            **self.total.to_dict(),
            "latency_us": self.latency_us,
            "fps": self.fps,
            "ii_cycles": self.ii_cycles,
            "latency_cycles": self.latency_cycles,
            "bottleneck": self.bottleneck,
            "clock_mhz": self.clock_mhz,
            "board": self.board,
            "part": self.part,
            "capacity": {k: getattr(self.capacity, k) for k in RESOURCE_KINDS},
            "share_pct": self.share_pct,
            "fits": self.fits,
            "exceeds": self.exceeds,
            "overhead": self.overhead.to_dict(),
            "layers": [layer.to_dict() for layer in self.layers],
        }


def _resolve_board(board: Board | str) -> Board:
    return load_board(board) if isinstance(board, str) else board


def estimate_specs(specs: list[StageSpec], board: Board | str, clock_mhz: float | None = None,
                   measured: Measured | None = None) -> Estimate:
    """Estimate a design given as stages (see :func:`snn2fpga.hwir.graph.stage_specs`); ``measured`` gives the
    synthesized resources of a stage where they exist (each layer says which it used)."""
    if not specs:
        raise SNN2FPGAError(f"the model has no hardware nodes ({', '.join(k.value for k in HwKind)})")
    check_specs(specs)
    brd = _resolve_board(board)
    clock = brd.clock_mhz if clock_mhz is None else float(clock_mhz)
    if clock <= 0:
        raise SNN2FPGAError(f"clock_mhz must be positive, got {clock}")
    layers = tuple(
        LayerEstimate(s.name, s.kind.value, s.pe, s.simd, s.out_simd, res, stage_cycles(s), source)
        for s, (res, source) in ((s, sourced_resources(s, measured)) for s in specs)
    )
    slowest = max(layers, key=lambda layer: layer.cycles.per_sample)  # first of equals: graph order
    fill = sum(layer.cycles.per_timestep for layer in layers if layer is not slowest)
    return Estimate(
        board=brd.name, part=brd.part, clock_mhz=clock, capacity=brd.capacity, layers=layers,
        overhead=design_overhead(), ii_cycles=slowest.cycles.per_sample,
        latency_cycles=slowest.cycles.per_sample + fill, bottleneck=slowest.name,
    )


def estimate_model(model: Any, board: Board | str, clock_mhz: float | None = None,
                   measured: Measured | None = None) -> Estimate:
    """Estimate the hardware graph of a ModelWrapper on ``board`` (its default clock unless given, MHz)."""
    return estimate_specs(stage_specs(model), board, clock_mhz, measured)


def write_estimate_reports(estimate: Estimate, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``estimate_layer_resources.json`` and ``estimate_network_performance.json`` (FINN's names).

    Returns the two paths. The resources file maps each layer name (and ``overhead``, ``total``) to its
    lut / ff / bram36 / dsp; the performance file uses FINN's keys (critical_path_cycles, max_cycles,
    max_cycles_node_name, estimated_throughput_fps, estimated_latency_ns) plus per-layer cycles.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    resources: dict[str, Any] = {layer.name: {**layer.resources.to_dict(), "resources_from": layer.source}
                                 for layer in estimate.layers}
    resources["overhead"] = estimate.overhead.to_dict()
    resources["total"] = estimate.total.to_dict()
    performance = {
        "critical_path_cycles": estimate.latency_cycles,
        "max_cycles": estimate.ii_cycles,
        "max_cycles_node_name": estimate.bottleneck,
        "estimated_throughput_fps": estimate.fps,
        "estimated_latency_ns": estimate.latency_us * 1000.0,
        "clock_mhz": estimate.clock_mhz,
        "cycles": {
            layer.name: {"per_timestep": layer.cycles.per_timestep, "per_sample": layer.cycles.per_sample}
            for layer in estimate.layers
        },
    }
    res_path, perf_path = out / LAYER_RESOURCES_FILE, out / NETWORK_PERFORMANCE_FILE
    atomic_write_text(res_path, json.dumps(resources, indent=2) + "\n")
    atomic_write_text(perf_path, json.dumps(performance, indent=2) + "\n")
    return res_path, perf_path


def _fmt_bram(value: float) -> str:
    return f"{value:g}"


def estimate_markdown(estimate: Estimate) -> str:
    """A Markdown table: per layer and total, resources with the board share, folding and cycles; a layer whose
    resources are yosys figures (not the formulas) is marked ``(synth)``."""
    cap = estimate.capacity
    lines = [
        "| layer | op | PE | SIMD | LUT | FF | BRAM36 | DSP | cycles/timestep | cycles/sample |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for layer in estimate.layers:
        r, c = layer.resources, layer.cycles
        name = f"{layer.name} ({SYNTH})" if layer.source == SYNTH else layer.name
        lines.append(
            f"| {name} | {layer.op_type} | {layer.pe} | {layer.simd} | {r.lut} | {r.ff} | "
            f"{_fmt_bram(r.bram36)} | {r.dsp} | {c.per_timestep} | {c.per_sample} |"
        )
    o = estimate.overhead
    lines.append(f"| (AXI / control) | | | | {o.lut} | {o.ff} | {_fmt_bram(o.bram36)} | {o.dsp} | | |")
    t, share = estimate.total, estimate.share_pct
    lines.append(
        f"| **total** | | | | {t.lut} ({share['lut']:.1f} % of {cap.lut}) | {t.ff} ({share['ff']:.1f} %) | "
        f"{_fmt_bram(t.bram36)} ({share['bram36']:.1f} %) | {t.dsp} ({share['dsp']:.1f} %) | "
        f"II {estimate.ii_cycles} | latency {estimate.latency_cycles} |"
    )
    return "\n".join(lines)
