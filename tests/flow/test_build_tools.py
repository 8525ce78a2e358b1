"""The tool steps with fake `vitis_hls` / `vivado` on PATH: reports parsed, bitstream deployed, exit 0."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from snn2fpga.cli import main
from snn2fpga.flow.tcl import flow_paths

FIXTURES = Path(__file__).parent / "fixtures"


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake(bin_dir, "vitis_hls", 'echo "INFO: Starting csynth"; mkdir -p "$(dirname "$FAKE_CSYNTH")"; '
                                'cp "$FIXTURE_CSYNTH" "$FAKE_CSYNTH"; echo "Finished"\n')
    _fake(bin_dir, "vivado", 'echo "Phase 1 place"; mkdir -p "$(dirname "$FAKE_UTIL")" "$(dirname "$FAKE_BIT")"; '
                             'cp "$FIXTURE_UTIL" "$FAKE_UTIL"; cp "$FIXTURE_TIMING" "$FAKE_TIMING"; '
                             'echo bit > "$FAKE_BIT"; echo hwh > "$FAKE_HWH"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FIXTURE_CSYNTH", str(FIXTURES / "csynth_pynq_z2.xml"))
    monkeypatch.setenv("FIXTURE_UTIL", str(FIXTURES / "utilization_pynq_z2.rpt"))
    monkeypatch.setenv("FIXTURE_TIMING", str(FIXTURES / "timing_summary_met.rpt"))
    return bin_dir


def test_build_with_tools_deploys_the_bitstream(fake_tools, small_trained, digits, tmp_path, monkeypatch, capsys):
    import snn2fpga

    onnx = tmp_path / "model.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], onnx)
    out = tmp_path / "b"
    paths = flow_paths(out, "model")
    monkeypatch.setenv("FAKE_CSYNTH", str(paths.csynth_xml))
    monkeypatch.setenv("FAKE_UTIL", str(paths.utilization_rpt))
    monkeypatch.setenv("FAKE_TIMING", str(paths.timing_rpt))
    monkeypatch.setenv("FAKE_BIT", str(paths.bitfile))
    monkeypatch.setenv("FAKE_HWH", str(paths.hwh))
    rc = main(["build", "--model", str(onnx), "-o", str(out), "--csim-samples", "20", "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0, summary
    assert summary["pending_commands"] == []
    assert summary["bitstream"] == str(out / "deploy" / "bitfile" / "snn2fpga.bit")
    assert (out / "deploy" / "bitfile" / "snn2fpga.hwh").is_file()
    assert summary["hls_synth"]["lut"] > 0 and summary["vivado"]["utilization"]["lut"] > 0
    assert summary["vivado"]["timing"]["wns_ns"] is not None
    model_json = json.loads((out / "deploy" / "model.json").read_text())
    assert model_json["bitstream"] == "bitfile/snn2fpga.bit"
    assert (out / "logs" / "vitis_hls.log").read_text().count("Starting csynth") == 1
