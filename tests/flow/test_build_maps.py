"""Convolutional, DCLL and I/Q-plane networks through the whole CLI: train -> export -> build (C-sim == QONNX)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snn2fpga.cli import main


def _json_last(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_dcll_radioml_synth_train_export_build(tmp_path, capsys):
    ckpt = tmp_path / "dcll.pt"
    rc = main(["train", "--dataset", "radioml-synth", "--arch", "dcll-radioml", "--channels", "4", "--kernel", "5",
               "--grid", "16", "--synth-frames", "20", "--snrs", "2", "6", "10", "14", "18", "--epochs", "1",
               "--weight-bits", "8", "--batch-size", "32", "--lr", "0.002", "--no-progress", "-o", str(ckpt),
               "--json"])
    train = _json_last(capsys)
    assert rc == 0 and 0.0 <= train["test_accuracy"] <= 1.0
    assert main(["export", str(ckpt), "--verify", "all", "--json"]) == 0
    export = _json_last(capsys)
    assert export["verified_samples"] == 220 and export["mismatches"] == 0
    rc = main(["build", "--board", "pynq-z2", "--model", str(tmp_path / "dcll.onnx"), "-o", str(tmp_path / "b"),
               "--json"])
    summary = _json_last(capsys)
    assert rc == 4  # everything but the Vivado steps
    assert summary["csim"]["samples"] == 220 and summary["csim"]["mismatches"] == 0
    assert summary["csim"]["accuracy"] == train["test_accuracy"]
    top = (tmp_path / "b" / "hls" / "snn_top.cpp").read_text()
    assert "iq_encoder<input_cfg>" in top and "conv_event_neuron<layer0_cfg>" in top
    model_json = json.loads((tmp_path / "b" / "deploy" / "model.json").read_text())
    assert model_json["input"]["kind"] == "iq" and model_json["input"]["iq"]["grid"] == 16
    # the deploy package runs through the board runtime (emulated): == C-simulation == QONNX
    assert main(["run", str(tmp_path / "b" / "deploy"), "--emulate", "--json"]) == 0
    run = _json_last(capsys)
    assert run["samples"] == 220 and run["mismatches"] == 0 and run["accuracy"] == train["test_accuracy"]


def test_lif_cnn_digits_build(tmp_path, capsys):
    ckpt = tmp_path / "cnn.pt"
    assert main(["train", "--arch", "lif-cnn", "--channels", "4", "8", "--kernel", "3", "--timesteps", "8",
                 "--epochs", "1", "--no-progress", "-o", str(ckpt)]) == 0
    assert main(["export", str(ckpt), "--verify", "50"]) == 0
    fold = tmp_path / "fold.json"
    fold.write_text(json.dumps({"layer0": {"PE": 2, "SIMD": 1}, "layer1": {"PE": 4, "SIMD": 2},
                                "layer2": {"PE": 2, "SIMD": 2}}))
    rc = main(["build", "--model", str(tmp_path / "cnn.onnx"), "-o", str(tmp_path / "b"), "--folding", str(fold),
               "--csim-samples", "120", "--json"])
    summary = _json_last(capsys)
    assert rc == 4
    assert summary["csim"]["samples"] == 120 and summary["csim"]["mismatches"] == 0
    assert summary["folding"]["layer1"] == {"PE": 4, "SIMD": 2}


def test_lif_cnn_radioml_synth_bptt_build(tmp_path, capsys):
    """lif-cnn on radio frames: the I/Q-plane encoder feeds an event-driven LIF conv, trained by BPTT."""
    ckpt = tmp_path / "cnn.pt"
    rc = main(["train", "--dataset", "radioml-synth", "--arch", "lif-cnn", "--channels", "4", "--kernel", "3",
               "--grid", "8", "--frame-length", "128", "--synth-frames", "6", "--snrs", "10", "18", "--epochs", "1",
               "--weight-bits", "6", "--batch-size", "32", "--no-progress", "-o", str(ckpt), "--json"])
    train = _json_last(capsys)
    assert rc == 0 and 0.0 <= train["test_accuracy"] <= 1.0
    assert main(["export", str(ckpt), "--verify", "all", "--json"]) == 0
    export = _json_last(capsys)
    assert export["verified_samples"] == 22 and export["mismatches"] == 0
    rc = main(["build", "--model", str(tmp_path / "cnn.onnx"), "-o", str(tmp_path / "b"), "--json"])
    summary = _json_last(capsys)
    assert rc == 4
    assert summary["csim"]["samples"] == 22 and summary["csim"]["mismatches"] == 0
    assert summary["csim"]["accuracy"] == train["test_accuracy"]
    top = (tmp_path / "b" / "hls" / "snn_top.cpp").read_text()
    assert "iq_encoder<input_cfg>" in top and "conv_event_neuron<layer0_cfg>" in top


@pytest.fixture(scope="module")
def plane_mlp(tmp_path_factory) -> Path:
    """lif-mlp on radio frames, trained through the CLI: the I/Q plane's G*G spikes feed a dense LIF layer."""
    d = tmp_path_factory.mktemp("plane_mlp")
    rc = main(["train", "--dataset", "radioml-synth", "--arch", "lif-mlp", "--hidden", "16", "--grid", "4",
               "--frame-length", "32", "--synth-frames", "6", "--snrs", "10", "18", "--epochs", "1",
               "--weight-bits", "6", "--leak-shift", "2", "--batch-size", "32", "--no-progress",
               "-o", str(d / "mlp.pt")])
    assert rc == 0
    assert main(["export", str(d / "mlp.pt"), "--verify", "all"]) == 0
    return d


def test_lif_mlp_over_the_iq_plane_csim_and_emulated_board(plane_mlp, tmp_path, capsys):
    """HLS: the frame encoder (iq_frame_encoder) feeds a dense LIF layer; C-sim == QONNX, and the deploy
    package on the emulated board == C-sim."""
    rc = main(["build", "--model", str(plane_mlp / "mlp.onnx"), "-o", str(tmp_path / "b"), "--json"])
    summary = _json_last(capsys)
    assert rc == 4 and summary["csim"]["samples"] == 22 and summary["csim"]["mismatches"] == 0
    top = (tmp_path / "b" / "hls" / "snn_top.cpp").read_text()
    assert "iq_frame_encoder<input_cfg>" in top and "iq_encoder<" not in top
    assert main(["run", str(tmp_path / "b" / "deploy"), "--emulate", "--json"]) == 0
    run = _json_last(capsys)
    assert run["samples"] == 22 and run["mismatches"] == 0 and run["accuracy"] == summary["csim"]["accuracy"]


@pytest.mark.slow
def test_lif_mlp_over_the_iq_plane_rtl(plane_mlp, tmp_path, capsys):
    """RTL: the frame encoder module feeds the dense LIF module; rtlsim == QONNX, cycles == the model."""
    rc = main(["build", "--model", str(plane_mlp / "mlp.onnx"), "-o", str(tmp_path / "r"), "--backend", "rtl",
               "--json"])
    summary = _json_last(capsys)
    sim = summary["rtlsim"]
    assert rc == 4 and sim["samples"] == 22 and sim["mismatches"] == 0
    assert sim["latency_cycles"] == sim["model"]["latency"] and sim["interval_cycles"] == sim["model"]["interval"]
