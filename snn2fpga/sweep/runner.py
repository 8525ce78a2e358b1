"""Run a sweep: points in parallel on a local process pool, resumable (finished points are kept)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep.points import SweepPoint, run_point
from snn2fpga.sweep.report import write_reports


@dataclass
class SweepConfig:
    """The grid of a sweep (weight bits x state bits x timesteps; each point also estimated at every folding
    budget) and how to run it."""

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

    def points(self) -> list[SweepPoint]:
        for wb in self.weight_bits:
            if not 2 <= wb <= 16:
                raise SNN2FPGAError(f"weight bits {wb} outside 2..16")
        for sb in self.state_bits:
            if not 2 <= sb <= 32:
                raise SNN2FPGAError(f"state bits {sb} outside 2..32")
        if self.target_fps is not None and not self.target_fps > 0:
            raise SNN2FPGAError(f"target fps must be positive, got {self.target_fps}")
        for b in self.folding_budgets:
            if not 0 < b <= 1:
                raise SNN2FPGAError(f"folding budget {b} outside (0, 1]: it is a share of every resource")
        return [
            SweepPoint(name=f"w{wb}_s{sb}_t{t}", out_dir=str(self.out_dir), dataset=self.dataset, arch=self.arch,
                       weight_bits=wb, state_bits=sb, timesteps=t, quant=self.quant, epochs=self.epochs,
                       hidden=self.hidden, seed=self.seed, board=self.board, csim_samples=self.csim_samples,
                       data_dir=self.data_dir, train_extra=self.train_extra,
                       folding_budgets=tuple(self.folding_budgets), target_fps=self.target_fps)
            for wb, sb, t in itertools.product(self.weight_bits, self.state_bits, self.timesteps)
        ]


def _finished(point: SweepPoint) -> dict[str, Any] | None:
    """The stored result of a point finished earlier with the same settings, if any."""
    if not point.result_path.is_file():
        return None
    try:
        stored = json.loads(point.result_path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    same = all(stored.get(k) == v for k, v in point.to_dict().items())
    return stored if same else None


def run_sweep(cfg: SweepConfig, log: Callable[[str], None] = print, progress: bool = True) -> dict[str, Any]:
    """Run every point not finished yet, then write the tables and plots; returns the summary."""
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    points = cfg.points()
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for p in points:
        done = _finished(p)
        if done is not None:
            results[p.name] = done
        else:
            todo.append(p)
    if results:
        log(f"resuming: {len(results)} of {len(points)} points already finished")
    bar = tqdm(total=len(todo), desc="sweep", disable=None if progress else True)
    errors: dict[str, str] = {}
    if todo:
        with ProcessPoolExecutor(max_workers=max(1, cfg.workers)) as pool:
            futures = {pool.submit(run_point, p): p for p in todo}
            for fut in as_completed(futures):
                p = futures[fut]
                try:
                    results[p.name] = fut.result()
                except SNN2FPGAError as exc:
                    errors[p.name] = str(exc)
                    log(f"point {p.name} failed: {exc}")
                bar.update(1)
    bar.close()
    ordered = [results[p.name] for p in points if p.name in results]
    files = write_reports(ordered, cfg.out_dir)
    return {"points": len(points), "finished": len(ordered), "failed": errors, **{k: str(v) for k, v in files.items()}}
