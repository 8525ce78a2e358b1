"""Build steps that need the Xilinx tools (Vitis HLS, Vivado) and the deploy package.

The TCL is always generated. A tool that is not installed is skipped: the step records the command
to run elsewhere (``ctx.results[step]["pending"]``), the driver does not mark it done (a later run
with the tools resumes there), and the CLI ends with exit code 4 after the deploy package is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.flow.steps import CSIM_REFERENCE, BuildContext, _csim_inputs, _load_exported

PROGRESS_MARKERS = ("Phase ", "ERROR", "CRITICAL WARNING", "Finished", "Starting", "Exporting")


def _progress(ctx: BuildContext) -> Any:
    def show(line: str) -> None:
        if any(m in line for m in PROGRESS_MARKERS):
            ctx.log(f"    {line.rstrip()[:160]}")

    return show


def _project_name(ctx: BuildContext) -> str:
    return ctx.cfg.model.stem


def _rtl(ctx: BuildContext) -> bool:
    """Whether the build uses the RTL backend (chosen by the specialize step)."""
    return ctx.results.get("specialize", {}).get("backend") == "rtl"


def step_hls_synth(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Write the Vitis HLS and Vivado TCL; run `csynth_design` + `export_design` when Vitis HLS is installed."""
    from snn2fpga.flow.reports import find_hls_report, parse_hls_report
    from snn2fpga.flow.tcl import commands_to_run_elsewhere, flow_paths, render_flow_scripts
    from snn2fpga.flow.tools import hls_command, run_tool

    if _rtl(ctx):  # no HLS: the Vivado script adds the generated RTL to the block design itself
        rtl = ctx.results["generate_rtl"]
        scripts = render_flow_scripts(ctx.board, Path(rtl["rtl_dir"]), ctx.build_dir, ctx.clock_mhz,
                                      _project_name(ctx), rtl=(Path(rtl["rtl_dir"]), list(rtl["sources"])))
        ctx.results["hls_synth"] = {"skipped": "backend rtl", "scripts": [str(s) for s in scripts], "pending": False}
        return model
    hls_dir = Path(ctx.results["generate_hls"]["hls_dir"])
    scripts = render_flow_scripts(ctx.board, hls_dir, ctx.build_dir, ctx.clock_mhz, _project_name(ctx))
    paths = flow_paths(ctx.build_dir, _project_name(ctx))
    cmd = hls_command(paths.hls_script)
    res: dict[str, Any] = {"scripts": [str(s) for s in scripts]}
    done_elsewhere = cmd is None and (paths.hls_solution_dir / "syn" / "report").is_dir()
    if done_elsewhere:  # the commands ran on another machine and the folder came back
        report = parse_hls_report(find_hls_report(paths.hls_solution_dir))
        res.update(pending=False, report=report.to_dict(), ran_elsewhere=True)
    elif cmd is None:
        res.update(pending=True, command=commands_to_run_elsewhere(ctx.build_dir)[0], missing="vitis_hls")
        ctx.log("Vitis HLS not found: HLS synthesis left for a machine with the tools")
    else:
        run_tool(cmd, paths.hls_script.parent, ctx.build_dir / "logs" / "vitis_hls.log", _progress(ctx))
        report = parse_hls_report(find_hls_report(paths.hls_solution_dir))
        res.update(pending=False, report=report.to_dict())
        ctx.log(f"HLS synthesis: {report.lut} LUT, {report.ff} FF, {report.bram36} BRAM36, {report.dsp} DSP")
    ctx.results["hls_synth"] = res
    return model


def step_vivado(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Block design, synthesis, implementation and bitstream when Vivado is installed (after HLS synthesis)."""
    from snn2fpga.flow.reports import parse_timing_summary, parse_utilization
    from snn2fpga.flow.tcl import commands_to_run_elsewhere, flow_paths
    from snn2fpga.flow.tools import find_tool, run_tool

    paths = flow_paths(ctx.build_dir, _project_name(ctx))
    vivado = find_tool("vivado")
    res: dict[str, Any] = {"script": str(paths.vivado_script)}
    if vivado is None and paths.bitfile.is_file() and paths.hwh.is_file():  # produced on another machine
        res.update(pending=False, bitstream=str(paths.bitfile), hwh=str(paths.hwh), ran_elsewhere=True,
                   utilization=parse_utilization(paths.utilization_rpt).to_dict()
                   if paths.utilization_rpt.is_file() else None,
                   timing=parse_timing_summary(paths.timing_rpt).to_dict() if paths.timing_rpt.is_file() else None)
    elif vivado is None or ctx.results.get("hls_synth", {}).get("pending", True):
        res.update(pending=True, command=commands_to_run_elsewhere(ctx.build_dir, rtl=_rtl(ctx))[-1],
                   missing="vivado" if vivado is None else "HLS synthesis")
        ctx.log("Vivado not run: the bitstream is left for a machine with the tools")
    else:
        run_tool([str(vivado), "-mode", "batch", "-source", paths.vivado_script.name], paths.vivado_script.parent,
                 ctx.build_dir / "logs" / "vivado.log", _progress(ctx))
        res.update(pending=False, bitstream=str(paths.bitfile), hwh=str(paths.hwh),
                   utilization=parse_utilization(paths.utilization_rpt).to_dict(),
                   timing=parse_timing_summary(paths.timing_rpt).to_dict())
    ctx.results["vivado"] = res
    return model


def step_deploy(model: ModelWrapper, ctx: BuildContext) -> ModelWrapper:
    """Write build/<board>/deploy/: model.json, golden vectors, runtime, notebook, csim library, bitstream."""
    import shutil

    from snn2fpga.flow.deploy import (
        copy_runtime,
        golden_vectors,
        inputs_digest,
        load_reference,
        model_json,
        write_json,
    )

    deploy = ctx.build_dir / "deploy"
    deploy.mkdir(parents=True, exist_ok=True)
    exported = _load_exported(Path(ctx.results["export"]["onnx"]))
    rtl = _rtl(ctx)
    project = ctx.results["generate_rtl" if rtl else "generate_hls"]
    viv = ctx.results.get("vivado", {})
    bitstream = None
    if not viv.get("pending", True):
        (deploy / "bitfile").mkdir(exist_ok=True)
        shutil.copyfile(viv["bitstream"], deploy / "bitfile" / "snn2fpga.bit")
        shutil.copyfile(viv["hwh"], deploy / "bitfile" / "snn2fpga.hwh")
        bitstream = "bitfile/snn2fpga.bit"
    if rtl:
        copy_runtime(deploy, Path(project["rtl_dir"]), Path(ctx.results["rtlsim"]["library"]), rtl=True)
    else:
        copy_runtime(deploy, Path(project["hls_dir"]), Path(ctx.results["csim"]["library"]))
    write_json(deploy / "model.json",
               model_json(exported, model, project, ctx.results, ctx.board, ctx.clock_mhz, bitstream))
    inputs, labels, _ = _csim_inputs(exported, ctx)
    reference = load_reference(ctx.build_dir / CSIM_REFERENCE,
                               inputs_digest(Path(ctx.results["export"]["onnx"]), inputs))
    n = golden_vectors(exported, inputs, labels, project["input_kind"], deploy / "golden.npz", reference)
    ctx.results["deploy"] = {"deploy": str(deploy), "bitstream": str(deploy / bitstream) if bitstream else None,
                             "golden_samples": n}
    ctx.log(f"deploy package: {deploy} ({n} golden vectors{', bitstream' if bitstream else ', no bitstream yet'})")
    return model
