"""Compile the generated top with g++ into a shared library and run it through ctypes.

The same library serves the C-simulation check of `snn2fpga build` and the emulated board device; its
ctypes binding lives in the board runtime (``snn2fpga_board.csim``) and is re-exported here.
Libraries are cached by a content hash of the sources, flags and compiler.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from snn2fpga_board.csim import LIB_NAME, CSimResult
from snn2fpga_board.csim import CSimLibrary as _BoardCSimLibrary
from snn2fpga_board.errors import DeployError

from snn2fpga.codegen.toolchain import CXXFLAGS, compiler_version, find_ap_types, find_cxx
from snn2fpga.errors import SNN2FPGAError

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


class CSimLibrary(_BoardCSimLibrary):
    """The board runtime's ctypes binding (:class:`snn2fpga_board.csim.CSimLibrary`), raising
    :class:`SNN2FPGAError` instead of the runtime's ``DeployError`` so the CLI reports it cleanly."""

    def __init__(self, path: Path) -> None:
        try:
            super().__init__(path)
        except DeployError as exc:
            raise SNN2FPGAError(str(exc)) from None

    def run(self, words: np.ndarray, with_taps: bool = True) -> CSimResult:
        """Run the top over host words [n, in_words] (uint32)."""
        try:
            return super().run(words, with_taps)
        except DeployError as exc:
            raise SNN2FPGAError(str(exc)) from None
