"""The build steps: small named functions ``step_x(model, ctx) -> model`` (FINN style).

Each step's returned model is checkpointed by the driver as ``intermediate/NN_<step>.onnx``; what a
step learns besides the model (paths, reports) goes into ``ctx.results[<step>]`` (JSON-able).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.boards import Board
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.flow.config import AUTO_FOLDING, BuildConfig
from snn2fpga.io import atomic_write_json

CSIM_REFERENCE = "csim_reference.npz"  # QONNX scores/predictions of the C-simulated inputs (reused by deploy)

CSIM_RANDOM_SAMPLES = 64
EXPORTED = "model.onnx"  # a .pt model's export, in the build folder


@dataclass
class BuildContext:
    """State shared by the steps of one build."""

    cfg: BuildConfig
    board: Board
    log: Callable[[str], None]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def build_dir(self) -> Path:
        return self.cfg.build_dir

    @property
    def clock_mhz(self) -> float:
        return self.cfg.clock_mhz or self.board.clock_mhz


def _load_exported(path: Path) -> ModelWrapper:
    from snn2fpga.export.graph import read_meta

    try:
        model = ModelWrapper(str(path))
    except Exception as exc:  # onnx raises several types for unreadable files
        raise SNN2FPGAError(f"{path} is not a readable ONNX file: {exc}") from None
    try:
        read_meta(model)
    except ValueError:
        raise SNN2FPGAError(
            f"{path} is an ONNX file but not one exported by snn2fpga (metadata missing); export it with "
            "`snn2fpga export model.pt` or snn2fpga.export()"
        ) from None
    from snn2fpga.ops.check import check_custom_op_attributes

    check_custom_op_attributes(model, str(path))
    return model


def exported_onnx(ctx: BuildContext) -> Path:
    """The exported graph the build uses: its own export of a .pt (``model.onnx`` in the build folder), or
    the .onnx it was given (found through the configuration, so a moved build folder still finds it)."""
    return ctx.build_dir / EXPORTED if ctx.cfg.model.suffix == ".pt" else ctx.cfg.model


def step_export(model: ModelWrapper | None, ctx: BuildContext) -> ModelWrapper:
    """Load the exported graph, or export (and verify) a .pt checkpoint into the build folder."""
    src = ctx.cfg.model
    if src.suffix == ".pt":
        from snn2fpga.export.checkpoint_export import export_checkpoint

        out = ctx.build_dir / EXPORTED
        summary = export_checkpoint(src, out, ctx.cfg.verify_samples, ctx.cfg.data_dir, False, log=ctx.log)
        ctx.results["export"] = {"onnx": str(out), "verification": summary}
        return _load_exported(out)
    ctx.results["export"] = {"onnx": str(src)}
    return _load_exported(src)


def step_lower(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Exported graph -> hardware ops (one fused node per layer, on-chip encoder, counter)."""
    from snn2fpga.transforms.lower import lower_to_hw

    return lower_to_hw(model)


def step_fold(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Choose PE/SIMD: auto folding for a target rate or board share, or a JSON folding config."""
    from snn2fpga.transforms.folding import (
        ApplyFoldingConfig,
        AutoFolding,
        folding_config,
        load_folding_config,
    )

    cfg = ctx.cfg
    lookup = synth_lookup(model, ctx)
    refined: dict[str, Any] | None = None  # what --synth-folding synthesized, round by round
    if cfg.folding == AUTO_FOLDING:
        fold = AutoFolding(target_fps=cfg.target_fps, max_fraction=cfg.max_fraction, board=ctx.board,
                           clock_mhz=ctx.clock_mhz, measured=lookup)
        if cfg.synth_folding and lookup is not None:
            model, refined = synth_fold(model, fold, lookup, ctx)
        else:
            model = model.transform(fold)
    else:
        model = model.transform(ApplyFoldingConfig(load_folding_config(Path(cfg.folding))))
    folding = folding_config(model)
    path = ctx.build_dir / "folding_config.json"
    atomic_write_json(path, folding)
    ctx.results["fold"] = {"folding": folding, "folding_config": str(path)}
    if refined is not None:
        ctx.results["fold"]["synth_folding"] = refined
    if lookup is not None and cfg.folding == AUTO_FOLDING:
        hits = sum(r is not None for r in lookup.found.values())
        ctx.results["fold"]["synth_cache"] = {"configurations": lookup.lookups, "synthesized": hits}
        ctx.log(f"folding: {hits} of {lookup.lookups} stage configurations it weighed had yosys figures in the "
                "synth cache (used as level synth); the others used the fitted formulas (level estimate)")
    return model


SYNTH_FOLDING_ROUNDS = 3


def synth_fold(model: ModelWrapper, fold: Any, lookup: Any, ctx: BuildContext) -> tuple[ModelWrapper, dict[str, Any]]:
    """``--synth-folding``: fold, synthesize every stage's chosen configuration that yosys has not seen, fold
    again with those figures; stop when every chosen configuration was weighed with its yosys figures (or
    after SYNTH_FOLDING_ROUNDS rounds, keeping the last choice). Returns the folded model and the rounds."""
    from snn2fpga.hwir.graph import stage_specs

    rounds = []
    for _ in range(SYNTH_FOLDING_ROUNDS):
        folded = model.transform(fold)
        new = [s for s in stage_specs(folded) if s.name in lookup.nodes and lookup.result(s) is None]
        rounds.append({"synthesized": [f"{s.name} PE={s.pe} SIMD={s.simd}" for s in new]})
        if not new:
            break
        for spec in new:
            res = lookup.synthesize(spec)
            ctx.log(f"synth-folding: {spec.name} at PE={spec.pe}, SIMD={spec.simd}: {res.lut_total} LUT, {res.ff} FF, "
                    f"{res.bram36} BRAM36 (synth)")
    return folded, {"rounds": rounds, "settled": not rounds[-1]["synthesized"]}


def synth_lookup(model: ModelWrapper, ctx: BuildContext) -> Any:
    """For an RTL build, the cache-only lookup of per-stage yosys results (codegen.stage_synth); None otherwise."""
    if ctx.results.get("specialize", {}).get("backend") != "rtl":
        return None
    from snn2fpga.codegen.stage_synth import StageSynthLookup

    return StageSynthLookup(model)


def step_specialize(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Pick the backend of every hardware op (``--backend``: hls, rtl, or auto = rtl when every stage has
    one); runs before folding, so that the folding search and the estimates use the chosen backend's
    facts (cycles, resources, legal foldings)."""
    from snn2fpga.transforms.specialize import SpecializeLayers, resolve_backend

    chosen = resolve_backend(model, ctx.cfg.backend)
    ctx.results["specialize"] = {"backend": chosen.value, "requested": ctx.cfg.backend}
    ctx.log(f"backend: {chosen.value}" + (f" (requested {ctx.cfg.backend})" if ctx.cfg.backend != chosen.value else ""))
    return model.transform(SpecializeLayers(chosen))


def _rtl_build(ctx: BuildContext, step: str) -> bool:
    """True (and ``step`` recorded as skipped) when the build uses the RTL backend."""
    from snn2fpga.flow.rtl_steps import skip_unless
    from snn2fpga.hwir.spec import Backend

    return skip_unless(ctx, step, Backend.HLS)


def step_estimate(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Resource and performance estimates, checked against the board's capacity."""
    from snn2fpga.estimate.report import estimate_model, write_estimate_reports

    est = estimate_model(model, ctx.board, ctx.clock_mhz, measured=synth_lookup(model, ctx))
    write_estimate_reports(est, ctx.build_dir / "report")
    ctx.results["estimate"] = est.to_dict()
    synthesized = [layer.name for layer in est.layers if layer.source == "synth"]
    if synthesized:
        ctx.log(f"estimate: the resources of {', '.join(synthesized)} are yosys figures of exactly that stage "
                "configuration (synth cache, pre-place-and-route); the other stages' are the formulas")
    if not ctx.results["estimate"].get("fits", True):
        ctx.log(f"WARNING: the estimate exceeds {ctx.board.name}'s capacity: "
                f"{ctx.results['estimate'].get('exceeds')}; fold less (smaller PE/SIMD) or pick a larger board")
    return model


def step_generate_hls(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Generate the HLS project (top, configs, weights, C-simulation library source)."""
    if _rtl_build(ctx, "generate_hls"):
        return model
    from snn2fpga.codegen.generate import generate_project

    project = generate_project(model, ctx.build_dir, source=str(ctx.cfg.model.name))
    ctx.results["generate_hls"] = project.to_dict()
    return model


def _csim_inputs(exported: ModelWrapper, ctx: BuildContext) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Graph inputs (and labels) for the C-simulation: the test split, or deterministic random inputs."""
    from snn2fpga.data import load_any_dataset
    from snn2fpga.export.graph import read_meta
    from snn2fpga.semantics import quantize_input

    meta = read_meta(exported)
    dataset = ctx.cfg.dataset or meta.get("dataset") or ""
    limit = ctx.cfg.csim_samples
    iq = meta["encoder"] == "iq_plane"
    if ctx.cfg.inputs is not None:
        from snn2fpga.flow.user_inputs import load_user_inputs

        if ctx.cfg.dataset:
            raise SNN2FPGAError("give --inputs or --dataset for the C-simulation, not both")
        x = load_user_inputs(Path(ctx.cfg.inputs), meta, limit)
        return (x if meta["encoder"] == "none" else host_quantize(x, meta)), None, f"inputs of {ctx.cfg.inputs}"
    if ctx.cfg.dataset and meta["encoder"] == "none":
        raise SNN2FPGAError(f"--dataset {ctx.cfg.dataset} cannot feed this model: it takes spike trains, not "
                            "features; give them with --inputs FILE.npy ([T, n, N] of 0/1)")
    if dataset and meta["encoder"] != "none":
        data = load_any_dataset(dataset, ctx.cfg.data_dir, meta.get("dataset_selection") or {})
        x, y = data.x_test, data.y_test
        if limit is not None:
            x, y = x[:limit], y[:limit]
        return host_quantize(x, meta), y, f"{dataset} test split"
    rng = np.random.default_rng(0)
    n = limit if limit is not None else CSIM_RANDOM_SAMPLES
    n_in = int(np.prod(meta["input_shape"]))
    if meta["encoder"] == "none":
        return (rng.random((meta["timesteps"], n, n_in)) < 0.3).astype(np.uint8), None, "random spike trains"
    if iq:
        return rng.integers(-128, 128, (n, meta["timesteps"], 2)).astype(np.int8), None, "random I/Q codes"
    return quantize_input(rng.random((n, n_in))), None, "random inputs"


def host_quantize(x: np.ndarray, meta: dict[str, object]) -> np.ndarray:
    """What the host sends for features / I/Q frames x: uint8 features, or normalised 8-bit I/Q codes."""
    from snn2fpga.data.radioml import iq_normalize
    from snn2fpga.semantics import quantize_input
    from snn2fpga.semantics.iq import quantize_iq

    if meta["encoder"] == "iq_plane":
        return quantize_iq(iq_normalize(x.reshape(len(x), -1, 2), str(meta["iq_norm"])), float(meta["iq_range"]))
    return quantize_input(x.reshape(len(x), -1))


def step_csim(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Compile the generated top with g++ and compare it with the QONNX execution, exactly.

    The QONNX side is taken from the reference that export verification stored for the same graph
    file and inputs (:mod:`snn2fpga.export.reference`) when there is one; otherwise QONNX runs here.
    """
    if _rtl_build(ctx, "csim"):
        return model
    from snn2fpga.codegen.csim import CSimLibrary, compile_csim
    from snn2fpga.codegen.generate import HLSProject
    from snn2fpga.codegen.verify_csim import verify_csim
    from snn2fpga.export.reference import inputs_key, load_reference

    onnx_path = exported_onnx(ctx)
    exported = _load_exported(onnx_path)
    gen = dict(ctx.results["generate_hls"])
    gen["hls_dir"] = Path(gen["hls_dir"])
    project = HLSProject(**gen)
    lib_path = compile_csim(project.hls_dir, hw_loops=ctx.cfg.csim_hw_loops)
    inputs, labels, what = _csim_inputs(exported, ctx)
    reference = None if project.input_kind == "spikes" else load_reference(inputs_key(onnx_path, inputs))
    report = verify_csim(exported, project, CSimLibrary(lib_path), inputs, labels, jobs=ctx.cfg.jobs,
                         reference=reference)
    from snn2fpga.flow.user_inputs import vacuous

    empty = vacuous(report.reference_scores)
    ctx.results["csim"] = {**report.to_dict(), "data": what, "library": str(lib_path), "vacuous": empty,
                           "loops": "synthesised (--csim-hw-loops)" if ctx.cfg.csim_hw_loops else "fast paths",
                           "qonnx_reference": "stored by export verification" if reference is not None else "computed"}
    if empty:
        ctx.log(f"WARNING: the C-simulation check is vacuous: every score of the {report.samples} samples "
                f"({what}) is 0 (nothing fired), so its 0 mismatches show nothing; check with inputs that drive "
                "the network (--inputs FILE.npy or --dataset)")
    if report.reference_scores is not None and report.reference_predictions is not None:
        from snn2fpga.flow.deploy import inputs_digest, save_reference

        digest = inputs_digest(onnx_path, inputs)
        save_reference(ctx.build_dir / CSIM_REFERENCE, digest, report.reference_scores,
                       report.reference_predictions)
    ctx.log(f"C-simulation on {report.samples} samples ({what}): {report.mismatches} mismatches vs QONNX"
            + (" (reference stored by export verification)" if reference is not None else "")
            + (f", accuracy {report.accuracy:.4f}" if report.accuracy is not None else ""))
    if report.mismatches:
        raise VerificationError(
            f"C-simulation differs from the QONNX execution on {report.mismatches} of {report.samples} samples "
            f"(scores: {report.score_mismatches}, predictions: {report.prediction_mismatches}, hidden spike "
            f"counts: {report.spike_count_mismatches}); first: {report.first_mismatch}"
        )
    return model
