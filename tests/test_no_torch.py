"""`build`, `run` and `sweep` on an exported .onnx never import torch or brevitas (seconds of start-up).

Each command runs in a fresh interpreter whose import system refuses torch and brevitas and records
every attempt, so an import swallowed by a ``try`` still fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snn2fpga.sweep import SweepConfig
from snn2fpga.sweep.runner import open_store

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "digits-lif-mlp.onnx"

# runs `snn2fpga.cli.main(argv)`; prints the blocked import attempts as its last line
_RUNNER = """
import json, sys
attempts = []

class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "brevitas"):
            attempts.append(name)
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, BlockTorch())
try:
    from snn2fpga.cli import main
    rc = main(sys.argv[1:])
except ImportError as exc:  # a blocked import the code did not catch
    rc = repr(exc)
print(json.dumps({"rc": rc, "blocked": attempts}))
"""


def _run_blocked(argv: list[str], cwd: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "board"),
                                                       os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", _RUNNER, *argv], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=900, check=False)
    lines = res.stdout.strip().splitlines()
    assert lines, res.stderr[-4000:]
    return {**json.loads(lines[-1]), "stdout": lines[:-1], "stderr": res.stderr}


def test_runner_blocks_torch(tmp_path):
    """The blocker works: a command that needs torch (export of a .pt) is refused."""
    out = _run_blocked(["export", str(REPO / "examples" / "digits-lif-mlp.pt"), "-o", str(tmp_path / "x.onnx"),
                        "--verify", "0"], tmp_path)
    assert out["blocked"] and out["blocked"][0].split(".")[0] == "torch"


def test_build_and_run_of_an_onnx_import_no_torch(tmp_path):
    build = tmp_path / "build"
    out = _run_blocked(["build", "--model", str(EXAMPLE), "-o", str(build), "--csim-samples", "30", "--json"],
                       tmp_path)
    assert out["blocked"] == [], out["stderr"][-2000:]
    assert out["rc"] == 4, out["stderr"][-2000:]  # done except the Vivado tools
    csim = json.loads(out["stdout"][-1])["csim"]
    assert csim["samples"] == 30 and csim["mismatches"] == 0
    out = _run_blocked(["run", str(build / "deploy"), "--emulate", "--limit", "20", "--json"], tmp_path)
    assert out["blocked"] == [] and out["rc"] == 0, out["stderr"][-2000:]


def test_sweep_report_of_finished_points_imports_no_torch(tmp_path):
    """A resumed sweep whose points are all finished only tabulates: no torch in the parent process."""
    rows = json.loads((REPO / "bench" / "results" / "sweep_digits" / "results.json").read_text())
    metrics = {k: rows[0][k] for k in ("top1", "top5", "lut", "ff", "bram36", "dsp", "latency_us", "fps", "fits",
                                      "saturations", "accuracy_by_snr", "train_seconds", "export_mismatches",
                                      "csim_mismatches", "foldings")}
    cfg = SweepConfig("digits", "lif-mlp", tmp_path / "sw", [2, 4], [8], timesteps=[8], epochs=1, hidden=(16,))
    (tmp_path / "sw").mkdir()
    store = open_store(cfg)  # finished points live in the sweep's database
    for p in cfg.points():
        store.finish(p, {**p.to_dict(), **metrics})
    store.close()
    out = _run_blocked(["sweep", "--weight-bits", "2", "4", "--state-bits", "8", "--timesteps", "8", "--epochs", "1",
                        "--hidden", "16", "--no-progress", "-o", str(tmp_path / "sw"), "--json"], tmp_path)
    assert out["blocked"] == [] and out["rc"] == 0, out["stderr"][-2000:]
    assert (tmp_path / "sw" / "results.csv").read_text().count("\n") == 3


@pytest.mark.parametrize("module", ["snn2fpga", "snn2fpga.export", "snn2fpga.flow.driver", "snn2fpga.commands",
                                    "snn2fpga.codegen.verify_csim", "snn2fpga.flow.deploy", "snn2fpga.data"])
def test_torch_free_modules(module, tmp_path):
    code = _RUNNER.split("try:")[0] + f"import {module}\nprint(json.dumps({{'blocked': attempts}}))\n"
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'board'}"}, check=False)
    assert json.loads(res.stdout.strip().splitlines()[-1])["blocked"] == [], res.stderr[-2000:]
