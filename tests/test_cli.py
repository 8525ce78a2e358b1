"""The command line end to end: JSON summaries, accuracy goal, exit codes for bad input."""

from __future__ import annotations

import json
import os

import pytest
import torch

from snn2fpga.cli import main


def _json_last(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


@pytest.fixture(scope="module")
def trained_ckpt(tmp_path_factory):
    """The acceptance model: digits lif-mlp, 4-bit weights, 16-bit state, T=16."""
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    rc = main(["train", "--dataset", "digits", "--arch", "lif-mlp", "--hidden", "128", "--weight-bits", "4",
               "--state-bits", "16", "--timesteps", "16", "--epochs", "12", "--seed", "0", "--no-progress",
               "-o", str(path), "--json"])
    assert rc == 0
    return path


def test_train_reaches_goal_and_export_verifies_whole_test_split(trained_ckpt, capsys):
    from snn2fpga.checkpoint import load_checkpoint

    model, meta = load_checkpoint(trained_ckpt)
    assert meta["metrics"]["test_accuracy"] >= 0.95
    assert meta["training"]["dataset"] == "digits"
    assert model.spec.encoder.timesteps == 16
    rc = main(["export", str(trained_ckpt), "--verify", "all", "--json"])
    summary = _json_last(capsys)
    assert rc == 0
    assert summary["onnx"] == str(trained_ckpt.with_suffix(".onnx"))
    assert summary["verified_samples"] == 360 and summary["mismatches"] == 0
    assert os.path.isfile(summary["onnx"])


def test_train_json_last_line(tmp_path, capsys):
    rc = main(["train", "--epochs", "1", "--hidden", "16", "--no-progress", "-o", str(tmp_path / "m.pt"), "--json"])
    assert rc == 0
    summary = _json_last(capsys)
    assert summary["checkpoint"] == str(tmp_path / "m.pt") and 0.0 <= summary["test_accuracy"] <= 1.0


def test_export_output_option_and_calibrate(trained_ckpt, tmp_path, capsys):
    out = tmp_path / "x.onnx"
    assert main(["export", str(trained_ckpt), "-o", str(out), "--verify", "10", "--json"]) == 0
    assert _json_last(capsys)["verified_samples"] == 10 and out.is_file()
    assert main(["calibrate", str(trained_ckpt), "--json"]) == 0
    layers = _json_last(capsys)["layers"]
    assert [layer["name"] for layer in layers] == ["LIF", "LI"]


@pytest.mark.parametrize(
    "argv,match",
    [
        (["train", "--dataset", "cifar"], "unknown dataset"),
        (["train", "--arch", "resnet"], "unknown architecture"),
        (["train", "--weight-bits", "1"], "--weight-bits 1 is out of range: use 2..16"),
        (["train", "--device", "tpu"], "unknown --device 'tpu'"),
        (["train", "--device", "cuda:0"] if not torch.cuda.is_available() else ["train", "--device", "npu"],
         "--device"),
        (["export", "/nonexistent/model.pt"], "checkpoint not found"),
    ],
)
def test_bad_input_exit_codes(argv, match, tmp_path, capsys):
    rc = main([*argv, "-o", str(tmp_path / "m.pt")] if argv[0] == "train" else argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert match in err and "Traceback" not in err


def test_missing_fashion_files(tmp_path, capsys):
    rc = main(["train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path), "-o", str(tmp_path / "m.pt")])
    assert rc == 2
    assert "dataset-fashion-mnist" in capsys.readouterr().err


def test_corrupt_checkpoint_cli(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage" * 10)
    assert main(["export", str(bad)]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_bad_verify_count(capsys):
    with pytest.raises(SystemExit) as ei:
        main(["export", "m.pt", "--verify", "lots"])
    assert ei.value.code == 2


@pytest.mark.parametrize(("argv", "match"), [
    (["build", "--jobs", "0"], "--jobs must be >= 1, got 0"), (["build", "--jobs", "two"], "number of processes"),
    (["train", "--threads", "0"], "--threads must be >= 1, got 0"), (["export", "m.pt", "--threads", "x"], "threads"),
])
def test_bad_jobs_and_threads(argv, match, capsys):
    with pytest.raises(SystemExit) as ei:
        main(argv)
    assert ei.value.code == 2 and match in capsys.readouterr().err


def test_train_sets_its_torch_threads(tmp_path):
    from snn2fpga.commands import TrainOptions, run_train

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        run_train(TrainOptions("digits", tmp_path / "m.pt", hidden=(8,), epochs=1, progress=False), log=lambda _: None)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
