"""The shipped radio examples (examples/radioml-snn.*, lif-cnn, and examples/radioml-snn-mlp.*, lif-mlp):
their stated numbers come from the checkpoints, and the C-simulation of each generated top reproduces them:
on a subset by default (and the deploy package on the emulated board), on the whole test split (1,320 frames,
every SNR) with ``-m slow``. The dataset is generated deterministically, no download."""

from __future__ import annotations

import json

import numpy as np
import pytest

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.cli import main
from snn2fpga.data import load_any_dataset
from tests.examples.build_example import EXAMPLES, build_example

# lif-cnn (event conv over the I/Q plane) and lif-mlp (dense layers over the flattened plane)
NAMES = ["radioml-snn", "radioml-snn-mlp"]


def _stated(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def _ge0(by_snr: dict[str, float]) -> float:
    return float(np.mean([a for s, a in by_snr.items() if int(s) >= 0]))


@pytest.mark.parametrize("name", NAMES)
def test_stated_numbers_are_the_checkpoints(name):
    stated = _stated(name)
    model, meta = load_checkpoint(EXAMPLES / f"{name}.pt")
    m = meta["metrics"]
    assert stated["dataset"] == meta["training"]["dataset"] == "radioml-synth"
    assert stated["selection"] == model.spec.extra["dataset_selection"]
    assert stated["classes"] == model.spec.classes and len(stated["classes"]) == 11
    assert stated["accuracy"] == m["test_accuracy"] and stated["accuracy_by_snr"] == m["accuracy_by_snr"]
    assert stated["accuracy_snr_ge0"] == _ge0(m["accuracy_by_snr"])
    assert stated["cnn_accuracy_snr_ge0"] == _ge0(stated["cnn_accuracy_by_snr"])
    assert stated["weight_bits"] == 8 and stated["state_bits"] == 24
    layers = model.spec.layers
    assert {la["weight_bits"] for la in layers if la["type"] in ("conv", "linear")} == {stated["weight_bits"]}
    assert {la["state_bits"] for la in layers if "state_bits" in la} == {stated["state_bits"]}


@pytest.mark.parametrize("name", NAMES)
def test_csim_subset_equals_pytorch(name, tmp_path, capsys):
    model, _ = load_checkpoint(EXAMPLES / f"{name}.pt")
    data = load_any_dataset("radioml-synth", None, _stated(name)["selection"])
    n = 60
    expected = float(np.mean(model.predict(data.x_test[:n]) == data.y_test[:n]))
    csim = build_example(name, tmp_path / "b", n, capsys)["csim"]
    assert csim["samples"] == n and csim["mismatches"] == 0 and csim["accuracy"] == expected
    # the deploy package on the emulated board (host I/Q quantisation + the C-simulated top): same frames
    rc = main(["run", str(tmp_path / "b" / "deploy"), "--emulate", "--json"])
    run = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0 and run["samples"] == n and run["mismatches"] == 0
    assert run["accuracy"] == expected


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_csim_full_split_reproduces_stated_accuracy(name, tmp_path, capsys):
    stated = _stated(name)
    csim = build_example(name, tmp_path / "b", None, capsys)["csim"]
    assert csim["samples"] == stated["test_frames"] == 1320 and csim["mismatches"] == 0
    assert csim["accuracy"] == stated["accuracy"]
    # per SNR too: the predictions the build verified (QONNX == C-simulation, 0 mismatches) and kept
    data = load_any_dataset("radioml-synth", None, stated["selection"])
    ref = np.load(tmp_path / "b" / "csim_reference.npz")
    pred = ref["predictions"]
    for snr, acc in stated["accuracy_by_snr"].items():
        sel = data.snr_test == int(snr)
        assert float(np.mean(pred[sel] == data.y_test[sel])) == acc
