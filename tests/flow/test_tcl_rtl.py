"""The Vivado script of the RTL backend: the generated RTL and its ROM files go into the project and the top into
the same block design (PS, AXI DMA, AXI-Lite) as a module reference, with no Vitis HLS step; run under tclsh with
stubbed tools for every board."""

from __future__ import annotations

from pathlib import Path

import pytest

from snn2fpga.boards import list_boards, load_board
from snn2fpga.flow.tcl import commands_to_run_elsewhere, flow_paths, render_flow_scripts
from tests.flow.test_tcl import needs_tclsh, run_stubbed

SOURCES = ["snn_fifo.sv", "snn_axis_in.sv", "snn_dense_lif.sv", "snn_top.v"]


def make_rtl(rtl_dir: Path) -> Path:
    rtl_dir.mkdir(parents=True, exist_ok=True)
    for name in [*SOURCES, "layer0_weights.mem", "layer0_thresholds.mem"]:
        (rtl_dir / name).write_text(f"// {name}\n")
    return rtl_dir


@needs_tclsh
@pytest.mark.parametrize("board_name", list_boards())
def test_rtl_vivado_script_runs_under_stubbed_tools(board_name, tmp_path):
    build = tmp_path / "build"
    rtl_dir = make_rtl(build / "rtl")
    board = load_board(board_name)
    scripts = render_flow_scripts(board, rtl_dir, build, board.clock_mhz, "digits", rtl=(rtl_dir, SOURCES))
    paths = flow_paths(build, "digits")
    assert scripts == [paths.vivado_script] and not paths.hls_script.exists()
    text = paths.vivado_script.read_text()
    assert str(tmp_path) not in text  # relative to the script: the build folder can move
    proc, calls = run_stubbed(paths.vivado_script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    rtl_abs = rtl_dir.resolve()
    assert f"add_files -norecurse {{{' '.join(f'{rtl_abs}/{s}' for s in SOURCES)}}}" in calls
    assert any(c.startswith("add_files -norecurse") and "layer0_weights.mem" in c for c in calls)
    assert "create_bd_cell -type module -reference snn_top snn_top_0" in calls
    assert not any("snn2fpga:hls:snn_top" in c for c in calls)
    assert "connect_bd_intf_net axi_dma_0/M_AXIS_MM2S snn_top_0/in_r" in calls
    assert "connect_bd_intf_net snn_top_0/out_r axi_dma_0/S_AXIS_S2MM" in calls
    order = [next(i for i, c in enumerate(calls) if c.startswith(k)) for k in
             ("add_files", "create_bd_design", "create_bd_cell -type module", "validate_bd_design",
              "launch_runs synth_1", "report_utilization")]
    assert order == sorted(order)
    assert paths.bitfile.read_bytes() == b"BITSTREAM"


@needs_tclsh
def test_rtl_vivado_script_stops_without_the_generated_top(tmp_path):
    build = tmp_path / "build"
    rtl_dir = make_rtl(build / "rtl")
    render_flow_scripts(load_board("pynq-z2"), rtl_dir, build, 100.0, "m", rtl=(rtl_dir, SOURCES))
    (rtl_dir / "snn_top.v").unlink()
    proc, calls = run_stubbed(flow_paths(build, "m").vivado_script, tmp_path)
    assert proc.returncode == 1 and "no generated RTL top" in proc.stderr and calls == []


def test_rtl_build_needs_only_the_vivado_command():
    assert commands_to_run_elsewhere(Path("b"), rtl=True) == ["cd b/vivado && vivado -mode batch -source vivado_bd.tcl"]
