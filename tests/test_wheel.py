"""Issue 11, class 7: a wheel built from the repo installs into a fresh venv and `snn2fpga build` works from
it: kernels, templates, board definitions, the notebook and the board runtime are package data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from snn2fpga.resources import BOARDS_DIR, HLS_KERNEL_DIR, NOTEBOOK, RTL_KERNEL_DIR, TCL_TEMPLATES_DIR

REPO = Path(__file__).resolve().parents[1]


def test_package_data_is_found_through_importlib_resources():
    assert (HLS_KERNEL_DIR / "snn_common.h").is_file() and (RTL_KERNEL_DIR / "snn_fifo.sv").is_file()
    assert (TCL_TEMPLATES_DIR / "hls_synth.tcl.j2").is_file() and (BOARDS_DIR / "pynq-z2.json").is_file()
    assert NOTEBOOK.is_file()
    offenders = [str(p) for p in (REPO / "snn2fpga").rglob("*.py") if "parents[" in p.read_text()]
    assert not offenders, f"reaches into the source tree: {offenders}"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.mark.slow
def test_wheel_installs_and_builds_the_digits_example(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(REPO)], check=True, cwd=tmp_path, env=_clean_env())
    (wheel,) = wheels.glob("snn2fpga-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies (torch, qonnx, ...) come from this interpreter's site-packages, appended after the
    # venv's own: a plain path entry, so the editable install of the checkout there is not activated
    (site / "zz_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, env=_clean_env())
    work = tmp_path / "work"
    work.mkdir()
    where = subprocess.run([str(py), "-c", "import snn2fpga, snn2fpga_board; print(snn2fpga.__file__); "
                            "print(snn2fpga_board.__file__)"], check=True, capture_output=True, text=True,
                           cwd=work, env=_clean_env()).stdout.split()
    assert all(w.startswith(str(site)) for w in where), where  # the wheel's copy, not the source tree
    model = work / "digits-lif-mlp.onnx"
    model.write_bytes((REPO / "examples" / "digits-lif-mlp.onnx").read_bytes())
    res = subprocess.run([str(venv / "bin" / "snn2fpga"), "build", "--model", model.name, "-o", "b",
                          "--csim-samples", "40", "--json"], cwd=work, env=_clean_env(), capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 4, res.stderr[-3000:]  # done except the Vivado steps
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["csim"]["mismatches"] == 0 and summary["csim"]["samples"] == 40
    deploy = work / "b" / "deploy"
    assert (deploy / "snn2fpga_board" / "overlay.py").is_file() and (deploy / "snn2fpga_demo.ipynb").is_file()
    assert (work / "b" / "vitis_hls" / "hls_synth.tcl").is_file()
    run = subprocess.run([str(venv / "bin" / "snn2fpga"), "run", "b/deploy", "--emulate", "--json"], cwd=work,
                         env=_clean_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.strip().splitlines()[-1])["mismatches"] == 0
