"""Run the build steps in order, checkpoint each, and resume a build from its last good step."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.boards import load_board
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.flow.config import BuildConfig
from snn2fpga.flow.rtl_steps import step_generate_rtl, step_rtlsim, step_synth
from snn2fpga.flow.state import (
    STATE_FILE,
    build_lock,
    changed_outputs,
    file_hashes,
    fingerprint,
    load_state,
    save_state,
)
from snn2fpga.flow.steps import (
    BuildContext,
    step_csim,
    step_estimate,
    step_export,
    step_fold,
    step_generate_hls,
    step_lower,
    step_specialize,
)
from snn2fpga.flow.synth_steps import step_deploy, step_hls_synth, step_vivado
from snn2fpga.io import atomic_save

STEPS: list[tuple[str, Callable[..., ModelWrapper]]] = [
    ("export", step_export),
    ("lower", step_lower),
    ("specialize", step_specialize),  # before folding, as in FINN: folding and estimates see the backend's facts
    ("fold", step_fold),
    ("estimate", step_estimate),
    ("generate_hls", step_generate_hls),
    ("csim", step_csim),
    ("generate_rtl", step_generate_rtl),
    ("rtlsim", step_rtlsim),
    ("synth", step_synth),
    ("hls_synth", step_hls_synth),
    ("vivado", step_vivado),
    ("deploy", step_deploy),
]

LOG_FILE = "build.log"
INTERMEDIATE = "intermediate"
GENERATED_DIRS = {"generate_hls": "hls_dir", "generate_rtl": "rtl_dir"}  # steps whose files are hashed


def _first_stale(state: dict[str, Any], build_dir: Path, log: Callable[[str], None]) -> int | None:
    """Index of the first step whose generated files were edited or removed since it ran (None: none)."""
    changed = changed_outputs(state, build_dir)
    names = [name for name, _ in STEPS]
    for step, files in changed.items():
        shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        log(f"{shown} changed since step {step} generated it: regenerating from there (edits to generated "
            "sources are not kept; change the model or the kernels instead)")
    return min((names.index(s) for s in changed if s in names), default=None)


def _record_outputs(state: dict[str, Any], name: str, results: dict[str, Any], build_dir: Path) -> None:
    key = GENERATED_DIRS.get(name)
    folder = results.get(name, {}).get(key) if key else None
    if folder and Path(folder).is_dir():
        state["outputs"][name] = file_hashes(Path(folder), build_dir)
    else:
        state["outputs"].pop(name, None)


def run_build(cfg: BuildConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) every step; returns the results of all steps."""
    cfg.validate()
    board = load_board(cfg.board)
    fp = fingerprint(cfg)
    build_dir = cfg.build_dir
    try:
        (build_dir / INTERMEDIATE).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SNN2FPGAError(f"cannot create build folder {build_dir}: {exc.strerror or exc}") from None
    with build_lock(build_dir):
        return _run_locked(cfg, board, fp, log)


def _run_locked(cfg: BuildConfig, board: Any, fp: str, log: Callable[[str], None]) -> dict[str, Any]:
    build_dir = cfg.build_dir
    state_path = build_dir / STATE_FILE
    logfile = (build_dir / LOG_FILE).open("a")

    def both(msg: str) -> None:
        log(msg)
        logfile.write(msg + "\n")
        logfile.flush()

    state = load_state(state_path, fp, cfg.force, both)
    stale = _first_stale(state, build_dir, both)
    ctx = BuildContext(cfg=cfg, board=board, log=both, results=dict(state["results"]))
    model: ModelWrapper | None = None
    rerun = False  # once a step runs, every later step runs too (its inputs may have changed)
    try:
        for i, (name, fn) in enumerate(STEPS):
            ckpt = build_dir / INTERMEDIATE / f"{i:02d}_{name}.onnx"
            rerun = rerun or (stale is not None and i >= stale)
            if not rerun and name in state["done"] and ckpt.is_file():
                try:
                    model = ModelWrapper(str(ckpt))
                except Exception as exc:  # onnx raises several types for a truncated or damaged file
                    both(f"[{i:02d} {name}] {ckpt} is unreadable ({type(exc).__name__}): running the step again")
                else:
                    both(f"[{i:02d} {name}] done in a previous run (resumed from {ckpt})")
                    continue
            rerun = True
            t0 = time.perf_counter()
            both(f"[{i:02d} {name}] ...")
            state["done"] = [d for d in state["done"] if d != name]
            try:
                model = fn(model, ctx)
            except VerificationError as exc:
                exc.summary = {**summary_of(ctx.results, cfg, board.name), **exc.summary}
                raise
            finally:
                state["results"] = ctx.results
                save_state(state_path, state)
            atomic_save(ckpt, lambda tmp, m=model: m.save(str(tmp)))
            _record_outputs(state, name, ctx.results, build_dir)
            if not ctx.results.get(name, {}).get("pending", False):  # skipped tool steps run again next time
                state["done"].append(name)
            save_state(state_path, state)
            both(f"[{i:02d} {name}] ok ({time.perf_counter() - t0:.1f}s) -> {ckpt}")
    finally:
        logfile.close()
    return ctx.results


def summary_of(results: dict[str, Any], cfg: BuildConfig, board: str) -> dict[str, Any]:
    """The JSON summary of a build (what `build --json` prints)."""
    est = results.get("estimate", {})
    csim = results.get("csim", {})
    pending = [results[s]["command"] for s in ("hls_synth", "vivado") if results.get(s, {}).get("pending")]
    rtlsim, synth = results.get("rtlsim", {}), results.get("synth", {})
    return {
        "board": board,
        "backend": results.get("specialize", {}).get("backend"),
        "build_dir": str(cfg.build_dir),
        "onnx": results.get("export", {}).get("onnx"),
        "folding": results.get("fold", {}).get("folding"),
        "csim": None if "skipped" in csim else {k: csim.get(k) for k in ("samples", "mismatches", "accuracy", "data",
                                                                          "vacuous", "loops")},
        "estimate": {**{k: est.get(k) for k in ("lut", "ff", "bram36", "dsp", "latency_us", "fps", "fits")},
                     # per stage: its figures are the formulas' ("estimate") or yosys' from the synth cache ("synth")
                     "resources_from": {la["name"]: la.get("resources_from", "estimate")
                                        for la in est.get("layers", [])}},
        "rtlsim": None if not rtlsim or "skipped" in rtlsim else {
            k: rtlsim.get(k) for k in ("samples", "mismatches", "accuracy", "latency_cycles", "interval_cycles",
                                       "model", "level")},
        "synth": None if not synth or "skipped" in synth else {
            k: synth.get(k) for k in ("lut", "ff", "carry4", "lutram", "bram36", "dsp", "tool", "level", "fits",
                                      "stages")},
        "hls_dir": results.get("generate_hls", {}).get("hls_dir"),
        "rtl_dir": results.get("generate_rtl", {}).get("rtl_dir"),
        "hls_synth": results.get("hls_synth", {}).get("report"),
        "vivado": {k: results.get("vivado", {}).get(k) for k in ("utilization", "timing")},
        "bitstream": results.get("deploy", {}).get("bitstream"),
        "deploy": results.get("deploy", {}).get("deploy"),
        "pending_commands": pending,
        "saturations": recorded_saturations(results),
    }


def recorded_saturations(results: dict[str, Any]) -> dict[str, int]:
    """Membrane clamps the build saw, per stage (C-simulation) and per layer (export verification of a .pt);
    only the non-zero counts. A model that saturates is still exact across stages, but its accuracy is
    that of clamped membranes: the summary says so."""
    out: dict[str, int] = {}
    verification = results.get("export", {}).get("verification") or {}
    for layer, n in (verification.get("saturations") or {}).items():
        if n:
            out[f"export:{layer}"] = int(n)
    for stage, n in (results.get("csim", {}).get("saturations") or {}).items():
        if n:
            out[f"csim:{stage}"] = int(n)
    return out
