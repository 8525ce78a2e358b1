"""Generate the SystemVerilog project of a hardware graph specialized to the RTL backend.

Output (``out_dir / "rtl"``): ``snn_top.v`` (the generated top, plain Verilog: control, stream adapters, the
stages and the FIFOs between them), one ``<stage>_<rom>.mem`` per ROM (``$readmemh``), ``rtlsim_lib.cpp`` (the Verilator
driver behind the C-simulation ABI), ``sources.f`` (the file list in compile order) and a copy of every
module of the repository's ``rtl/`` folder that the top instantiates, so the folder is self-contained.
Generation is deterministic: the same model gives byte-identical files.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jinja2
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

import snn2fpga
from snn2fpga.codegen.generate import dataflow_nodes, feeds_event_conv
from snn2fpga.codegen.names import SV_RESERVED, comment_text, identifier
from snn2fpga.codegen.rtl_rom import conv_weight_rom, dense_weight_rom, threshold_rom
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.io import atomic_copy, atomic_write_text
from snn2fpga.ops.rtl import RTL_DOMAIN, RomFile, RomLayout, RtlStage
from snn2fpga.resources import RTL_KERNEL_DIR as RTL_KERNELS

TOP = "snn_top"
RTL_KERNEL_DIR = RTL_KERNELS
# Modules every top instantiates besides the stages (control, host stream adapters, FIFOs).
INFRA_SOURCES = ("snn_fifo.sv", "snn_axis_in.sv", "snn_axis_out.sv", "snn_axilite_ctrl.sv")
GENERATED = ("snn_top.v", "rtlsim_lib.cpp")
SOURCES_FILE = "sources.f"
CTRL_ADDR_BITS = 5  # AXI-Lite byte address bits of the control registers (0x00..0x10), as Vitis HLS gives them
MAX_FIFO_DEPTH = 1024
HOST_FIFO_DEPTH = 2


@dataclass
class RTLProject:
    """What was generated, and the facts the runners need about the design's streams (as ``HLSProject``).

    ``sources`` are file names inside ``rtl_dir`` in compile order (kernels first, the top last).
    """

    rtl_dir: Path
    top: str
    sources: list[str]
    stage_names: list[str]
    in_words: int
    out_words: int
    input_kind: str
    tap_layers: list[str]
    tap_channels: list[int]
    tap_maps: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rtl_dir"] = str(self.rtl_dir)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RTLProject:
        return cls(**{**d, "rtl_dir": Path(d["rtl_dir"])})


def rtl_nodes(model: ModelWrapper) -> list[Any]:
    """The RTL-specialized hardware nodes in dataflow order; checks they form one chain."""
    return dataflow_nodes(model, RTL_DOMAIN, "RTL-specialized")


def stage_idents(nodes: list[Any]) -> list[str]:
    """The sanitised, distinct SystemVerilog identifier of every dataflow node (its instance and ROM names)."""
    taken: set[str] = {TOP}
    return [identifier(node.name, taken, SV_RESERVED) for node in nodes]


def node_stage(model: ModelWrapper, node: Any, ident: str, out_simd: int, event: bool) -> RtlStage:
    """The RtlStage of one RTL node as folded now: ``out_simd`` is its consumer's SIMD (1 without one),
    ``event`` whether it is an I/Q input feeding an event-driven convolution."""
    op = getCustomOp(node)
    why = op.rtl_unsupported()
    if why:
        raise SNN2FPGAError(f"node {node.name} ({node.op_type}): {why}; build it with --backend hls")
    if len(node.input) > 1 and model.get_initializer(node.input[1]) is not None:
        return op.rtl_stage(ident, out_simd, model.get_initializer(node.input[1]))
    if node.op_type == "SpikeInput_rtl":  # kind iq: event words when an event conv consumes them
        return op.rtl_stage(ident, out_simd, event=event)
    return op.rtl_stage(ident, out_simd)


def rtl_stages(model: ModelWrapper) -> list[RtlStage]:
    """The RtlStage of every dataflow node, with sanitised identifiers and stream widths."""
    nodes = rtl_nodes(model)
    return [node_stage(model, node, ident,
                       int(getCustomOp(nodes[i + 1]).get_nodeattr("SIMD")) if i + 1 < len(nodes) else 1,
                       feeds_event_conv(nodes, i))
            for i, (node, ident) in enumerate(zip(nodes, stage_idents(nodes), strict=True))]


def rom_lines(rom: RomFile, stage: str) -> list[str]:
    """The ``$readmemh`` lines of one ROM (values range-checked against their signed width)."""
    if rom.layout is RomLayout.DENSE_WEIGHTS:
        return dense_weight_rom(rom.values, rom.pe, rom.simd, rom.bits, stage=stage)
    if rom.layout is RomLayout.CONV_WEIGHTS:
        return conv_weight_rom(rom.values, rom.pe, rom.simd, rom.bits, stage=stage)
    return threshold_rom(rom.values, rom.pe, rom.bits, stage=stage)


def _fifo_depth(stage: RtlStage) -> int:
    """FIFO depth after a stage: one timestep of its output words (so a producer never waits for a consumer
    that is still busy with the previous timestep), at least 2; host output: 2."""
    if stage.host_out_words:
        return HOST_FIFO_DEPTH
    per_step = max(1, stage.tap_channels // max(1, stage.out_width)) if stage.tap_channels else 1
    if stage.out_words:  # a pool: its pooled words of one timestep
        per_step = stage.out_words
    if stage.host_in_words:  # an input stage: its words per timestep are its consumer's IN / SIMD
        per_step = max(1, dict(stage.params).get("IN", 1) // max(1, stage.out_width))
    return max(2, min(MAX_FIFO_DEPTH, per_step))


def kernel_closure(names: list[str]) -> list[str]:
    """The kernel files ``names`` and every kernel file they instantiate (a kernel ``snn_x`` lives in
    ``rtl/snn_x.sv``), dependencies first, each once."""
    known = {p.stem for p in RTL_KERNEL_DIR.glob("*.sv")}
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered or name in path:
            return
        src = RTL_KERNEL_DIR / name
        if not src.is_file():
            raise SNN2FPGAError(f"RTL kernel {name} is missing from {RTL_KERNEL_DIR}: the installation is incomplete")
        words = set(re.findall(r"\b(snn_\w+)\s*(?:#|\w+\s*\()", src.read_text()))
        for dep in sorted(words & known - {src.stem}):
            visit(f"{dep}.sv", (*path, name))
        ordered.append(name)

    for name in names:
        visit(name, ())
    return ordered


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False,
    )


def _context(stages: list[RtlStage], nodes: list[Any], source: str) -> dict[str, Any]:
    streams = [{"name": "host_in", "width": 32, "fifo": True, "depth": HOST_FIFO_DEPTH}]
    rendered, taps = [], []
    for st in stages:
        name = f"{st.ident}_out"
        streams.append({"name": name, "width": st.out_width, "fifo": True, "depth": _fifo_depth(st)})
        rendered.append({
            "ident": st.ident, "module": st.module, "params": st.params,
            "roms": [{"param": r.param, "name": r.name} for r in st.roms],
            "in_stream": f"{streams[-2]['name']}_q", "out_stream": name,
        })
    for st, node in zip(stages, nodes, strict=True):
        if st.tap_channels:
            taps.append({"stream": f"{st.ident}_out", "node": node.name, "channels": st.tap_channels,
                         "maps": st.tap_maps, "width": st.out_width, "steps": st.timesteps,
                         "words_per_step": st.tap_channels // st.out_width})
    input_kind = str(getCustomOp(nodes[0]).get_nodeattr("kind"))
    return {
        "version": snn2fpga.__version__, "source": comment_text(source), "top": TOP, "stages": rendered,
        "streams": streams, "taps": taps, "in_words": stages[0].host_in_words, "out_words": stages[-1].host_out_words,
        "ctrl": {"addr_bits": CTRL_ADDR_BITS}, "input_kind": input_kind,
        "input_doc": "spike trains, 32 spikes per word" if input_kind == "spikes" else "8-bit features, 4 per word",
        "output_doc": "final membranes of the readout" if stages[-1].module == "snn_dense_li" else "spike counts",
    }


def generate_rtl_project(model: ModelWrapper, out_dir: Path, source: str = "model") -> RTLProject:
    """Write the RTL project of ``model`` (specialized to RTL, folded) into ``out_dir / "rtl"``."""
    stages = rtl_stages(model)
    nodes = rtl_nodes(model)
    rtl_dir = out_dir / "rtl"
    rtl_dir.mkdir(parents=True, exist_ok=True)
    ctx = _context(stages, nodes, source)
    for st in stages:
        for rom in st.roms:
            atomic_write_text(rtl_dir / rom.name, "\n".join(rom_lines(rom, st.ident)) + "\n")
    env = _env()
    for name in GENERATED:
        atomic_write_text(rtl_dir / name, env.get_template(f"{name}.j2").render(**ctx))
    kernels = kernel_closure([*INFRA_SOURCES, *(src for st in stages for src in st.sources)])
    for name in kernels:
        atomic_copy(RTL_KERNEL_DIR / name, rtl_dir / name)
    sources = [*kernels, f"{TOP}.v"]
    atomic_write_text(rtl_dir / SOURCES_FILE, "\n".join(sources) + "\n")
    return RTLProject(
        rtl_dir=rtl_dir, top=TOP, sources=sources, stage_names=[s.ident for s in stages],
        in_words=stages[0].host_in_words, out_words=stages[-1].host_out_words, input_kind=ctx["input_kind"],
        tap_layers=[t["node"] for t in ctx["taps"]], tap_channels=[t["channels"] for t in ctx["taps"]],
        tap_maps=[t["maps"] for t in ctx["taps"]],
    )
