"""The Vitis HLS / Vivado TCL scripts: board facts, IP wiring, safe quoting, determinism.

Besides checking the rendered text, the scripts are run under plain ``tclsh`` with every tool command
replaced by a recording stub (fixtures/tcl_stubs.tcl): that proves they parse, that their control
flow works, and which tool commands they issue with which arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from snn2fpga.boards import PsKind, list_boards, load_board
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.flow.tcl import (
    BD_NAME,
    IPPorts,
    clock_period_ns,
    commands_to_run_elsewhere,
    flow_paths,
    project_identifier,
    render_flow_scripts,
    tcl_word,
)

STUBS = Path(__file__).parent / "fixtures" / "tcl_stubs.tcl"
HLS_FILES = ("snn_top.cpp", "snn_top.h", "snn_params.h", "csim_lib.cpp", "snn_common.h", "snn_encoders.h",
             "snn_dense.h", "snn_readout.h", "snn_axis.h")
needs_tclsh = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")


def make_hls(hls_dir: Path) -> Path:
    hls_dir.mkdir(parents=True, exist_ok=True)
    for name in HLS_FILES:
        (hls_dir / name).write_text(f"// {name}\n")
    return hls_dir


@pytest.fixture
def build(tmp_path: Path) -> Path:
    make_hls(tmp_path / "build" / "hls")
    return tmp_path / "build"


def render(board_name: str, build: Path, clock_mhz: float | None = None, name: str = "digits model",
           **kw) -> tuple[str, str]:
    board = load_board(board_name)
    hls, viv = render_flow_scripts(board, build / "hls", build, clock_mhz or board.clock_mhz, name, **kw)
    return hls.read_text(), viv.read_text()


def run_stubbed(script: Path, tmp_path: Path, board_installed: bool = True) -> tuple[subprocess.CompletedProcess,
                                                                                      list[str]]:
    """Run ``script`` under tclsh with the tool stubs; returns the process and the recorded calls."""
    log = tmp_path / f"calls_{script.stem}.log"
    run_dir = tmp_path / "impl_run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / f"{BD_NAME}_wrapper.bit").write_bytes(b"BITSTREAM")
    (run_dir / "stub.hwh").write_text("<HWH/>")
    env = {**os.environ, "STUB_LOG": str(log), "STUB_RUN_DIR": str(run_dir),
           "STUB_BOARD_INSTALLED": "1" if board_installed else "0"}
    proc = subprocess.run(["tclsh", str(STUBS), str(script)], capture_output=True, text=True, env=env, timeout=60,
                          cwd=tmp_path)
    calls = log.read_text().splitlines() if log.is_file() else []
    return proc, calls


# --- rendered text, every board ------------------------------------------------------------------------

@pytest.mark.parametrize("board_name", list_boards())
def test_hls_script_sets_part_and_clock(board_name, build):
    board = load_board(board_name)
    hls, _ = render(board_name, build)
    period = f"{1000.0 / board.clock_mhz:.3f}"
    assert f"set_part {{{board.part}}}\n" in hls
    assert f"create_clock -period {period} -name default\n" in hls
    assert "set_top {snn_top}" in hls
    assert "-flow_target vivado" in hls
    assert "csynth_design\n" in hls
    assert "export_design -format ip_catalog -rtl verilog -vendor {snn2fpga} -library {hls} -version {1.0}" in hls
    assert "add_files [file join $hls_dir {snn_top.cpp}] -cflags $cflags" in hls
    assert 'set cflags "-std=c++14"' in hls
    assert "csim_lib.cpp" not in hls  # the C-simulation harness is not a synthesis source


@pytest.mark.parametrize("board_name", list_boards())
def test_vivado_script_has_board_ps_dma_ip_and_outputs(board_name, build):
    board = load_board(board_name)
    _, viv = render(board_name, build)
    assert f"-part {{{board.part}}}" in viv
    assert f"set board_part {{{board.board_part}}}" in viv
    assert "set_property board_part $board_part [current_project]" in viv
    ps7 = "create_bd_cell -type ip -vlnv [snn2fpga_vlnv xilinx.com:ip:processing_system7:*"
    zup = "create_bd_cell -type ip -vlnv [snn2fpga_vlnv xilinx.com:ip:zynq_ultra_ps_e:*"
    if board.ps is PsKind.PS7:
        assert ps7 in viv and zup not in viv
        assert "CONFIG.PCW_USE_S_AXI_HP0 {1}" in viv and "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $clock_mhz" in viv
        assert 'make_external "FIXED_IO, DDR" apply_board_preset "1"' in viv
    else:
        assert zup in viv and ps7 not in viv
        assert "CONFIG.PSU__USE__S_AXI_GP2 {1}" in viv
        assert "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $clock_mhz" in viv
        assert "M_AXI_HPM0_FPD" in viv and "S_AXI_HP0_FPD" in viv
    assert f"set clock_mhz {int(board.clock_mhz)}\n" in viv
    assert "[snn2fpga_vlnv xilinx.com:ip:axi_dma:*" in viv
    assert "CONFIG.c_include_sg {0}" in viv and "CONFIG.c_sg_length_width 26" in viv
    assert "[snn2fpga_vlnv snn2fpga:hls:snn_top:*" in viv
    assert "connect_bd_intf_net [get_bd_intf_pins $dma/M_AXIS_MM2S] [get_bd_intf_pins $ip/in_r]" in viv
    assert "connect_bd_intf_net [get_bd_intf_pins $ip/out_r] [get_bd_intf_pins $dma/S_AXIS_S2MM]" in viv
    assert "launch_runs impl_1 -to_step write_bitstream -jobs $jobs" in viv
    assert "file copy -force $bit [file join $bit_dir {snn2fpga.bit}]" in viv
    assert "file copy -force $hwh [file join $bit_dir {snn2fpga.hwh}]" in viv


def test_port_and_instance_names_are_template_variables(build):
    ports = IPPorts(stream_in="data_in", stream_out="data_out", control="s_axi_ctrl", ip_instance="net_0")
    _, viv = render("pynq-z2", build, ports=ports)
    assert "$ip/data_in]" in viv and "$ip/data_out]" in viv and "/$ip/s_axi_ctrl" in viv
    assert "set ip {net_0}" in viv and "in_r" not in viv
    with pytest.raises(SNN2FPGAError, match="not a plain identifier"):
        render("pynq-z2", build, ports=IPPorts(stream_in="in r]"))


def test_clock_period_follows_clock_mhz(build):
    hls, viv = render("zcu104", build, clock_mhz=150)
    assert "create_clock -period 6.667 -name default" in hls
    assert "set clock_mhz 150\n" in viv
    assert clock_period_ns(142.857) == "7.000"
    for bad in (0, -5, float("nan"), float("inf"), 5000):
        with pytest.raises(SNN2FPGAError, match="MHz"):
            clock_period_ns(bad)


def test_jobs_fixed_or_from_the_machine(build):
    _, viv = render("pynq-z2", build, jobs=3)
    assert "set jobs 3\n" in viv and "nproc" not in viv
    _, viv = render("pynq-z2", build)
    assert "exec nproc" in viv and "SNN2FPGA_JOBS" in viv
    with pytest.raises(SNN2FPGAError, match="jobs"):
        render("pynq-z2", build, jobs=0)


def test_hostile_project_name_is_sanitised(build):
    name = 'evil"; exec rm -rf ~ ;[puts pwned] ${x}\n{'
    ident = project_identifier(name)
    assert ident == "evil_exec_rm_rf_puts_pwned_x"
    hls, viv = render("pynq-z2", build, name=name)
    assert f"open_project -reset {{{ident}}}" in hls
    assert f"set proj_name {{{ident}}}" in viv
    for text in (hls, viv):
        assert "[puts pwned]" not in text and "exec rm" not in text and "${x}" not in text


def test_generation_is_deterministic_and_independent_of_the_build_path(tmp_path):
    first = make_hls(tmp_path / "a" / "hls").parent
    second = make_hls(tmp_path / "somewhere else" / "b" / "hls").parent
    out1 = render("kv260", first)
    out1_again = render("kv260", first)
    out2 = render("kv260", second)
    assert out1 == out1_again
    assert out1 == out2  # no absolute path of the build folder: it can be copied to another machine
    assert str(tmp_path) not in out1[0] + out1[1]


def test_missing_hls_project_fails_clearly(tmp_path):
    (tmp_path / "hls").mkdir()
    with pytest.raises(SNN2FPGAError, match="no snn_top.cpp"):
        render_flow_scripts(load_board("pynq-z2"), tmp_path / "hls", tmp_path, 100, "m")


def test_flow_paths_layout(tmp_path):
    paths = flow_paths(tmp_path / "b", "my model")
    root = (tmp_path / "b").resolve()
    assert paths.hls_script == root / "vitis_hls" / "hls_synth.tcl"
    assert paths.vivado_script == root / "vivado" / "vivado_bd.tcl"
    assert paths.csynth_xml == root / "vitis_hls" / "my_model" / "solution1" / "syn" / "report" / "csynth.xml"
    assert paths.ip_repo == root / "vitis_hls" / "my_model" / "solution1" / "impl" / "ip"
    assert paths.bitfile == root / "bitfile" / "snn2fpga.bit" and paths.hwh == root / "bitfile" / "snn2fpga.hwh"
    assert paths.to_dict()["timing_rpt"] == str(root / "report" / "vivado_timing_summary.rpt")


def test_commands_to_run_elsewhere():
    assert commands_to_run_elsewhere(Path("build/pynq-z2")) == [
        "cd build/pynq-z2/vitis_hls && vitis_hls -f hls_synth.tcl",
        "cd build/pynq-z2/vivado && vivado -mode batch -source vivado_bd.tcl",
    ]
    assert commands_to_run_elsewhere(Path("my builds/z2"))[0] == "cd 'my builds/z2/vitis_hls' && vitis_hls -f " \
                                                                 "hls_synth.tcl"


def test_tcl_word_rejects_control_characters():
    assert tcl_word("xc7z020clg400-1") == "{xc7z020clg400-1}"
    assert tcl_word("a b") == '"a b"'
    with pytest.raises(SNN2FPGAError, match="control characters"):
        tcl_word("a\nb")


# --- the scripts run under tclsh with stubbed tools -------------------------------------------------

@needs_tclsh
def test_tcl_word_round_trips_through_tclsh(tmp_path):
    texts = ["plain", "with space", 'q"uote', "$var", "[cmd]", "{brace", "brace}", "back\\slash", "semi;colon",
             "#hash", "all $x [y] {z} \"w\" \\ ;"]
    script = tmp_path / "words.tcl"
    script.write_text("".join(f"puts -nonewline {tcl_word(t)}\nputs -nonewline \\x00\n" for t in texts))
    out = subprocess.run(["tclsh", str(script)], capture_output=True, check=True).stdout.decode()
    assert out.split("\x00")[:-1] == texts


@needs_tclsh
@pytest.mark.parametrize("board_name", list_boards())
def test_scripts_run_under_stubbed_tools(board_name, build, tmp_path):
    board = load_board(board_name)
    render(board_name, build, name="digits")
    paths = flow_paths(build, "digits")
    proc, calls = run_stubbed(paths.hls_script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    hls_abs = (build / "hls").resolve()
    assert f"set_part {board.part}" in calls
    assert f"create_clock -period {1000.0 / board.clock_mhz:.3f} -name default" in calls
    assert f"add_files {hls_abs}/snn_top.cpp -cflags {{-std=c++14 -I{hls_abs}}}" in calls
    assert not any("csim_lib" in c for c in calls)
    assert calls[-2:] == ["export_design -format ip_catalog -rtl verilog -vendor snn2fpga -library hls -version 1.0 "
                          "-ipname snn_top", "exit"]

    paths.ip_repo.mkdir(parents=True)  # what vitis_hls would have exported
    proc, calls = run_stubbed(paths.vivado_script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    ps_cell = "processing_system7_0" if board.ps is PsKind.PS7 else "zynq_ultra_ps_e_0"
    ps_ip = "processing_system7" if board.ps is PsKind.PS7 else "zynq_ultra_ps_e"
    assert calls[0] == f"create_project -force digits {paths.vivado_project_dir} -part {board.part}"
    assert f"set_property board_part {board.board_part} {{}}" in calls
    assert f"create_bd_cell -type ip -vlnv xilinx.com:ip:{ps_ip}:9.9 {ps_cell}" in calls
    assert "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:9.9 axi_dma_0" in calls
    assert "create_bd_cell -type ip -vlnv snn2fpga:hls:snn_top:9.9 snn_top_0" in calls
    assert "connect_bd_intf_net axi_dma_0/M_AXIS_MM2S snn_top_0/in_r" in calls
    assert "connect_bd_intf_net snn_top_0/out_r axi_dma_0/S_AXIS_S2MM" in calls
    automations = [c for c in calls if c.startswith("apply_bd_automation -rule xilinx.com:bd_rule:axi4")]
    master = "M_AXI_GP0" if board.ps is PsKind.PS7 else "M_AXI_HPM0_FPD"
    slave = "S_AXI_HP0" if board.ps is PsKind.PS7 else "S_AXI_HP0_FPD"
    assert [a.rsplit(" ", 1)[1] for a in automations] == ["axi_dma_0/S_AXI_LITE", "snn_top_0/s_axi_control",
                                                          "axi_dma_0/M_AXI_MM2S", "axi_dma_0/M_AXI_S2MM"]
    assert all(f"Master /{ps_cell}/{master} " in a for a in automations[:2])
    assert all(f"Slave /{ps_cell}/{slave} " in a for a in automations[2:])
    order = [next(i for i, c in enumerate(calls) if c.startswith(k)) for k in
             ("validate_bd_design", "make_wrapper", "launch_runs synth_1", "launch_runs impl_1 -to_step "
              "write_bitstream", "report_utilization", "report_timing_summary")]
    assert order == sorted(order)
    assert paths.bitfile.read_bytes() == b"BITSTREAM"
    assert paths.hwh.read_text() == "<HWH/>"
    assert paths.utilization_rpt.is_file() and paths.timing_rpt.is_file()


@needs_tclsh
@pytest.mark.parametrize("board_name", ["pynq-z2", "ultra96-v2"])
def test_missing_board_preset_falls_back_to_the_part(board_name, build, tmp_path):
    board = load_board(board_name)
    render(board_name, build, name="m")
    flow_paths(build, "m").ip_repo.mkdir(parents=True)
    proc, calls = run_stubbed(flow_paths(build, "m").vivado_script, tmp_path, board_installed=False)
    assert proc.returncode == 0, proc.stderr
    assert f"WARNING: snn2fpga: board preset {board.board_part} is not installed" in proc.stdout
    assert not any(c.startswith("set_property board_part") for c in calls)
    if board.ps is PsKind.PS7:
        assert any('apply_board_preset "0"' in c for c in calls)
    else:
        assert not any("bd_rule:zynq_ultra_ps_e" in c for c in calls)
    assert flow_paths(build, "m").bitfile.is_file()


@needs_tclsh
def test_vivado_script_stops_without_the_hls_ip(build, tmp_path):
    render("pynq-z2", build, name="m")
    proc, calls = run_stubbed(flow_paths(build, "m").vivado_script, tmp_path)
    assert proc.returncode == 1
    assert "no HLS IP in" in proc.stderr and "vitis_hls -f hls_synth.tcl" in proc.stderr
    assert calls == []


@needs_tclsh
def test_hostile_paths_reach_the_tools_unchanged(tmp_path):
    odd = tmp_path / 'odd $dir [x] {y} "q";z'
    hls_dir = make_hls(odd / "hls src")
    build = tmp_path / "b"
    render_flow_scripts(load_board("pynq-z2"), hls_dir, build, 100, "m")
    proc, calls = run_stubbed(flow_paths(build, "m").hls_script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    add = [c for c in calls if c.startswith("add_files") and "snn_top.cpp" in c]
    assert len(add) == 1
    assert add[0] == subprocess.run(
        ["tclsh"], input=f"puts [list add_files {tcl_word(str(hls_dir.resolve() / 'snn_top.cpp'))} -cflags "
                         "-std=c++14]", capture_output=True, text=True, check=True).stdout.strip()
    assert "compiling without -I" in proc.stdout
