"""Where yosys 0.70 ``synth_xilinx -family xc7`` puts a memory of the RTL backend: logic, LUT-RAM or block RAM.

yosys does not use a size threshold. Its ``memory_libmap`` pass prices every way to build a memory and takes
the cheapest (passes/memory/memory_libmap.cc; the libraries are share/xilinx/brams_xc4v.txt and
lutrams_xc5v.txt, read by synth_xilinx for xc7 with ``-D HAS_SIZE_36 -D HAS_CASCADE -D HAS_CONFLICT_BUG
-D HAS_MIXWIDTH_SDP -logic-cost-rom 0.015625``):

* soft logic: ``width * depth * 1/64`` for a ROM (``-logic-cost-rom``), ``width * depth`` for a RAM (the
  default ``-logic-cost-ram 1``), truncated to an integer before the comparison;
* block RAM: per option (RAMB18 "HALF": cost 129, 16 Kbit as 1/2/4/9/18/36 x 16K..512; RAMB36 "FULL": 257,
  1..72 bits x 32K..512; two cascaded RAMB36 "CASCADE": 513, 1/2/4/9 bits x 64K..8K) and base width w with
  its depth D: ``cost * ceil(depth/D) * ceil(width/w) + 0.5 * (ceil(depth/D) - 1) * width`` (the read
  multiplexer over the address blocks) ``+ 0.5 * ceil(depth/D)`` for a RAM's write-enable decoder when it
  spans blocks, ``+ 2 * emulation`` (the read register's init value, which the BRAM cannot hold: 1 for the
  kernels' ``q <= mem[addr]``, measured);
* LUT-RAM (RAMs only: ROMs are excluded by ``prune_rom``): the simple-dual-port RAM32M / RAM64M options
  (cost 8 with widthscale 7: ``ceil(width/u) * B + 7 * B * width / u`` for u = 6 bits x 32 or 3 bits x 64 and
  B = ceil(depth/32 or 64) address blocks) plus the same read-multiplexer term.

A memory goes to a block RAM or LUT-RAM only when that costs strictly less than soft logic; among those the
cheapest wins. So a wide, shallow weight ROM (a 512-bit x 64 word ROM is 32 Kbit) stays in LUTs, while a
32-bit x 264 word ROM (8.4 Kbit) already takes a RAMB18. What each choice costs on the device:

* logic ROM: LUT = width * ceil(depth/64) (a LUT6 per 64 words of a bit, with MUXF7/F8 joining them);
* LUT-RAM: the RAM32M / RAM64M cells, 4 LUTs each (SLICEM LUTs, counted as LUTs);
* block RAM: RAMB18 = 0.5, RAMB36 = 1, a CASCADE pair = 2 BRAM36.

Tests in tests/estimate/test_yosys_memory.py compare the choice with real yosys runs around the boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from snn2fpga.hwir.cost import Resources

LOGIC_COST_ROM = 1 / 64  # synth_xilinx's -logic-cost-rom for xc6v / xc7
LOGIC_COST_RAM = 1.0  # memory_libmap's default -logic-cost-ram
FACTOR_MUX = 0.5  # memory_libmap.cc FACTOR_MUX / FACTOR_DEMUX / FACTOR_EMU
FACTOR_DEMUX = 0.5
FACTOR_EMU = 2
READ_REGISTER_EMULATION = 1  # emulation score of a plain `q <= mem[addr]` read (its init value), measured
LUTS_PER_LUTRAM_CELL = 4  # RAM32M / RAM64M occupy a whole SLICEM (4 LUTs)


@dataclass(frozen=True)
class BramOption:
    """One block-RAM mode of brams_xc4v.txt: its cost, the BRAM36 it occupies, and (width, depth) shapes."""

    name: str
    cost: int
    bram36: float
    shapes: tuple[tuple[int, int], ...]


def _shapes(abits: int, widths: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((w, 1 << (abits - k)) for k, w in enumerate(widths))


BRAM_OPTIONS = (
    BramOption("RAMB18", 129, 0.5, _shapes(14, (1, 2, 4, 9, 18, 36))),
    BramOption("RAMB36", 257, 1.0, _shapes(15, (1, 2, 4, 9, 18, 36, 72))),
    BramOption("RAMB36 cascade", 513, 2.0, _shapes(16, (1, 2, 4, 9))),
)
# Simple-dual-port LUT-RAM options of lutrams_xc5v.txt ($__XILINX_LUTRAM_SDP_: cost 8, widthscale 7).
LUTRAM_SDP = ((6, 32), (3, 64))  # RAM32M: 6 bits x 32 words; RAM64M: 3 bits x 64
LUTRAM_COST, LUTRAM_WIDTHSCALE = 8, 7


@dataclass(frozen=True)
class MemoryChoice:
    """What yosys builds a memory from (``logic``, ``lutram`` or ``bram``), its libmap cost and resources."""

    kind: str
    cost: float
    resources: Resources


def _bram(width: int, depth: int, rom: bool) -> MemoryChoice:
    best: MemoryChoice | None = None
    for opt in BRAM_OPTIONS:
        for w, d in opt.shapes:
            blocks = math.ceil(depth / d)
            repl = blocks * math.ceil(width / w)
            cost = (opt.cost * repl + FACTOR_MUX * (blocks - 1) * width
                    + (0 if rom or blocks == 1 else FACTOR_DEMUX * blocks) + FACTOR_EMU * READ_REGISTER_EMULATION)
            if best is None or cost < best.cost:
                best = MemoryChoice("bram", cost, Resources(bram36=repl * opt.bram36))
    assert best is not None
    return best


def _lutram(width: int, depth: int) -> MemoryChoice:
    best: MemoryChoice | None = None
    for w, d in LUTRAM_SDP:
        blocks = math.ceil(depth / d)
        cells = blocks * math.ceil(width / w)
        cost = ((LUTRAM_COST - LUTRAM_WIDTHSCALE) * cells + LUTRAM_WIDTHSCALE * blocks * width / w
                + FACTOR_MUX * (blocks - 1) * width + (FACTOR_DEMUX * blocks if blocks > 1 else 0))
        if best is None or cost < best.cost:
            # the read multiplexer over address blocks: a LUT per 4 blocks of a bit (LUT6 = 4:1 mux)
            mux = width * math.ceil((blocks - 1) / 3) if blocks > 1 else 0
            best = MemoryChoice("lutram", cost, Resources(lut=LUTS_PER_LUTRAM_CELL * cells + mux))
    assert best is not None
    return best


def yosys_memory(width: int, depth: int, *, rom: bool) -> MemoryChoice:
    """The mapping yosys 0.70 chooses for a ``depth`` x ``width``-bit memory with one synchronous read port
    (and, for a RAM, one write port), by the cost rules in the module docstring."""
    if width <= 0 or depth <= 0:
        return MemoryChoice("logic", 0.0, Resources())
    logic_cost = int(width * depth * (LOGIC_COST_ROM if rom else LOGIC_COST_RAM))
    logic = MemoryChoice("logic", logic_cost, Resources(lut=width * math.ceil(depth / 64)) if rom
                         else Resources(lut=width * depth, ff=width * depth))
    candidates = [_bram(width, depth, rom)] + ([] if rom else [_lutram(width, depth)])
    best = min(candidates, key=lambda c: c.cost)  # first of equals: block RAM, as libmap's library order
    return best if best.cost < logic_cost else logic


def rtl_memory(width: int, depth: int, *, rom: bool) -> Resources:
    """The resources of a memory of the RTL backend as yosys maps it (:func:`yosys_memory`)."""
    return yosys_memory(width, depth, rom=rom).resources


__all__ = ["BRAM_OPTIONS", "MemoryChoice", "rtl_memory", "yosys_memory"]
