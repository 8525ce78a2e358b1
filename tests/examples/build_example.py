"""Build a shipped example through the CLI, as a user does: the one helper of the example tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snn2fpga.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def build_example(name: str, out: Path, samples: int | None, capsys: pytest.CaptureFixture[str]) -> dict:
    """``snn2fpga build`` of ``examples/<name>.onnx`` for the PYNQ-Z2 into ``out``; its JSON summary."""
    argv = ["build", "--board", "pynq-z2", "--model", str(EXAMPLES / f"{name}.onnx"), "-o", str(out), "--json"]
    if samples is not None:
        argv += ["--csim-samples", str(samples)]
    rc = main(argv)
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 4, "the build stops before the Vivado steps (no Xilinx tools here) with exit code 4"
    return summary
