"""Compile the generated top with g++ into a shared library and run it through ctypes.

The same library serves the C-simulation check of `snn2fpga build` and the emulated board device.
Libraries are cached by a content hash of the sources, flags and compiler.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snn2fpga.codegen.toolchain import CXXFLAGS, compiler_version, find_ap_types, find_cxx
from snn2fpga.errors import SNN2FPGAError

LIB_NAME = "libsnn_csim.so"
COMPILE_TIMEOUT_S = 1800


def cache_root() -> Path:
    """Where compiled C-simulation libraries are kept ($SNN2FPGA_CACHE, else ~/.cache/snn2fpga)."""
    env = os.environ.get("SNN2FPGA_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "snn2fpga"


def compile_csim(hls_dir: Path) -> Path:
    """Compile ``hls_dir/csim_lib.cpp`` (which includes the top) into a cached shared library."""
    cxx = find_cxx()
    ap_types = find_ap_types()
    cmd_flags = [*CXXFLAGS, "-shared", "-fPIC", f"-I{hls_dir}", "-isystem", str(ap_types)]
    h = hashlib.sha256()
    for path in sorted(p for p in hls_dir.iterdir() if p.suffix in (".h", ".cpp")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(" ".join([compiler_version(cxx), *CXXFLAGS, str(ap_types)]).encode())
    out_dir = cache_root() / "csim" / h.hexdigest()[:24]
    lib = out_dir / LIB_NAME
    if lib.is_file():
        return lib
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if lib.is_file():
            return lib
        tmp = Path(tempfile.mkstemp(dir=out_dir, suffix=".so")[1])
        cmd = [cxx, *cmd_flags, str(hls_dir / "csim_lib.cpp"), "-o", str(tmp)]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise SNN2FPGAError(f"C-simulation compile timed out after {COMPILE_TIMEOUT_S}s: {' '.join(cmd)}") from None
        if res.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise SNN2FPGAError(
                f"C-simulation compile failed (exit {res.returncode}):\n{' '.join(cmd)}\n{res.stderr[-4000:]}"
            )
        tmp.replace(lib)
    return lib


@dataclass
class CSimResult:
    """Outputs of one C-simulation run of n samples."""

    outputs: np.ndarray  # int32 [n, out_words]: readout membranes or spike counts
    taps: list[np.ndarray]  # per spiking layer: int32 [n, channels] spike counts
    stage_cycles: list[int]  # pipelined-loop iterations per stage, summed over the n samples
    stage_saturations: list[int]


class CSimLibrary:
    """ctypes binding of a compiled C-simulation library (see csim_lib.cpp.j2 for the ABI)."""

    def __init__(self, path: Path) -> None:
        try:
            self._lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise SNN2FPGAError(f"cannot load C-simulation library {path}: {exc}") from None
        lib = self._lib
        for name in ("snn_in_words_per_sample", "snn_out_words_per_sample", "snn_num_stages", "snn_num_taps"):
            getattr(lib, name).restype = ctypes.c_int
        lib.snn_tap_channels.argtypes = [ctypes.c_int]
        lib.snn_stage_cycles.restype = ctypes.c_ulonglong
        lib.snn_stage_cycles.argtypes = [ctypes.c_int]
        lib.snn_stage_saturations.restype = ctypes.c_ulonglong
        lib.snn_stage_saturations.argtypes = [ctypes.c_int]
        lib.snn_run.restype = ctypes.c_int
        lib.snn_run.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.in_words = lib.snn_in_words_per_sample()
        self.out_words = lib.snn_out_words_per_sample()
        self.num_stages = lib.snn_num_stages()
        self.tap_channels = [lib.snn_tap_channels(t) for t in range(lib.snn_num_taps())]

    def run(self, words: np.ndarray, with_taps: bool = True) -> CSimResult:
        """Run the top over host words [n, in_words] (uint32)."""
        w = np.ascontiguousarray(words, dtype=np.uint32)
        if w.ndim != 2 or w.shape[1] != self.in_words:
            raise SNN2FPGAError(f"C-simulation input must be [samples, {self.in_words}] words, got {w.shape}")
        n = w.shape[0]
        out = np.zeros((n, self.out_words), dtype=np.int32)
        taps = np.zeros(n * sum(self.tap_channels), dtype=np.int32) if with_taps else None
        rc = self._lib.snn_run(w.ctypes.data, n, out.ctypes.data, taps.ctypes.data if taps is not None else None)
        if rc != 0:
            what = {1: "produced too few output words", 2: "left input words unread",
                    3: "produced extra words or a misplaced TLAST"}.get(rc, f"returned {rc}")
            raise SNN2FPGAError(f"C-simulation of the top failed: it {what}")
        tap_list: list[np.ndarray] = []
        offset = 0
        for ch in self.tap_channels if taps is not None else []:
            tap_list.append(taps[offset : offset + n * ch].reshape(n, ch).copy())
            offset += n * ch
        return CSimResult(
            outputs=out, taps=tap_list,
            stage_cycles=[int(self._lib.snn_stage_cycles(s)) for s in range(self.num_stages)],
            stage_saturations=[int(self._lib.snn_stage_saturations(s)) for s in range(self.num_stages)],
        )
