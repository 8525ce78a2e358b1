"""Build steps of the RTL backend: generate the SystemVerilog top, simulate it in Verilator, synthesize it
with yosys. Each is a no-op (recorded as skipped) when the build uses the HLS backend, and the HLS steps are
no-ops when it uses the RTL backend, so one step list (and one checkpoint numbering) serves both.

Hardware truth: ``rtlsim`` counts clock cycles of the Verilator model (level ``rtlsim``); ``synth`` reports
yosys ``synth_xilinx`` cell counts (level ``synth``, before place and route). Both stand beside the
``estimate`` block in the build's JSON, never in place of it.
"""

from __future__ import annotations

from typing import Any

from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.errors import VerificationError
from snn2fpga.flow.steps import CSIM_REFERENCE, BuildContext, _csim_inputs, _load_exported, exported_onnx
from snn2fpga.hwir.spec import Backend

# Random back-pressure of the verification run: a fifth of the cycles without a new input word, a fifth
# with the output not ready (seeded). The timing run has none, so its cycles are the design's own.
RTLSIM_IN_GAP_PCT = 20
RTLSIM_OUT_STALL_PCT = 20
RTLSIM_SEED = 1
TIMING_SAMPLES = 4  # samples back to back in the stall-free timing run (latency of the first, interval after)


def build_backend(ctx: BuildContext) -> Backend:
    """The backend the specialize step chose (HLS before it ran, for builds made before backends existed)."""
    return Backend(ctx.results.get("specialize", {}).get("backend", Backend.HLS))


def skip_unless(ctx: BuildContext, step: str, backend: Backend) -> bool:
    """Record ``step`` as skipped and return True when the build does not use ``backend``."""
    chosen = build_backend(ctx)
    if chosen is backend:
        return False
    ctx.results[step] = {"skipped": f"backend {chosen.value}"}
    return True


def step_generate_rtl(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Generate the SystemVerilog project (top, ROM files, Verilator driver, kernel copies)."""
    if skip_unless(ctx, "generate_rtl", Backend.RTL):
        return model
    from snn2fpga.codegen.rtl_generate import generate_rtl_project

    project = generate_rtl_project(model, ctx.build_dir, source=str(ctx.cfg.model.name))
    ctx.results["generate_rtl"] = project.to_dict()
    return model


def timing_run(lib: Any, words: Any) -> dict[str, Any]:
    """Latency and interval of the RTL top, measured without stalls on a few samples back to back.

    latency_cycles: from the cycle the first input word of the first sample is accepted to the cycle its
    last output word is accepted. interval_cycles: cycles between the last output words of consecutive
    samples in steady state (the last pair), i.e. one sample every interval_cycles.
    """
    from snn2fpga.codegen.rtlsim import Stalls

    run = lib.run_measured(words[:TIMING_SAMPLES], Stalls(seed=RTLSIM_SEED), with_taps=False)
    latency = int(run.last_out[0] - run.first_in[0])
    interval = int(run.last_out[-1] - run.last_out[-2]) if len(run.last_out) > 1 else latency
    return {"latency_cycles": latency, "interval_cycles": interval, "timing_samples": len(run.last_out)}


def step_rtlsim(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Verilate the top and compare it with the QONNX execution, exactly, under random back-pressure; then
    measure its latency and interval without stalls and set them beside the cycle model."""
    if skip_unless(ctx, "rtlsim", Backend.RTL):
        return model
    from snn2fpga.codegen.generate import pack_inputs
    from snn2fpga.codegen.rtl_generate import RTLProject
    from snn2fpga.codegen.rtlsim import RtlSimLibrary, compile_rtlsim
    from snn2fpga.codegen.verify_csim import verify_csim
    from snn2fpga.estimate.rtl_cycles import rtl_design_cycles

    exported = _load_exported(exported_onnx(ctx))
    project = RTLProject.from_dict(ctx.results["generate_rtl"])
    lib = RtlSimLibrary(compile_rtlsim(project))
    inputs, labels, what = _csim_inputs(exported, ctx)
    lib.configure_stalls(RTLSIM_SEED, RTLSIM_IN_GAP_PCT, RTLSIM_OUT_STALL_PCT, 50_000_000)
    report = verify_csim(exported, project, lib, inputs, labels)  # type: ignore[arg-type]
    words = pack_inputs(inputs, project.input_kind)
    timing = timing_run(lib, words)
    modelled = rtl_design_cycles(model)
    ctx.results["rtlsim"] = {
        "samples": report.samples, "mismatches": report.mismatches, "accuracy": report.accuracy,
        "score_mismatches": report.score_mismatches, "prediction_mismatches": report.prediction_mismatches,
        "spike_count_mismatches": report.spike_count_mismatches, "first_mismatch": report.first_mismatch,
        **timing, "model": modelled.to_dict(), "level": "rtlsim", "data": what, "library": str(lib.path),
        "stalls": {"seed": RTLSIM_SEED, "in_gap_pct": RTLSIM_IN_GAP_PCT, "out_stall_pct": RTLSIM_OUT_STALL_PCT},
    }
    if report.reference_scores is not None and report.reference_predictions is not None:
        from snn2fpga.flow.deploy import inputs_digest, save_reference

        digest = inputs_digest(exported_onnx(ctx), inputs)
        save_reference(ctx.build_dir / CSIM_REFERENCE, digest, report.reference_scores,
                       report.reference_predictions)
    ctx.log(f"RTL simulation on {report.samples} samples ({what}, random stalls): {report.mismatches} mismatches "
            "vs QONNX" + (f", accuracy {report.accuracy:.4f}" if report.accuracy is not None else ""))
    ctx.log(f"RTL cycles: latency {timing['latency_cycles']} measured (rtlsim) vs {modelled.latency} modelled; "
            f"interval {timing['interval_cycles']} measured vs {modelled.interval} modelled")
    if report.mismatches:
        raise VerificationError(
            f"RTL simulation differs from the QONNX execution on {report.mismatches} of {report.samples} samples "
            f"(scores: {report.score_mismatches}, predictions: {report.prediction_mismatches}, hidden spike "
            f"counts: {report.spike_count_mismatches}); first: {report.first_mismatch}"
        )
    return model


def stage_synth(model: ModelWrapper, project: Any) -> dict[str, dict[str, Any]]:
    """yosys figures of every stage's module alone, with its parameters and ROM files (each cached by a hash of
    its inputs, so a resumed or repeated build pays nothing), keyed by stage name."""
    from snn2fpga.codegen.rtl_generate import rtl_nodes, rtl_stages
    from snn2fpga.codegen.stage_synth import stage_params, stage_sources
    from snn2fpga.codegen.synth import synth

    out: dict[str, dict[str, Any]] = {}
    for node, st in zip(rtl_nodes(model), rtl_stages(model), strict=True):
        # the same inputs as StageSynthLookup computes for the folding search (its cache key)
        res = synth([project.rtl_dir / n for n in stage_sources(st)], st.module, params=stage_params(st),
                    rom_files=[project.rtl_dir / rom.name for rom in st.roms])
        out[node.name] = {"module": st.module, "lut": res.lut, "lutram": res.lutram, "ff": res.ff,
                          "bram36": res.bram36, "dsp": res.dsp}
    return out


def step_synth(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """yosys ``synth_xilinx`` of the generated top and of each stage alone: LUT, FF, CARRY4, LUTRAM, BRAM36, DSP
    (pre-place-and-route), checked for latches and against the board's capacity; each stage's figures stand
    beside its estimate."""
    if skip_unless(ctx, "synth", Backend.RTL):
        return model
    from snn2fpga.codegen.rtl_generate import RTLProject
    from snn2fpga.codegen.synth import synth

    project = RTLProject.from_dict(ctx.results["generate_rtl"])
    result = synth([project.rtl_dir / s for s in project.sources], project.top,
                   rom_files=sorted(project.rtl_dir.glob("*.mem")))
    cap = ctx.board.capacity
    used = {"lut": result.lut_total, "ff": result.ff, "bram36": result.bram36, "dsp": result.dsp}
    over = {k: v for k, v in used.items() if v > getattr(cap, k)}
    figures = {k: v for k, v in result.to_json().items() if k != "cells"}
    estimates = {layer["name"]: {k: layer.get(k, "estimate") for k in ("lut", "ff", "bram36", "dsp", "resources_from")}
                 for layer in ctx.results.get("estimate", {}).get("layers", [])}
    stages = {name: {"synth": figs, "estimate": estimates.get(name)}
              for name, figs in stage_synth(model, project).items()}
    ctx.results["synth"] = {**figures, "cells": result.cells, "lut_total": result.lut_total, "level": "synth",
                            "fits": not over, "exceeds": over, "stages": stages}
    for name, st in stages.items():
        est = st["estimate"] or {}
        ctx.log(f"  {name} ({st['synth']['module']}): {st['synth']['lut']} LUT + {st['synth']['lutram']} LUTRAM, "
                f"{st['synth']['ff']} FF, {st['synth']['bram36']} BRAM36 (synth) vs {est.get('lut')} LUT, "
                f"{est.get('ff')} FF, {est.get('bram36')} BRAM36 ({est.get('resources_from', 'estimate')})")
    ctx.log(f"yosys synthesis ({result.tool}): {result.lut} LUT + {result.lutram} LUTRAM, {result.ff} FF, "
            f"{result.carry4} CARRY4, {result.bram36} BRAM36, {result.dsp} DSP")
    if over:
        ctx.log(f"WARNING: the synthesized design exceeds {ctx.board.name}'s capacity: {over}")
    return model
