"""Compile the generated top with g++ into a shared library and run it through ctypes.

The same library serves the C-simulation check of `snn2fpga build` and the emulated board device; its
ctypes binding lives in the board runtime (``snn2fpga_board.csim``) and is re-exported here.
Libraries are cached by a content hash of the sources, flags and compiler. :func:`run_chunks` runs
chunks of samples in parallel processes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from snn2fpga_board.csim import LIB_NAME, CSimResult
from snn2fpga_board.csim import CSimLibrary as _BoardCSimLibrary
from snn2fpga_board.errors import DeployError

from snn2fpga.cache import cached_file
from snn2fpga.codegen.toolchain import CXXFLAGS, compiler_version, find_ap_types, find_cxx
from snn2fpga.errors import SNN2FPGAError

COMPILE_TIMEOUT_S = 1800


HW_LOOPS_DEFINE = "-DSNN_CSIM_HW_LOOPS"


def compile_csim(hls_dir: Path, hw_loops: bool = False) -> Path:
    """Compile ``hls_dir/csim_lib.cpp`` (which includes the top) into a cached shared library; ``hw_loops``
    compiles the synthesised loops instead of the C-simulation fast paths (hls/snn_common.h)."""
    cxx = find_cxx()
    ap_types = find_ap_types()
    flags = [*CXXFLAGS, HW_LOOPS_DEFINE] if hw_loops else list(CXXFLAGS)
    cmd_flags = [*flags, "-shared", "-fPIC", f"-I{hls_dir}", "-isystem", str(ap_types)]
    h = hashlib.sha256()
    for path in sorted(p for p in hls_dir.iterdir() if p.suffix in (".h", ".cpp")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(" ".join([compiler_version(cxx), *flags, str(ap_types)]).encode())

    def build(out_dir: Path) -> Path:
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
        return tmp

    return cached_file("csim", h.hexdigest(), LIB_NAME, build)


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


def default_jobs() -> int:
    """C-simulation processes by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def usable_jobs(lib: CSimLibrary, jobs: int | None) -> int:
    """Processes :func:`run_chunks` will use for ``lib``: ``jobs`` (None: :func:`default_jobs`) for a plain
    :class:`CSimLibrary`, 1 for a subclass (see :func:`run_chunks`)."""
    if jobs is not None and jobs < 1:
        raise SNN2FPGAError(f"--jobs must be >= 1, got {jobs}")
    if type(lib) is not CSimLibrary:
        return 1
    return default_jobs() if jobs is None else jobs


_worker_lib: CSimLibrary | None = None


def _worker_init(path: str) -> None:
    global _worker_lib
    _worker_lib = CSimLibrary(Path(path))


def _worker_run(words: np.ndarray) -> CSimResult:
    assert _worker_lib is not None
    return _worker_lib.run(words)


def run_chunks(lib: CSimLibrary, chunks: list[np.ndarray], jobs: int) -> Iterator[CSimResult]:
    """C-simulate chunks of host words [n_i, in_words], in ``jobs`` processes; results in chunk order.

    The top keeps its state in static arrays, so parallel runs need separate processes (each loads
    the library once), not threads. Every chunk is submitted at once, so the caller can work on
    chunk i's results while later chunks are simulated. Only a plain :class:`CSimLibrary` is spread
    over processes: a subclass may hold per-process settings (the RTL simulation's stall
    configuration) that a fresh load in a worker would not have, so it runs here, in order.
    """
    if usable_jobs(lib, jobs) == 1 or len(chunks) < 2:
        for words in chunks:
            yield lib.run(words)
        return
    # spawn, not fork: the parent may hold onnxruntime / OpenMP threads, which fork does not copy safely
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(jobs, len(chunks)), mp_context=ctx, initializer=_worker_init,
                             initargs=(str(lib.path),)) as pool:
        yield from pool.map(_worker_run, chunks)
