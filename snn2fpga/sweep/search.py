"""Multi-objective search over the sweep's axes (Optuna's NSGA-II) where the full grid is too big.

Each trial picks one value per axis (weight bits, state bits, timesteps, and the hidden shape when it is
an axis), the point is evaluated like a grid point (run on the sweep's engine, stored in the study's
database; a point evaluated before, by the grid or an earlier trial, is read back instead of run again),
and the trial is told (top-1 accuracy, cost), maximising accuracy and minimising the cost (LUT estimate
or latency). The Optuna study lives in the same database as the points, so a killed search resumes: its
finished trials are kept, and the trials a dead driver on this host left running are marked failed and
asked again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from tqdm import tqdm

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep.points import SweepPoint
from snn2fpga.sweep.report import markdown, pareto, write_reports
from snn2fpga.sweep.runner import SweepConfig, evaluate, hidden_key, open_engine, open_store
from snn2fpga.sweep.store import owner_alive, public_url, this_owner

TRIAL_COLUMNS = ("trial", "name", "weight_bits", "state_bits", "timesteps", "hidden", "top1", "lut", "latency_us",
                 "state")
WAIT_ELSEWHERE_S = 10.0
FRONT_COLUMNS = ("name", "weight_bits", "state_bits", "timesteps", "top1", "lut", "latency_us")


class Objective(Enum):
    """The cost minimised beside accuracy: a column of the results."""

    LUT = "lut"
    LATENCY = "latency_us"


@dataclass(frozen=True)
class SearchConfig:
    """A search: how many trials end complete, NSGA-II's population, the sampler seed, the cost, and whether to
    also evaluate the whole grid to compare fronts (only sensible for a grid small enough to enumerate)."""

    trials: int
    objective: Objective = Objective.LUT
    population: int = 8
    sampler_seed: int = 0
    compare_grid: bool = False

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise SNN2FPGAError(f"--trials must be >= 1, got {self.trials}")
        if self.population < 2:
            raise SNN2FPGAError(f"--population must be >= 2 (NSGA-II breeds pairs), got {self.population}")


def _import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise SNN2FPGAError("--search optuna needs Optuna, which is not installed: pip install 'snn2fpga[search]'") \
            from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _fail_orphans(optuna: Any, study: Any) -> int:
    """Mark failed the trials left running by a driver of this host that is gone (a killed search)."""
    n = 0
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        owner = t.user_attrs.get("owner", "")
        if owner and not owner_alive(owner):
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
            n += 1
    return n


def _complete(optuna: Any, study: Any) -> int:
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def run_search(cfg: SweepConfig, search: SearchConfig, log: Callable[[str], None] = print,
               progress: bool = True) -> dict[str, Any]:
    """Run trials until ``search.trials`` are complete; write the trial table, the front found, and (with
    ``compare_grid``) the grid's true front and which of its points the search found."""
    optuna = _import_optuna()
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    cfg.validate()
    cost = search.objective.value
    store = open_store(cfg)
    study = optuna.create_study(
        # a different population or seed is a different search: its own Optuna study beside the same points
        study_name=f"{store.study}/nsga2-p{search.population}-s{search.sampler_seed}/{cost}", storage=store.url,
        load_if_exists=True,
        directions=["maximize", "minimize"],
        sampler=optuna.samplers.NSGAIISampler(population_size=search.population, seed=search.sampler_seed))
    orphans = _fail_orphans(optuna, study)
    if orphans:
        log(f"resuming: {orphans} trials left running by a killed driver are marked failed and asked again")
    done = _complete(optuna, study)
    if done:
        log(f"resuming: {done} of {search.trials} trials already complete")
    evaluated: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    bar = tqdm(total=max(0, search.trials - done), desc="search", disable=None if progress else True)
    engine = open_engine(cfg)
    try:
        while (done := _complete(optuna, study)) < search.trials:
            batch: list[tuple[Any, SweepPoint]] = []
            for _ in range(min(max(1, cfg.workers), search.trials - done)):
                trial = study.ask()
                trial.set_user_attr("owner", this_owner())
                hiddens = {hidden_key(h): h for h in cfg.hiddens()}
                # an axis with one value is no choice: it stays out of the sampler (and of the trial's params)
                hidden = hiddens[trial.suggest_categorical("hidden", list(hiddens))] if len(hiddens) > 1 else None
                point = cfg.point(trial.suggest_categorical("weight_bits", cfg.weight_bits),
                                  trial.suggest_categorical("state_bits", cfg.state_bits),
                                  trial.suggest_categorical("timesteps", cfg.timesteps), hidden)
                trial.set_user_attr("point", point.name)
                batch.append((trial, point))
            unique = list({p.name: p for _, p in batch}.values())
            results, errs, elsewhere = evaluate(unique, store, engine, log)
            evaluated.update(results)
            errors.update(errs)
            for trial, point in batch:
                if point.name in results:
                    r = results[point.name]
                    study.tell(trial, [float(r["top1"]), float(r[cost])])
                    bar.update(1)
                else:
                    # failed here, or being run by another driver: this trial does not count, another is asked
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
            if not any(p.name in results for _, p in batch):
                if not elsewhere:
                    raise SNN2FPGAError(f"every point of a search batch failed: {errs}")
                time.sleep(WAIT_ELSEWHERE_S)  # another driver runs them: ask again once it may have stored them
        grid_rows: list[dict[str, Any]] | None = None
        if search.compare_grid:
            grid = cfg.points()
            gres, gerr, gelse = evaluate(grid, store, engine, log)
            errors.update(gerr)
            if gerr or gelse:
                raise SNN2FPGAError(f"the grid to compare with is incomplete: failed {sorted(gerr)}, "
                                    f"running elsewhere {sorted(gelse)}")
            grid_rows = [gres[p.name] for p in grid]
    finally:
        engine.close()
        bar.close()
    trials = _trial_rows(optuna, study, store)
    store.close()
    searched = {t["name"]: t["result"] for t in trials if t["result"] is not None}
    summary = _compare(list(searched.values()), grid_rows, cost)
    files = write_reports(grid_rows if grid_rows is not None else sorted(searched.values(), key=lambda r: r["name"]),
                          cfg.out_dir)
    files.update(_write_search(cfg.out_dir, trials, summary, cost))
    return {"search": "optuna-nsga2", "objective": cost, "trials": _complete(optuna, study),
            "distinct_points": len(searched), "failed": errors, "engine": cfg.engine.value,
            "database": public_url(store.url), "study": study.study_name, **summary,
            **{k: str(v) for k, v in files.items()}}


def _trial_rows(optuna: Any, study: Any, store: Any) -> list[dict[str, Any]]:
    """Every trial of the study with its point's stored result (None unless complete)."""
    stored = {r["name"]: r["result"] for r in store.rows() if r["status"] == "done"}
    rows = []
    for t in study.get_trials(deepcopy=False):
        name = t.user_attrs.get("point", "")
        complete = t.state == optuna.trial.TrialState.COMPLETE
        result = stored.get(name) if complete else None
        rows.append({"trial": t.number, "name": name, **{k: t.params.get(k) for k in TRIAL_COLUMNS[2:6]},
                     "top1": result["top1"] if result else None, "lut": result["lut"] if result else None,
                     "latency_us": result["latency_us"] if result else None, "state": t.state.name,
                     "result": result})
    return rows


def _compare(searched: list[dict[str, Any]], grid: list[dict[str, Any]] | None, cost: str) -> dict[str, Any]:
    """The front the search found and, given the whole grid, the true front and which of it was found."""
    found = pareto(searched, cost)
    out: dict[str, Any] = {"front": [r["name"] for r in found], "front_rows": found}
    if grid is not None:
        true = pareto(grid, cost)
        names = {r["name"] for r in searched}
        out.update({"grid_points": len(grid), "true_front": [r["name"] for r in true], "true_front_rows": true,
                    "found_true_front": [r["name"] for r in true if r["name"] in names],
                    "missed_true_front": [r["name"] for r in true if r["name"] not in names]})
    return out


def _write_search(out: Path, trials: list[dict[str, Any]], summary: dict[str, Any], cost: str) -> dict[str, Path]:
    """search_trials.json/md and search_front.md (with the comparison when the grid was evaluated)."""
    files = {"search_trials_json": out / "search_trials.json", "search_trials_markdown": out / "search_trials.md",
             "search_front_markdown": out / "search_front.md"}
    plain = [{k: v for k, v in t.items() if k != "result"} for t in trials]
    files["search_trials_json"].write_text(json.dumps(plain, indent=1, sort_keys=True))
    files["search_trials_markdown"].write_text(markdown(plain, TRIAL_COLUMNS))
    text = f"# Pareto front found by the search (top-1 up, {cost} down)\n\n" + markdown(summary["front_rows"],
                                                                                        FRONT_COLUMNS)
    if "true_front" in summary:
        text += (f"\n# True front of the {summary['grid_points']}-point grid\n\n"
                 + markdown(summary["true_front_rows"], FRONT_COLUMNS)
                 + f"\nfound {len(summary['found_true_front'])} of {len(summary['true_front'])} true-front points: "
                 f"{', '.join(summary['found_true_front']) or 'none'}; missed: "
                 f"{', '.join(summary['missed_true_front']) or 'none'}\n")
    files["search_front_markdown"].write_text(text)
    summary.pop("front_rows")
    summary.pop("true_front_rows", None)
    return files

