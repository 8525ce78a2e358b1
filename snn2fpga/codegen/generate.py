"""Generate the HLS project of a specialized hardware graph from the Jinja templates.

Output (``out_dir``): ``hls/snn_top.cpp``, ``hls/snn_top.h``, ``hls/snn_params.h``,
``hls/csim_lib.cpp`` and a copy of the kernel headers of the repository's ``hls/`` folder, so the
folder is self-contained for a machine with Vitis HLS. Generation is deterministic: the same model
gives byte-identical files.

``pack_inputs`` (the host word layout) lives in the board runtime, ``snn2fpga_board.host``, the single
source of truth of the host protocol; it is re-exported here for this module's callers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jinja2
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from snn2fpga_board.host import pack_inputs as pack_inputs

import snn2fpga
from snn2fpga.codegen.names import comment_text, identifier
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.io import atomic_copy, atomic_write_text
from snn2fpga.ops.hls import HLS_DOMAIN, StageCode
from snn2fpga.resources import HLS_KERNEL_DIR

TOP = "snn_top"
KERNEL_DIR = HLS_KERNEL_DIR
KERNEL_HEADERS = ("snn_common.h", "snn_encoders.h", "snn_dense.h", "snn_readout.h", "snn_axis.h", "snn_neurons.h",
                  "snn_conv.h", "snn_iq.h")
GENERATED = ("snn_params.h", "snn_top.h", "snn_top.cpp", "csim_lib.cpp")
VALUES_PER_LINE = 32
MAX_FIFO_DEPTH = 1024


@dataclass
class HLSProject:
    """What was generated, and the facts the runners need about the design's streams."""

    hls_dir: Path
    top: str
    stage_names: list[str]
    in_words: int
    out_words: int
    input_kind: str
    tap_layers: list[str]  # node names of the spiking layers whose spike counts the csim taps record
    tap_channels: list[int]
    tap_maps: list[list[int]]  # per tap: [C, H, W] when its counts are in NHWC stream order, else []

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hls_dir"] = str(self.hls_dir)
        return d


def c_init(values: list[int], dims: list[int]) -> str:
    """Brace initializer of a 1-D or 2-D integer array, wrapped at VALUES_PER_LINE values."""

    def row(vals: list[int], indent: str) -> str:
        chunks = [", ".join(map(str, vals[i : i + VALUES_PER_LINE])) for i in range(0, len(vals), VALUES_PER_LINE)]
        return "{" + f",\n{indent}".join(chunks) + "}"

    if len(dims) == 1:
        return row(values, "    ")
    width = dims[1]
    rows = [row(values[r * width : (r + 1) * width], "     ") for r in range(dims[0])]
    return "{\n    " + ",\n    ".join(rows) + "\n}"


def dataflow_nodes(model: ModelWrapper, domain: str = HLS_DOMAIN, what: str = "specialized (HLS)") -> list[Any]:
    """The hardware nodes of one backend's ``domain`` in dataflow order; checks they form one chain."""
    nodes = [n for n in model.graph.node if n.domain == domain]
    if not nodes:
        raise SNN2FPGAError(f"the model has no {what} nodes: run lowering and SpecializeLayers first")
    for prev, nxt in zip(nodes[:-1], nodes[1:], strict=True):
        if nxt.input[0] != prev.output[0]:
            raise SNN2FPGAError(
                f"the hardware graph is not a chain: '{nxt.name}' does not consume the output of '{prev.name}'"
            )
    return nodes


def feeds_event_conv(nodes: list[Any], i: int) -> bool:
    """Whether node ``i`` feeds an event-driven convolution (then an I/Q input emits one event word per
    timestep; feeding anything else, it emits the one-hot plane as frames)."""
    return (i + 1 < len(nodes) and nodes[i + 1].op_type.startswith("SpikingConv")
            and int(getCustomOp(nodes[i + 1]).get_nodeattr("event")) == 1)


def stage_codes(model: ModelWrapper) -> list[StageCode]:
    """The StageCode of every dataflow node, with sanitised identifiers and stream widths."""
    nodes = dataflow_nodes(model)
    taken: set[str] = set()
    codes = []
    for i, node in enumerate(nodes):
        op = getCustomOp(node)
        ident = identifier(node.name, taken)
        out_simd = int(getCustomOp(nodes[i + 1]).get_nodeattr("SIMD")) if i + 1 < len(nodes) else 1
        if node.op_type in ("SpikingDense_hls", "DenseReadout_hls", "SpikingConv_hls"):
            codes.append(op.stage_code(ident, out_simd, model.get_initializer(node.input[1])))
        elif node.op_type == "SpikeInput_hls":
            codes.append(op.stage_code(ident, out_simd, event=feeds_event_conv(nodes, i)))
        else:
            codes.append(op.stage_code(ident, out_simd))
    return codes


def _out_values(fields: dict[str, str]) -> int:
    """Spikes per timestep on a stage's output stream: a dense layer's OUT, a conv's COUT x Ho x Wo, a
    pool's C x (H/K) x (W/K), an input stage's IN (its consumer's inputs)."""
    f = {k: int(v) for k, v in fields.items() if v.isdigit()}
    if "COUT" in f:
        ho = (f["H"] + 2 * f["PAD"] - f["K"]) // f["STRIDE"] + 1
        wo = (f["W"] + 2 * f["PAD"] - f["K"]) // f["STRIDE"] + 1
        return f["COUT"] * ho * wo
    if "OUT" in f:
        return f["OUT"]
    if "C" in f and "K" in f:
        return f["C"] * (f["H"] // f["K"]) * (f["W"] // f["K"])
    return f.get("IN", 2)


def _fifo_depth(code: StageCode) -> int:
    """FIFO depth after a stage: one timestep of its output words, so a producer never waits for a consumer
    that is still busy with the previous timestep (conv and pool streams included)."""
    if code.host_out_words:
        return 2
    width = int(code.out_type.split("<")[1].rstrip(">"))
    return max(2, min(MAX_FIFO_DEPTH, _out_values({name: value for _, name, value in code.fields}) // width))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False,
    )


def generate_project(model: ModelWrapper, out_dir: Path, source: str = "model") -> HLSProject:
    """Write the HLS project of ``model`` (specialized, folded) into ``out_dir / "hls"``."""
    codes = stage_codes(model)
    node_names = [n.name for n in dataflow_nodes(model)]
    hls_dir = out_dir / "hls"
    hls_dir.mkdir(parents=True, exist_ok=True)
    stages: list[dict[str, Any]] = []
    taps: list[dict[str, Any]] = []
    streams = [{"name": "host_in", "ctype": codes[0].in_type, "depth": 2}]
    for code, node_name in zip(codes, node_names, strict=True):
        st = asdict(code)
        st["arrays"] = [{"ctype": a[0], "name": a[1], "dims": a[2], "init": c_init(a[3], a[2])} for a in code.arrays]
        st["tap_index"] = None
        if code.tap_channels:
            width = int(code.out_type.split("<")[1].rstrip(">"))
            steps = {name: value for _, name, value in code.fields}["T"]
            st.update(tap_index=len(taps), tap_width=width, tap_channels=code.tap_channels, tap_steps=steps)
            taps.append({"ident": code.ident, "node": node_name, "channels": code.tap_channels,
                         "maps": code.tap_maps})
        stages.append(st)
        streams.append({"name": f"{code.ident}_out", "ctype": code.out_type, "depth": _fifo_depth(code)})
    input_kind = str(getCustomOp(dataflow_nodes(model)[0]).get_nodeattr("kind"))
    ctx = {
        "version": snn2fpga.__version__, "source": comment_text(source), "top": TOP, "stages": stages,
        "streams": streams, "taps": taps, "in_words": codes[0].host_in_words, "out_words": codes[-1].host_out_words,
        "input_doc": "spike trains, 32 spikes per word" if input_kind == "spikes" else "8-bit features, 4 per word",
        "output_doc": "final membranes of the readout" if codes[-1].kernel == "dense_li" else "spike counts",
    }
    env = _env()
    for name in GENERATED:
        atomic_write_text(hls_dir / name, env.get_template(f"{name}.j2").render(**ctx))
    for header in KERNEL_HEADERS:
        atomic_copy(KERNEL_DIR / header, hls_dir / header)
    return HLSProject(
        hls_dir=hls_dir, top=TOP, stage_names=[c.ident for c in codes], in_words=codes[0].host_in_words,
        out_words=codes[-1].host_out_words, input_kind=input_kind, tap_layers=[t["node"] for t in taps],
        tap_channels=[t["channels"] for t in taps], tap_maps=[t["maps"] for t in taps],
    )
