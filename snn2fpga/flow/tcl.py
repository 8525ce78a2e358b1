"""Render the Vitis HLS and Vivado TCL scripts of a build from ``build_flows/templates``.

Layout written into the build folder (every path in the scripts is found relative to the script
itself, so the whole folder can be copied to a machine with Vivado and run there)::

    <build>/hls/                                 the generated HLS project (input, see codegen.generate)
    <build>/vitis_hls/hls_synth.tcl              vitis_hls -f hls_synth.tcl
    <build>/vitis_hls/<proj>/solution1/...       csynth.xml, the exported IP (impl/ip)
    <build>/vivado/vivado_bd.tcl                 vivado -mode batch -source vivado_bd.tcl
    <build>/vivado/<proj>/                       the Vivado project
    <build>/report/vivado_*.rpt                  utilization and timing after implementation
    <build>/bitfile/snn2fpga.{bit,hwh}           what the PYNQ overlay loads

Everything from the model (the project name) goes through ``codegen.names.identifier``; paths go
through ``tcl_word``. Rendering is deterministic: the same inputs give byte-identical scripts.
"""

from __future__ import annotations

import math
import os
import re
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2

import snn2fpga
from snn2fpga.boards import Board, PsKind
from snn2fpga.codegen.names import identifier
from snn2fpga.errors import SNN2FPGAError

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "build_flows" / "templates"
HLS_TEMPLATE = "hls_synth.tcl.j2"
VIVADO_TEMPLATE = "vivado_bd.tcl.j2"
HLS_SCRIPT = "hls_synth.tcl"
VIVADO_SCRIPT = "vivado_bd.tcl"
HLS_WORK_DIR = "vitis_hls"
VIVADO_WORK_DIR = "vivado"
REPORT_DIR = "report"
BITFILE_DIR = "bitfile"
BITFILE_STEM = "snn2fpga"  # the PYNQ overlay wants <stem>.bit and <stem>.hwh side by side
SOLUTION = "solution1"
TOP = "snn_top"
BD_NAME = "snn2fpga_bd"
CSIM_ONLY_SOURCES = frozenset({"csim_lib.cpp"})  # the g++ C-simulation harness, never synthesised
IP_VENDOR = "snn2fpga"
IP_LIBRARY = "hls"
IP_VERSION = "1.0"
DMA_LENGTH_BITS = 26  # AXI DMA buffer length register: transfers up to 2^26 - 1 bytes (64 MiB)
STREAM_BITS = 32  # width of the AXI-Stream words of the top (ap_axiu<32,0,0,0>)
SUPPORTED_PS = frozenset({PsKind.PS7, PsKind.ZYNQ_ULTRA_PS_E})  # the branches of vivado_bd.tcl.j2
_SAFE_WORD = re.compile(r"[A-Za-z0-9_.,:/+=@%-]+")


@dataclass(frozen=True)
class IPPorts:
    """Port names of the packaged HLS IP and the block-design instance names.

    Vitis HLS renames the top's arguments ``in``/``out`` (reserved words in VHDL/Verilog tooling) to
    ``in_r``/``out_r`` and names the AXI-Lite bundle ``control`` port ``s_axi_control``.
    """

    stream_in: str = "in_r"
    stream_out: str = "out_r"
    control: str = "s_axi_control"
    clock: str = "ap_clk"
    ip_instance: str = "snn_top_0"
    dma_instance: str = "axi_dma_0"


@dataclass(frozen=True)
class FlowPaths:
    """Where the scripts are written and where the tools leave their results (absolute paths)."""

    build_dir: Path
    hls_script: Path
    vivado_script: Path
    hls_solution_dir: Path
    csynth_xml: Path
    ip_repo: Path
    vivado_project_dir: Path
    utilization_rpt: Path
    timing_rpt: Path
    bitfile: Path
    hwh: Path

    def to_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def project_identifier(project_name: str) -> str:
    """The sanitised project name used for the Vitis HLS and Vivado projects ([A-Za-z][A-Za-z0-9_]*)."""
    return identifier(project_name)


def flow_paths(build_dir: Path, project_name: str) -> FlowPaths:
    """The paths of the scripts and of the tool outputs for a build folder and project name."""
    build = Path(build_dir).resolve()
    proj = project_identifier(project_name)
    solution = build / HLS_WORK_DIR / proj / SOLUTION
    report = build / REPORT_DIR
    bits = build / BITFILE_DIR
    return FlowPaths(
        build_dir=build,
        hls_script=build / HLS_WORK_DIR / HLS_SCRIPT,
        vivado_script=build / VIVADO_WORK_DIR / VIVADO_SCRIPT,
        hls_solution_dir=solution,
        csynth_xml=solution / "syn" / "report" / "csynth.xml",
        ip_repo=solution / "impl" / "ip",
        vivado_project_dir=build / VIVADO_WORK_DIR / proj,
        utilization_rpt=report / "vivado_utilization.rpt",
        timing_rpt=report / "vivado_timing_summary.rpt",
        bitfile=bits / f"{BITFILE_STEM}.bit",
        hwh=bits / f"{BITFILE_STEM}.hwh",
    )


def tcl_word(text: str) -> str:
    """``text`` as one TCL word that no substitution can change: ``{text}`` when it only holds safe
    characters, else a double-quoted word with ``\\ $ [ ] { } "`` escaped. Control characters (newline,
    tab, ...) cannot be passed through a tool's command line safely and raise an error."""
    if any(not c.isprintable() for c in text):
        raise SNN2FPGAError(f"{text!r} holds control characters: rename it (the TCL scripts cannot quote it safely)")
    if _SAFE_WORD.fullmatch(text):
        return "{" + text + "}"
    return '"' + re.sub(r'([\\$\[\]{}";])', r"\\\1", text) + '"'


def clock_period_ns(clock_mhz: float) -> str:
    """Clock period in ns for ``create_clock -period`` (3 decimals); the frequency must be positive."""
    if not (isinstance(clock_mhz, int | float) and math.isfinite(clock_mhz) and 0 < clock_mhz <= 1000):
        raise SNN2FPGAError(f"clock {clock_mhz!r} MHz is not a usable fabric clock (expected 0 < MHz <= 1000)")
    return f"{1000.0 / clock_mhz:.3f}"


def _mhz_text(clock_mhz: float) -> str:
    """The PS clock request in MHz as Vivado's PS configuration expects it (100, 142.857)."""
    return str(int(clock_mhz)) if float(clock_mhz).is_integer() else f"{clock_mhz:.3f}"


def synthesis_sources(hls_dir: Path) -> tuple[list[str], list[str]]:
    """(C++ sources, headers) of the HLS project to synthesise, sorted; the C-simulation library is left out."""
    if not (hls_dir / f"{TOP}.cpp").is_file():
        raise SNN2FPGAError(f"{hls_dir} holds no {TOP}.cpp: generate the HLS project (step generate_hls) first")
    cpps = sorted(p.name for p in hls_dir.glob("*.cpp") if p.name not in CSIM_ONLY_SOURCES)
    headers = sorted(p.name for p in hls_dir.glob("*.h"))
    return cpps, headers


def _relative_or_absolute(target: Path, start: Path, root: Path) -> str:
    """``target`` relative to ``start`` when it lies inside ``root`` (the copied build folder), else absolute."""
    target, start, root = target.resolve(), start.resolve(), root.resolve()
    if target == root or root in target.parents:
        return Path(os.path.relpath(target, start)).as_posix()
    return target.as_posix()


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )
    env.filters["tcl"] = tcl_word
    return env


def render_flow_scripts(board: Board, hls_dir: Path, build_dir: Path, clock_mhz: float, project_name: str,
                        jobs: int | None = None, ports: IPPorts | None = None,
                        rtl: tuple[Path, list[str]] | None = None) -> list[Path]:
    """Write ``hls_synth.tcl`` and ``vivado_bd.tcl`` for ``board`` into the build folder.

    Args:
        board: the target board (part, board preset, PS kind).
        hls_dir: the generated HLS project (snn_top.cpp, headers).
        build_dir: the build folder; the scripts go to ``vitis_hls/`` and ``vivado/`` in it.
        clock_mhz: fabric clock in MHz (HLS clock period and PS clock output).
        project_name: a name for the projects (sanitised; may come from the model file name).
        jobs: Vivado parallel jobs; None lets the script use the machine's core count (at most 8).
        ports: IP port and instance names (defaults: Vitis HLS' names for ``snn_top``).
        rtl: for the RTL backend, (the generated RTL folder, its sources in compile order): then only
            ``vivado_bd.tcl`` is written, adding those sources and the ROM files to the project and the top
            to the block design as a module reference (``hls_dir`` is ignored).

    Returns:
        [path of hls_synth.tcl, path of vivado_bd.tcl], or [path of vivado_bd.tcl] for the RTL backend.
    """
    ports = ports or IPPorts()
    if jobs is not None and jobs < 1:
        raise SNN2FPGAError(f"jobs must be >= 1, got {jobs}")
    if board.ps not in SUPPORTED_PS:
        raise SNN2FPGAError(f"board {board.name}: no block-design template for PS {board.ps.value!r}")
    paths = flow_paths(build_dir, project_name)
    hls_work = paths.hls_script.parent
    if rtl is not None:
        rtl_dir, rtl_sources = Path(rtl[0]), list(rtl[1])
        if not (rtl_dir / f"{TOP}.v").is_file():
            raise SNN2FPGAError(f"{rtl_dir} holds no {TOP}.v: generate the RTL project (step generate_rtl) first")
        cpps, headers, hls_rel = [], [], ""
        rtl_ctx = {"rtl": True, "rtl_sources": rtl_sources, "rtl_mems": sorted(p.name for p in rtl_dir.glob("*.mem")),
                   "rtl_dir_rel": _relative_or_absolute(rtl_dir, paths.vivado_script.parent, paths.build_dir)}
    else:
        hls_dir = Path(hls_dir)
        cpps, headers = synthesis_sources(hls_dir)
        hls_rel = _relative_or_absolute(hls_dir, hls_work, paths.build_dir)
        rtl_ctx = {"rtl": False, "rtl_sources": [], "rtl_mems": [], "rtl_dir_rel": ""}
    ctx = {
        **rtl_ctx,
        "version": snn2fpga.__version__,
        "project": project_identifier(project_name),
        "board_name": identifier(board.name),
        "part": board.part,
        "board_part": board.board_part,
        "ps": board.ps.value,
        "clock_mhz": _mhz_text(clock_mhz),
        "period_ns": clock_period_ns(clock_mhz),
        "hls_dir_rel": hls_rel,
        "cpp_sources": cpps,
        "headers": headers,
        "top": TOP,
        "solution": SOLUTION,
        "ip_vendor": IP_VENDOR,
        "ip_library": IP_LIBRARY,
        "ip_version": IP_VERSION,
        "bd_name": BD_NAME,
        "jobs": jobs,
        "ports": asdict(ports),
        "stream_bits": STREAM_BITS,
        "dma_length_bits": DMA_LENGTH_BITS,
        "hls_work_dir": HLS_WORK_DIR,
        "report_dir": REPORT_DIR,
        "bitfile_dir": BITFILE_DIR,
        "bitfile_stem": BITFILE_STEM,
        "utilization_rpt": paths.utilization_rpt.name,
        "timing_rpt": paths.timing_rpt.name,
    }
    for name, value in asdict(ports).items():
        if identifier(value) != value:
            raise SNN2FPGAError(f"IP port/instance name {name}={value!r} is not a plain identifier")
    env = _env()
    written = []
    todo = [(VIVADO_TEMPLATE, paths.vivado_script)]
    if rtl is None:
        todo.insert(0, (HLS_TEMPLATE, paths.hls_script))
    for template, path in todo:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(**ctx))
        written.append(path)
    return written


def commands_to_run_elsewhere(build_dir: Path, rtl: bool = False) -> list[str]:
    """The shell commands that finish a build on a machine with Vitis HLS and Vivado, in order (RTL backend:
    only the Vivado command).

    ``build_dir`` is used as given (relative stays relative): the scripts locate everything relative
    to themselves, so the build folder can be copied anywhere and the commands run from its parent.
    """
    base = Path(build_dir).as_posix()
    vivado = f"cd {shlex.quote(f'{base}/{VIVADO_WORK_DIR}')} && vivado -mode batch -source {VIVADO_SCRIPT}"
    if rtl:
        return [vivado]
    return [f"cd {shlex.quote(f'{base}/{HLS_WORK_DIR}')} && vitis_hls -f {HLS_SCRIPT}", vivado]
