"""The shipped example models load, reproduce their stated accuracy, and build without training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.cli import main
from snn2fpga.data import load_dataset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_digits_example_reproduces_its_accuracy():
    model, meta = load_checkpoint(EXAMPLES / "digits-lif-mlp.pt")
    data = load_dataset("digits")
    acc = float(np.mean(model.predict(data.x_test) == data.y_test))
    assert acc == meta["metrics"]["test_accuracy"]
    assert f"{acc:.2%}".replace("%", " %") in (EXAMPLES / "README.md").read_text()


def test_build_the_example_without_training(tmp_path, capsys):
    rc = main(["build", "--board", "pynq-z2", "--model", str(EXAMPLES / "digits-lif-mlp.onnx"),
               "-o", str(tmp_path / "b"), "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 4
    assert summary["csim"]["samples"] == 360 and summary["csim"]["mismatches"] == 0
    assert abs(summary["csim"]["accuracy"] - 0.9777777777777777) == 0.0
