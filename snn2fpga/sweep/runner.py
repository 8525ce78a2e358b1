"""Run a sweep: the grid's points on an engine (process pool or Ray), each result stored in the study's database
as it ends, so a killed sweep resumes from what is stored; the tables are exported from the database."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep.engines import Engine, EngineKind, RayResources, make_engine
from snn2fpga.sweep.points import SweepPoint
from snn2fpga.sweep.report import write_reports
from snn2fpga.sweep.store import SweepStore, default_url, public_url


@dataclass
class SweepConfig:
    """The grid of a sweep (weight bits x state bits x timesteps x hidden shapes; each point also estimated at
    every folding budget) and how to run it. ``hidden_options`` makes the hidden layer widths an axis (default:
    the one shape ``hidden``)."""

    dataset: str
    arch: str
    out_dir: Path
    weight_bits: list[int]
    state_bits: list[int]
    timesteps: list[int] = field(default_factory=lambda: [16])
    quant: str = "qat"
    epochs: int = 5
    hidden: tuple[int, ...] = (128,)
    seed: int = 0
    board: str = "pynq-z2"
    csim_samples: int = 50
    workers: int = 2
    data_dir: str | None = None
    train_extra: dict[str, Any] = field(default_factory=dict)
    folding_budgets: tuple[float, ...] = ()
    target_fps: float | None = None
    engine: EngineKind = EngineKind.POOL
    address: str | None = None
    ray_resources: RayResources = field(default_factory=RayResources)
    db_url: str | None = None
    study: str | None = None
    hidden_options: list[tuple[int, ...]] = field(default_factory=list)
    source: str | None = None  # re-quantize this trained checkpoint at every point instead of training
    clip_percentile: float = 99.9

    def hiddens(self) -> list[tuple[int, ...]]:
        """The hidden shapes of the grid."""
        return [tuple(h) for h in self.hidden_options] or [tuple(self.hidden)]

    def validate(self) -> None:
        """Refuse settings outside their ranges, before anything runs."""
        for wb in self.weight_bits:
            if not 2 <= wb <= 16:
                raise SNN2FPGAError(f"weight bits {wb} outside 2..16")
        for sb in self.state_bits:
            if not 2 <= sb <= 32:
                raise SNN2FPGAError(f"state bits {sb} outside 2..32")
        for t in self.timesteps:
            if t < 1:
                raise SNN2FPGAError(f"timesteps {t} must be >= 1")
        for h in self.hiddens():
            if not h or min(h) < 1:
                raise SNN2FPGAError(f"hidden shape {h} needs at least one layer, each >= 1 neuron wide")
        if self.target_fps is not None and not self.target_fps > 0:
            raise SNN2FPGAError(f"target fps must be positive, got {self.target_fps}")
        for b in self.folding_budgets:
            if not 0 < b <= 1:
                raise SNN2FPGAError(f"folding budget {b} outside (0, 1]: it is a share of every resource")

    def point(self, wb: int, sb: int, t: int, hidden: tuple[int, ...] | None = None) -> SweepPoint:
        """The point of one grid cell (weight bits, state bits, timesteps, hidden shape: default the first); the
        hidden shape is in the name only when it is an axis."""
        hidden = tuple(hidden or self.hiddens()[0])
        name = f"w{wb}_s{sb}_t{t}" + (f"_h{hidden_key(hidden)}" if len(self.hiddens()) > 1 else "")
        return SweepPoint(name=name, out_dir=str(self.out_dir), dataset=self.dataset, arch=self.arch,
                          weight_bits=wb, state_bits=sb, timesteps=t, quant=self.quant, epochs=self.epochs,
                          hidden=hidden, seed=self.seed, board=self.board, csim_samples=self.csim_samples,
                          data_dir=self.data_dir, train_extra=self.train_extra,
                          folding_budgets=tuple(self.folding_budgets), target_fps=self.target_fps,
                          source=self.source, clip_percentile=self.clip_percentile)

    def points(self) -> list[SweepPoint]:
        """Every cell of the grid, in table order."""
        self.validate()
        return [self.point(wb, sb, t, h)
                for wb, sb, t, h in itertools.product(self.weight_bits, self.state_bits, self.timesteps,
                                                      self.hiddens())]


def hidden_key(hidden: tuple[int, ...]) -> str:
    """A hidden shape as text: (32, 16) -> "32x16" (the CLI's --hidden-options syntax)."""
    return "x".join(str(w) for w in hidden)


def parse_hidden(text: str) -> tuple[int, ...]:
    """"32x16" -> (32, 16); a clear error for anything else."""
    try:
        shape = tuple(int(w) for w in text.lower().split("x"))
    except ValueError:
        raise SNN2FPGAError(f"hidden shape {text!r}: expected layer widths joined by 'x', e.g. 16 or 32x16") from None
    if min(shape) < 1:
        raise SNN2FPGAError(f"hidden shape {text!r}: every layer needs >= 1 neuron")
    return shape


def open_store(cfg: SweepConfig) -> SweepStore:
    """The study's database: ``cfg.db_url``, or ``sweep.db`` in the sweep folder."""
    return SweepStore(cfg.db_url or default_url(cfg.out_dir), cfg.study or cfg.out_dir.resolve().name)


def open_engine(cfg: SweepConfig) -> Engine:
    """The executor ``cfg`` names."""
    return make_engine(cfg.engine, cfg.workers, cfg.address, cfg.ray_resources)


def evaluate(points: list[SweepPoint], store: SweepStore, engine: Engine, log: Callable[[str], None],
             bar: Any = None) -> tuple[dict[str, dict[str, Any]], dict[str, str], list[str]]:
    """Results of ``points``: the stored ones, and the others run on ``engine`` and stored as each ends.
    Returns (results by name, errors by name, names claimed by another live driver)."""
    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    todo, elsewhere = [], []
    for p in points:
        done = store.done(p)
        if done is not None:
            results[p.name] = done
        elif store.claim(p):
            todo.append(p)
        else:
            elsewhere.append(p.name)

    def on_done(p: SweepPoint, result: dict[str, Any]) -> None:
        store.finish(p, result)
        results[p.name] = result
        if bar is not None:
            bar.update(1)

    def on_error(p: SweepPoint, message: str) -> None:
        store.fail(p, message)
        errors[p.name] = message
        log(f"point {p.name} failed: {message}")
        if bar is not None:
            bar.update(1)

    try:
        engine.run(todo, on_done, on_error)
    except BaseException:
        for p in todo:  # hand back what this driver claimed but did not finish
            if p.name not in results and p.name not in errors:
                store.release(p)
        raise
    return results, errors, elsewhere


def run_sweep(cfg: SweepConfig, log: Callable[[str], None] = print, progress: bool = True) -> dict[str, Any]:
    """Run every point not finished yet, then write the tables and plots from the database; returns the summary."""
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    points = cfg.points()
    store = open_store(cfg)
    try:
        stored = sum(store.done(p) is not None for p in points)
        if stored:
            log(f"resuming: {stored} of {len(points)} points already finished")
        bar = tqdm(total=len(points) - stored, desc="sweep", disable=None if progress else True)
        engine = open_engine(cfg)
        try:
            results, errors, elsewhere = evaluate(points, store, engine, log, bar)
        finally:
            engine.close()
            bar.close()
        if elsewhere:
            log(f"{len(elsewhere)} points are being run by another driver of this study: {', '.join(elsewhere)}")
    finally:
        store.close()
    ordered = [results[p.name] for p in points if p.name in results]
    files = write_reports(ordered, cfg.out_dir)
    extra: dict[str, Any] = {}
    if cfg.source:  # the reference every re-quantized point is compared with
        from snn2fpga.sweep.requant import float_accuracy

        extra["float_top1"] = float_accuracy(Path(cfg.source), cfg.data_dir)
    return {**extra, "points": len(points), "finished": len(ordered), "failed": errors, "running_elsewhere": elsewhere,
            "engine": cfg.engine.value, "database": public_url(store.url), "study": store.study,
            **{k: str(v) for k, v in files.items()}}

