"""The shipped radio example (examples/radioml-snn.*): its stated numbers come from the checkpoint, and
the C-simulation of its generated top reproduces them: on a subset by default (and its deploy package on the
emulated board), on the whole test split (1,320 frames, every SNR) with ``-m slow``. The dataset is
generated deterministically, no download."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.cli import main
from snn2fpga.data import load_any_dataset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STATED = json.loads((EXAMPLES / "radioml-snn.json").read_text())


def _build(out: Path, samples: int | None, capsys: pytest.CaptureFixture[str]) -> dict:
    argv = ["build", "--board", "pynq-z2", "--model", str(EXAMPLES / "radioml-snn.onnx"), "-o", str(out), "--json"]
    if samples is not None:
        argv += ["--csim-samples", str(samples)]
    rc = main(argv)
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 4, "the build stops before the Vivado steps (no Xilinx tools here) with exit code 4"
    return summary


def _ge0(by_snr: dict[str, float]) -> float:
    return float(np.mean([a for s, a in by_snr.items() if int(s) >= 0]))


def test_stated_numbers_are_the_checkpoints():
    model, meta = load_checkpoint(EXAMPLES / "radioml-snn.pt")
    m = meta["metrics"]
    assert STATED["dataset"] == meta["training"]["dataset"] == "radioml-synth"
    assert STATED["selection"] == model.spec.extra["dataset_selection"]
    assert STATED["classes"] == model.spec.classes and len(STATED["classes"]) == 11
    assert STATED["accuracy"] == m["test_accuracy"] and STATED["accuracy_by_snr"] == m["accuracy_by_snr"]
    assert STATED["accuracy_snr_ge0"] == _ge0(m["accuracy_by_snr"])
    assert STATED["cnn_accuracy_snr_ge0"] == _ge0(STATED["cnn_accuracy_by_snr"])
    assert STATED["weight_bits"] == 8 and STATED["state_bits"] == 24
    layers = model.spec.layers
    assert {la["weight_bits"] for la in layers if la["type"] in ("conv", "linear")} == {STATED["weight_bits"]}
    assert {la["state_bits"] for la in layers if "state_bits" in la} == {STATED["state_bits"]}


def test_csim_subset_equals_pytorch(tmp_path, capsys):
    model, _ = load_checkpoint(EXAMPLES / "radioml-snn.pt")
    data = load_any_dataset("radioml-synth", None, STATED["selection"])
    n = 60
    expected = float(np.mean(model.predict(data.x_test[:n]) == data.y_test[:n]))
    csim = _build(tmp_path / "b", n, capsys)["csim"]
    assert csim["samples"] == n and csim["mismatches"] == 0 and csim["accuracy"] == expected
    # the deploy package on the emulated board (host I/Q quantisation + the C-simulated top): same frames
    rc = main(["run", str(tmp_path / "b" / "deploy"), "--emulate", "--json"])
    run = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0 and run["samples"] == n and run["mismatches"] == 0
    assert run["accuracy"] == expected


@pytest.mark.slow
def test_csim_full_split_reproduces_stated_accuracy(tmp_path, capsys):
    csim = _build(tmp_path / "b", None, capsys)["csim"]
    assert csim["samples"] == STATED["test_frames"] == 1320 and csim["mismatches"] == 0
    assert csim["accuracy"] == STATED["accuracy"]
    # per SNR too: the predictions the build verified (QONNX == C-simulation, 0 mismatches) and kept
    data = load_any_dataset("radioml-synth", None, STATED["selection"])
    ref = np.load(tmp_path / "b" / "csim_reference.npz")
    pred = ref["predictions"]
    for snr, acc in STATED["accuracy_by_snr"].items():
        sel = data.snr_test == int(snr)
        assert float(np.mean(pred[sel] == data.y_test[sel])) == acc
