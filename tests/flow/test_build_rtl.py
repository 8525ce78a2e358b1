"""`snn2fpga build --backend rtl` on the shipped digits model, as a user runs it: the whole test split simulated
in Verilator under random back-pressure == QONNX, measured cycles == the RTL cycle model, yosys figures in the
JSON, and the deploy package running the RTL simulation as its emulated device."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from snn2fpga.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-lif-mlp.onnx"
# a modest folding keeps the Verilator build and the yosys run of the suite short
FOLDING = {"layer0": {"PE": 4, "SIMD": 16}, "layer1": {"PE": 2, "SIMD": 16}}


@pytest.fixture(scope="module")
def rtl_build(tmp_path_factory) -> tuple[Path, int, str]:
    """The build, run here (once per module and test worker, so that each test that reads it finds it however
    pytest-xdist spreads the tests): (its output directory, exit code, standard output)."""
    d = tmp_path_factory.mktemp("rtl")
    (d / "folding.json").write_text(json.dumps(FOLDING))
    out = d / "b"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        rc = main(["build", "--board", "pynq-z2", "--backend", "rtl", "--model", str(EXAMPLE), "--folding",
                   str(d / "folding.json"), "-o", str(out), "--json"])
    return out, rc, stdout.getvalue()


def test_build_rtl_digits_whole_split_measured_and_synthesized(rtl_build):
    out, rc, printed = rtl_build
    summary = json.loads(printed.strip().splitlines()[-1])
    assert rc == 4  # everything but Vivado
    assert summary["backend"] == "rtl"
    assert "vitis_hls" not in " ".join(summary["pending_commands"])
    assert summary["pending_commands"] == ["cd " + (out / "vivado").as_posix() + " && vivado -mode batch -source "
                                           "vivado_bd.tcl"]
    sim = summary["rtlsim"]
    assert sim["samples"] == 360 and sim["mismatches"] == 0 and sim["accuracy"] >= 0.95
    assert sim["latency_cycles"] == sim["model"]["latency"] and sim["interval_cycles"] == sim["model"]["interval"]
    syn = summary["synth"]
    assert syn["lut"] > 0 and syn["ff"] > 0 and "yosys" in syn["tool"] and "pre-place-and-route" in syn["tool"]
    # every stage synthesized alone, beside its estimate
    assert set(syn["stages"]) == set(summary["folding"])
    assert all(st["synth"]["lut"] > 0 and st["estimate"]["lut"] > 0 for st in syn["stages"].values())
    assert all(summary["estimate"][k] is not None for k in ("lut", "ff", "bram36", "dsp"))
    # per stage, how its estimate's resources were obtained (yosys figures where the synth cache had them)
    assert set(summary["estimate"]["resources_from"]) == set(summary["folding"])
    assert set(summary["estimate"]["resources_from"].values()) <= {"estimate", "synth"}
    assert all(st["estimate"]["resources_from"] == summary["estimate"]["resources_from"][name]
               for name, st in syn["stages"].items())
    assert "(rtlsim) vs" in printed and "(synth: yosys" in printed
    assert (out / "rtl" / "snn_top.v").is_file() and not (out / "hls").exists()
    assert (out / "deploy" / "rtlsim" / "libsnn_rtlsim.so").is_file()


def test_run_rtl_deploy_package_emulated_says_rtl(rtl_build, capsys):
    rc = main(["run", str(rtl_build[0] / "deploy"), "--emulate", "--limit", "40", "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0 and summary["mismatches"] == 0 and summary["samples"] == 40
    assert "RTL simulation (Verilator)" in summary["device"]
