"""Build and run the generic kernel testbench (hls/tb/tb_kernels.cpp) from Python.

A *case* is one kernel configuration: it writes its C++ config struct(s), makes input vectors with
numpy, computes the expected integers with ``snn2fpga.semantics`` and the expected cycle count with
the cycle model documented in hls/snn_dense.h and hls/snn_encoders.h. Many cases compile into one
binary (one g++ run parses the ap_types headers once); binaries are cached by a content hash of the
sources, the generated config and the compiler command, so reruns skip compilation.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pytest

from snn2fpga.codegen.toolchain import find_ap_types as toolchain_ap_types
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics import LeakMode, ResetMode

REPO = Path(__file__).resolve().parents[2]
HLS_DIR = REPO / "hls"
TB_SRC = HLS_DIR / "tb" / "tb_kernels.cpp"
CXX = os.environ.get("CXX", "g++")
# -Wno-unknown-pragmas: g++ does not know `#pragma HLS`, and g++ 12 cannot silence that warning from a
# header (GCC bug 53431). Every other warning is an error.
CXXFLAGS = ("-std=c++14", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas")
CACHE_DIR = Path(os.environ.get("SNN2FPGA_HLS_CACHE", Path(tempfile.gettempdir()) / "snn2fpga-hls-tb"))
COMPILE_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120


def find_ap_types() -> Path | None:
    """The arbitrary-precision headers the toolchain uses (None when there are none: the tests skip)."""
    try:
        return toolchain_ap_types()
    except SNN2FPGAError:
        return None


def need_toolchain() -> Path:
    """The ap_types folder; skips the calling test, with the reason, when headers or compiler are missing."""
    ap_types = find_ap_types()
    if ap_types is None:
        pytest.skip("no ap_types headers: install hls4ml (pip install -e '.[hls]') or set XILINX_HLS")
    if shutil.which(CXX) is None:
        pytest.skip(f"no C++ compiler {CXX!r} on PATH")
    return ap_types


def index_cases(exes: Sequence[Path], groups: Sequence[Sequence[Case]]) -> dict[str, tuple[Path, int]]:
    """Case name -> (the binary compiled for its group, its case id in that binary)."""
    return {case.name: (exe, i) for exe, group in zip(exes, groups, strict=True) for i, case in enumerate(group)}


def words_from_bytes(q: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """[B, N] 8-bit features -> [B, ceil(N/4)] host words, feature 4k+b in bits 8b+7..8b of word k."""
    b, n = q.shape
    padded = np.zeros((b, -(-n // 4) * 4), dtype=np.int64)
    padded[:, :n] = q
    return padded.reshape(b, -1, 4) @ (np.int64(1) << (8 * np.arange(4, dtype=np.int64)))


def words_from_bits(s: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """[..., N] spikes -> [..., ceil(N/32)] host words, input i at bit i%32 of word i/32."""
    n = s.shape[-1]
    padded = np.zeros((*s.shape[:-1], -(-n // 32) * 32), dtype=np.int64)
    padded[..., :n] = s
    weights = np.int64(1) << np.arange(32, dtype=np.int64)
    return padded.reshape(*s.shape[:-1], -1, 32) @ weights


# The ROM element type of a config (hls/snn_common.h snn_rom: ap_int<BITS> under synthesis, a plain C
# integer in C-simulation); format with bits="WEIGHT_BITS" or "STATE_BITS".
ROM_TYPE = "snn_rom<{bits}>::type"
WEIGHT_ROM, STATE_ROM = ROM_TYPE.format(bits="WEIGHT_BITS"), ROM_TYPE.format(bits="STATE_BITS")


def type_lines(weight_rom: str = WEIGHT_ROM, state_rom: str = STATE_ROM) -> str:
    """The value and ROM element typedefs every layer config declares (tests may override the ROM types)."""
    return ("    typedef ap_int<WEIGHT_BITS> weight_t;\n"
            "    typedef ap_int<STATE_BITS> state_t;\n"
            f"    typedef {weight_rom} weight_rom_t;\n"
            f"    typedef {state_rom} state_rom_t;\n")


def dense_cycles(n_in: int, n_out: int, simd: int, pe: int, out_simd: int, timesteps: int) -> int:
    """Documented cycle model of dense_lif (and dense_dcll), per sample."""
    sf, nf = n_in // simd, n_out // pe
    return timesteps * (sf + nf * sf + n_out // out_simd)
_LEAK_CPP = {LeakMode.NONE: "LEAK_NONE", LeakMode.SHIFT: "LEAK_SHIFT", LeakMode.MULT: "LEAK_MULT"}
_RESET_CPP = {ResetMode.SUBTRACT: "RESET_SUBTRACT", ResetMode.ZERO: "RESET_ZERO"}


@dataclass(frozen=True)
class DenseCfg:
    """One dense layer's config struct (field names as in hls/snn_dense.h)."""

    n_in: int
    n_out: int
    simd: int
    pe: int
    out_simd: int
    timesteps: int
    weight_bits: int
    state_bits: int
    leak: LeakMode = LeakMode.NONE
    leak_shift: int = 0
    beta_q: int = 0
    beta_frac_bits: int = 0
    reset: ResetMode = ResetMode.SUBTRACT
    weight_rom: str = WEIGHT_ROM  # C++ element type of the weight ROM
    state_rom: str = STATE_ROM  # C++ element type of the threshold ROM

    def cpp(self, name: str) -> str:
        leak = _LEAK_CPP[self.leak]
        reset = _RESET_CPP[self.reset]
        return (
            f"struct {name} {{\n"
            f"    static const unsigned IN = {self.n_in}, OUT = {self.n_out};\n"
            f"    static const unsigned SIMD = {self.simd}, PE = {self.pe}, OUT_SIMD = {self.out_simd};\n"
            f"    static const unsigned T = {self.timesteps};\n"
            f"    static const unsigned WEIGHT_BITS = {self.weight_bits}, STATE_BITS = {self.state_bits};\n"
            f"    static const LeakMode LEAK = ::{leak};\n"
            f"    static const unsigned LEAK_SHIFT = {self.leak_shift};\n"
            f"    static const unsigned BETA_Q = {self.beta_q}, BETA_FRAC_BITS = {self.beta_frac_bits};\n"
            f"    static const ResetMode RESET = ::{reset};\n"
            f"{type_lines(self.weight_rom, self.state_rom)}"
            "};\n"
        )

    def cycles_lif(self) -> int:
        """Documented cycle model of dense_lif, per sample."""
        return dense_cycles(self.n_in, self.n_out, self.simd, self.pe, self.out_simd, self.timesteps)

    def cycles_li(self) -> int:
        """Documented cycle model of dense_li, per sample."""
        sf, nf = self.n_in // self.simd, self.n_out // self.pe
        return self.timesteps * (sf + nf * sf) + self.n_out


@dataclass(frozen=True)
class EncCfg:
    """One encoder's config struct (field names as in hls/snn_encoders.h)."""

    n_in: int
    simd: int
    timesteps: int
    seed: int = 0

    def cpp(self, name: str) -> str:
        return (
            f"struct {name} {{\n"
            f"    static const unsigned IN = {self.n_in}, SIMD = {self.simd}, T = {self.timesteps};\n"
            f"    static const unsigned SEED = {self.seed}u;\n"
            "};\n"
        )

    def cycles_encoder(self) -> int:
        """Documented cycle model of rate_encoder / latency_encoder, per sample."""
        return -(-self.n_in // 4) + self.timesteps * (self.n_in // self.simd)

    def cycles_unpack(self) -> int:
        """Documented cycle model of spike_unpack, per sample."""
        return self.timesteps * (-(-self.n_in // 32) + self.n_in // self.simd)


class Case(Protocol):
    """What the harness needs from a test case."""

    name: str

    def runner(self) -> str: ...  # tb runner template, e.g. "tb_dense_lif"

    def cpp(self, prefix: str) -> tuple[str, str]: ...  # (struct definitions, the type passed to runner)


def config_header(cases: Sequence[Case]) -> str:
    """tb_config.h for a list of cases; case i gets id i."""
    parts = ["// Generated by tests/hls/tb_harness.py\n#pragma once\n"]
    dispatch = []
    for i, case in enumerate(cases):
        structs, cfg = case.cpp(f"case{i}")
        parts.append(f"// case {i}: {case.name}\n{structs}")
        dispatch.append(f"    X({i}, {case.runner()}, {cfg})")
    parts.append("#define TB_CASES(X) \\\n" + " \\\n".join(dispatch) + "\n")
    return "\n".join(parts)


def sources_digest(tb_src: Path) -> str:
    """Hash of hls/*.h and the testbench source (part of every cached binary's key)."""
    h = hashlib.sha256()
    for path in sorted([*HLS_DIR.glob("*.h"), tb_src]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def compile_cmd(tb_src: Path, ap_types: Path, cfg_dir: Path, exe: Path, *extra: str) -> list[str]:
    """The g++ command line of a testbench whose tb_config.h lies in ``cfg_dir``."""
    return [CXX, *CXXFLAGS, *extra, "-isystem", str(ap_types), "-I", str(HLS_DIR), "-I", str(cfg_dir),
            str(tb_src), "-o", str(exe)]


def build_cached(tb_src: Path, headers: Sequence[str], ap_types: Path, prefix: str = "",
                 extra: Sequence[str] = ()) -> list[Path]:
    """Compile ``tb_src`` once per config header, concurrently, reusing cached binaries. ``extra``:
    more g++ flags (``-DSNN_CSIM_HW_LOOPS`` C-simulates the synthesised loops instead of the fast paths).

    The cache key hashes hls/*.h, the testbench source, the header and the compiler command. A file
    lock per binary (taken in a fixed order) makes parallel pytest workers wait for a binary that
    another worker is compiling instead of compiling it twice.
    """
    src = sources_digest(tb_src)
    keyed = []
    for header in headers:
        parts = [prefix, src, header, CXX, *CXXFLAGS, *extra, str(ap_types)]
        key = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        keyed.append((key[:20], header))
    exes = [CACHE_DIR / f"{prefix}{key}" / "tb" for key, _ in keyed]
    with ExitStack() as stack:
        procs = []
        for (_key, header), exe in sorted(zip(keyed, exes, strict=True)):
            exe.parent.mkdir(parents=True, exist_ok=True)
            lock = stack.enter_context(open(exe.parent / ".lock", "w"))
            fcntl.flock(lock, fcntl.LOCK_EX)
            if exe.is_file():
                continue
            cfg_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="snn2fpga-tb-")))
            (cfg_dir / "tb_config.h").write_text(header)
            shutil.copy(cfg_dir / "tb_config.h", exe.parent / "tb_config.h")  # kept for debugging
            tmp = exe.with_name(f"tb.{os.getpid()}.tmp")
            cmd = compile_cmd(tb_src, ap_types, cfg_dir, tmp, *extra)
            procs.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
                          tmp, exe, cmd))
        errors = []
        for proc, tmp, exe, cmd in procs:
            out, _ = proc.communicate(timeout=COMPILE_TIMEOUT_S)
            if proc.returncode == 0:
                os.replace(tmp, exe)
            else:
                errors.append(f"$ {' '.join(cmd)}\n{out[-6000:]}")
        if errors:
            raise RuntimeError("testbench compilation failed:\n" + "\n".join(errors))
    return exes


def build_testbenches(groups: Sequence[Sequence[Case]], ap_types: Path, extra: Sequence[str] = ()) -> list[Path]:
    """One tb_kernels binary per group of cases (see :func:`build_cached`)."""
    return build_cached(TB_SRC, [config_header(cases) for cases in groups], ap_types,
                        prefix="hw-" if extra else "", extra=extra)


def run_testbench(exe: Path, case_id: int, input_text: str, tmp_path: Path) -> tuple[list[list[int]], str]:
    """Run one case; return the output lines as integer lists, and the testbench's stdout."""
    inp, outp = tmp_path / f"in{case_id}.txt", tmp_path / f"out{case_id}.txt"
    inp.write_text(input_text)
    res = subprocess.run([str(exe), str(case_id), str(inp), str(outp)], capture_output=True, text=True,
                         timeout=RUN_TIMEOUT_S, check=False)
    if res.returncode != 0:
        raise AssertionError(f"testbench case {case_id} failed (rc={res.returncode}):\n"
                             f"{res.stderr}{res.stdout}")
    # hls::stream prints WARNING when a kernel reads an empty stream or leaves words behind.
    if "WARNING" in res.stdout:
        raise AssertionError(f"testbench case {case_id} reported stream misuse:\n{res.stdout}")
    lines = [[int(tok) for tok in line.split()] for line in outp.read_text().splitlines() if line.strip()]
    return lines, res.stdout


def format_ints(*arrays: npt.ArrayLike) -> str:
    """Whitespace-separated integers, one array per line."""
    return "\n".join(" ".join(str(int(v)) for v in np.asarray(a).ravel()) for a in arrays) + "\n"
