"""Finding and running the Xilinx tools, with small shell scripts standing in for vitis_hls and vivado."""

from __future__ import annotations

from pathlib import Path

import pytest

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.flow.tcl import commands_to_run_elsewhere
from snn2fpga.flow.tools import ToolsMissing, find_tool, hls_command, missing_tools, run_tool

XILINX_VARS = ("XILINX_HLS", "XILINX_VITIS", "XILINX_VIVADO")


def fake_tool(folder: Path, name: str, body: str = "exit 0\n", executable: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755 if executable else 0o644)
    return path


@pytest.fixture
def bare_env(tmp_path, monkeypatch):
    """A PATH with only an empty folder and none of the Xilinx variables."""
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for var in XILINX_VARS:
        monkeypatch.delenv(var, raising=False)
    return empty


def test_find_tool_on_path(tmp_path, bare_env, monkeypatch):
    assert find_tool("vitis_hls") is None
    tool = fake_tool(tmp_path / "bin", "vitis_hls")
    monkeypatch.setenv("PATH", f"{bare_env}:{tmp_path / 'bin'}")
    assert find_tool("vitis_hls") == tool
    assert find_tool("vivado") is None
    assert missing_tools() == ["vivado"]


def test_find_tool_skips_non_executables(tmp_path, bare_env, monkeypatch):
    fake_tool(tmp_path / "bin", "vivado", executable=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("XILINX_VIVADO", str(tmp_path))
    assert find_tool("vivado") is None


@pytest.mark.parametrize("tool, var", [("vivado", "XILINX_VIVADO"), ("vitis_hls", "XILINX_HLS"),
                                       ("vitis_hls", "XILINX_VITIS")])
def test_find_tool_in_xilinx_installation(tmp_path, bare_env, monkeypatch, tool, var):
    home = tmp_path / "Xilinx" / "2023.2"
    path = fake_tool(home / "bin", tool)
    monkeypatch.setenv(var, str(home))
    assert find_tool(tool) == path
    assert tool not in missing_tools()


def test_hls_command_prefers_vitis_hls(tmp_path, bare_env, monkeypatch):
    assert hls_command("hls_synth.tcl") is None
    run = fake_tool(tmp_path / "Vitis" / "bin", "vitis-run")
    monkeypatch.setenv("XILINX_VITIS", str(tmp_path / "Vitis"))
    assert hls_command("hls_synth.tcl") == [str(run), "--mode", "hls", "--tcl", "hls_synth.tcl"]
    hls = fake_tool(tmp_path / "bin", "vitis_hls")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert hls_command("hls_synth.tcl") == [str(hls), "-f", "hls_synth.tcl"]


def test_run_tool_streams_lines_to_log_and_callback(tmp_path):
    tool = fake_tool(tmp_path, "vitis_hls", 'echo "INFO: start"\necho "WARNING: to stderr" >&2\necho "INFO: done"\n')
    seen: list[str] = []
    log = tmp_path / "logs" / "vitis_hls.log"
    assert run_tool([tool, "-f", "hls_synth.tcl"], tmp_path, log, seen.append) == 0
    assert seen == ["INFO: start", "WARNING: to stderr", "INFO: done"]
    lines = log.read_text().splitlines()
    assert lines[0] == f"$ cd {tmp_path} && {tool} -f hls_synth.tcl"
    assert lines[1:] == seen


def test_run_tool_delivers_lines_while_the_tool_runs(tmp_path):
    # The tool only finishes once the callback has reacted to its first line: a reader that waited
    # for the end of the process (or buffered the pipe) would time the tool out.
    flag = tmp_path / "seen"
    tool = fake_tool(tmp_path, "vivado", f'echo ready\ni=0\nwhile [ ! -e "{flag}" ]; do\n'
                     '  i=$((i+1)); [ $i -gt 100 ] && { echo "no reaction"; exit 7; }; sleep 0.05\ndone\necho done\n')
    seen: list[str] = []

    def react(line: str) -> None:
        seen.append(line)
        if line == "ready":
            flag.touch()

    assert run_tool([tool], tmp_path, tmp_path / "v.log", react) == 0
    assert seen == ["ready", "done"]


def test_run_tool_failure_names_log_and_quotes_its_tail(tmp_path):
    tool = fake_tool(tmp_path, "vivado", 'i=1\nwhile [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); done\n'
                                         'echo "ERROR: [Common 17-69] Command failed: place_design" >&2\nexit 3\n')
    log = tmp_path / "vivado.log"
    with pytest.raises(SNN2FPGAError) as err:
        run_tool([tool, "-mode", "batch"], tmp_path, log)
    msg = str(err.value)
    assert "vivado failed (exit code 3)" in msg and str(log) in msg
    assert "ERROR: [Common 17-69] Command failed: place_design" in msg
    assert "line 40" in msg and "| line 17\n" in msg and "| line 16\n" not in msg  # the last 25 lines only
    assert len(log.read_text().splitlines()) == 1 + 41  # the log has everything


def test_run_tool_that_cannot_start(tmp_path):
    with pytest.raises(SNN2FPGAError, match="cannot start"):
        run_tool([tmp_path / "no_such_tool"], tmp_path, tmp_path / "x.log")


def test_tools_missing_lists_what_was_generated_and_what_to_run():
    generated = [Path("build/pynq-z2/hls"), Path("build/pynq-z2/vitis_hls/hls_synth.tcl"),
                 Path("build/pynq-z2/vivado/vivado_bd.tcl")]
    commands = commands_to_run_elsewhere(Path("build/pynq-z2"))
    err = ToolsMissing(["vitis_hls", "vivado"], generated, commands)
    assert isinstance(err, SNN2FPGAError)
    assert err.exit_code == 4 and ToolsMissing.exit_code == 4 and SNN2FPGAError.exit_code == 2
    msg = str(err)
    assert msg.startswith("vitis_hls and vivado not found")
    for item in [*map(str, generated), *commands]:
        assert f"\n  {item}" in msg
    assert msg.index(commands[0]) < msg.index(commands[1])
    assert err.commands == commands and err.missing == ["vitis_hls", "vivado"]
