"""Run the build steps in order, checkpoint each, and resume a build from its last good step."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.boards import load_board
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.flow.config import BuildConfig
from snn2fpga.flow.rtl_steps import step_generate_rtl, step_rtlsim, step_synth
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

STATE_FILE = "build_state.json"
LOG_FILE = "build.log"
INTERMEDIATE = "intermediate"


def fingerprint(cfg: BuildConfig) -> str:
    """Hash of everything a build's results depend on: model bytes, settings, toolchain version."""
    if not cfg.model.is_file():
        raise SNN2FPGAError(f"model not found: {cfg.model}")
    h = hashlib.sha256(cfg.model.read_bytes())
    h.update(json.dumps(cfg.fingerprint_data(), sort_keys=True).encode())
    h.update(snn2fpga.__version__.encode())
    return h.hexdigest()


def _load_state(path: Path, fp: str, force: bool) -> dict[str, Any]:
    fresh: dict[str, Any] = {"fingerprint": fp, "done": [], "results": {}}
    if force or not path.is_file():
        return fresh
    try:
        state = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return fresh
    if state.get("fingerprint") != fp:
        raise SNN2FPGAError(
            f"{path.parent} holds a build of another model or configuration; rebuild it with --force "
            "(only snn2fpga's own files there are overwritten) or choose another folder with -o"
        )
    return state


def run_build(cfg: BuildConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) every step; returns the results of all steps."""
    board = load_board(cfg.board)
    fp = fingerprint(cfg)
    build_dir = cfg.build_dir
    try:
        (build_dir / INTERMEDIATE).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SNN2FPGAError(f"cannot create build folder {build_dir}: {exc.strerror or exc}") from None
    state_path = build_dir / STATE_FILE
    state = _load_state(state_path, fp, cfg.force)
    logfile = (build_dir / LOG_FILE).open("a")

    def both(msg: str) -> None:
        log(msg)
        logfile.write(msg + "\n")
        logfile.flush()

    ctx = BuildContext(cfg=cfg, board=board, log=both, results=dict(state["results"]))
    model: ModelWrapper | None = None
    rerun = False  # once a step runs, every later step runs too (its inputs may have changed)
    try:
        for i, (name, fn) in enumerate(STEPS):
            ckpt = build_dir / INTERMEDIATE / f"{i:02d}_{name}.onnx"
            if not rerun and name in state["done"] and ckpt.is_file():
                model = ModelWrapper(str(ckpt))
                both(f"[{i:02d} {name}] done in a previous run (resumed from {ckpt})")
                continue
            rerun = True
            t0 = time.perf_counter()
            both(f"[{i:02d} {name}] ...")
            try:
                model = fn(model, ctx)
            except VerificationError as exc:
                exc.summary = {**summary_of(ctx.results, cfg, board.name), **exc.summary}
                raise
            finally:
                state["results"] = ctx.results
                state_path.write_text(json.dumps(state, indent=1, sort_keys=True, default=str))
            model.save(str(ckpt))
            state["done"] = [d for d in state["done"] if d != name]
            if not ctx.results.get(name, {}).get("pending", False):  # skipped tool steps run again next time
                state["done"].append(name)
            state_path.write_text(json.dumps(state, indent=1, sort_keys=True, default=str))
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
        "csim": None if "skipped" in csim else {k: csim.get(k) for k in ("samples", "mismatches", "accuracy")},
        "estimate": {k: est.get(k) for k in ("lut", "ff", "bram36", "dsp", "latency_us", "fps", "fits")},
        "rtlsim": None if not rtlsim or "skipped" in rtlsim else {
            k: rtlsim.get(k) for k in ("samples", "mismatches", "accuracy", "latency_cycles", "interval_cycles",
                                       "model", "level")},
        "synth": None if not synth or "skipped" in synth else {
            k: synth.get(k) for k in ("lut", "ff", "carry4", "lutram", "bram36", "dsp", "tool", "level", "fits")},
        "hls_dir": results.get("generate_hls", {}).get("hls_dir"),
        "rtl_dir": results.get("generate_rtl", {}).get("rtl_dir"),
        "hls_synth": results.get("hls_synth", {}).get("report"),
        "vivado": {k: results.get("vivado", {}).get(k) for k in ("utilization", "timing")},
        "bitstream": results.get("deploy", {}).get("bitstream"),
        "deploy": results.get("deploy", {}).get("deploy"),
        "pending_commands": pending,
    }
