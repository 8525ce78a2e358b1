"""Issue 11, class 4: one exit-code contract for every command (0 done, 2 bad input, 3 stages disagree or
saturation, 4 done except the vendor-tool steps, 130 Ctrl-C). Bad input ends with one `error:` line that
names the input and its range, never a traceback; numbers are checked before any data or training.
(0 and 4 are covered by the build/run tests; 3 by tests/test_atomic_writes.py and the run case here.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from snn2fpga import commands
from snn2fpga.checkpoint import save_checkpoint
from snn2fpga.cli import main


def _fails(capsys, argv: list[str], code: int, *needles: str) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith(("error:", "interrupted:")), err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture
def no_training(monkeypatch):
    """Every case below must be refused before any data is loaded."""
    def refuse(*_a, **_k):
        raise AssertionError("the bad option was not refused before the data were loaded")

    monkeypatch.setattr(commands, "load_any_dataset", refuse)


@pytest.mark.parametrize(
    "option,needles",
    [
        (["--epochs", "-1"], ["--epochs -1 is out of range: use >= 1"]),
        (["--epochs", "0"], ["--epochs 0 is out of range"]),
        (["--batch-size", "0"], ["--batch-size 0 is out of range: use >= 1"]),
        (["--lr", "-1"], ["--lr -1.0 is out of range: it must be > 0"]),
        (["--lr", "nan"], ["--lr nan is out of range"]),
        (["--hidden", "0"], ["--hidden 0 is out of range: use >= 1"]),
        (["--hidden", "64", "-3"], ["--hidden -3"]),
        (["--timesteps", "0"], ["--timesteps 0 is out of range: use 1..4096"]),
        (["--weight-bits", "1"], ["--weight-bits 1 is out of range: use 2..16"]),
        (["--state-bits", "40"], ["--state-bits 40 is out of range: use 2..32"]),
        (["--calib-margin", "-5"], ["--calib-margin -5.0 is out of range"]),
        (["--clip-percentile", "0"], ["--clip-percentile 0.0 is out of range"]),
    ],
)
def test_train_numeric_options(capsys, no_training, tmp_path, option, needles):
    _fails(capsys, ["train", "--no-progress", "-o", str(tmp_path / "m.pt"), *option], 2, *needles)
    assert not (tmp_path / "m.pt").exists()


def test_train_output_path_is_checked_before_training(capsys, no_training, tmp_path):
    _fails(capsys, ["train", "-o", str(tmp_path)], 2, "is a directory")
    (tmp_path / "file").write_text("x")
    _fails(capsys, ["train", "-o", str(tmp_path / "file" / "m.pt")], 2, "is not a folder")
    _fails(capsys, ["train", "-o", "/proc/snn2fpga_test/m.pt"], 2, "is not writable")  # read-only even for root
    if os.geteuid() != 0:  # root writes into a mode-555 folder anyway
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        _fails(capsys, ["train", "-o", str(ro / "m.pt")], 2, "is not writable")


def test_export_output_naming_a_directory(capsys, tmp_path, small_trained):
    ckpt = save_checkpoint(small_trained, tmp_path / "m.pt", training={"dataset": "digits"})
    (tmp_path / "out.onnx").mkdir()
    _fails(capsys, ["export", str(ckpt), "-o", str(tmp_path / "out.onnx")], 2, "is a directory")


@pytest.mark.parametrize(
    "option,needles",
    [
        (["--csim-samples", "0"], ["--csim-samples 0 is out of range"]),
        (["--csim-samples", "-5"], ["--csim-samples -5 is out of range"]),
        (["--clock-mhz", "0"], ["--clock-mhz 0 is out of range: it must be > 0 and <= 1000"]),
        (["--clock-mhz", "inf"], ["--clock-mhz inf is out of range"]),
        (["--target-fps", "-1"], ["--target-fps -1"]),
        (["--max-fraction", "1.5"], ["--max-fraction 1.5 is out of range"]),
    ],
)
def test_build_numeric_options(capsys, tmp_path, option, needles):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"not read: the options are refused first")
    _fails(capsys, ["build", "--model", str(model), "-o", str(tmp_path / "b"), *option], 2, *needles)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("content,needle", [("{not json", "is not valid JSON"), ("[" * 100000, "nested too deeply"),
                                            (b"\xff\xfe\x00", "is not valid JSON")])
def test_malformed_folding_json(capsys, tmp_path, small_trained, digits, content, needle):
    import snn2fpga

    model = tmp_path / "m.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], model, verify_inputs=digits.x_test[:2])
    folding = tmp_path / "fold.json"
    folding.write_bytes(content if isinstance(content, bytes) else content.encode())
    _fails(capsys, ["build", "--model", str(model), "-o", str(tmp_path / "b"), "--folding", str(folding)], 2,
           needle)


def test_calibrate_margin(capsys, tmp_path):
    _fails(capsys, ["calibrate", str(tmp_path / "missing.pt"), "--margin", "-5"], 2, "--margin -5.0 is out of range")


@pytest.mark.parametrize("option,needle", [(["--csim-samples", "0"], "--csim-samples 0"),
                                           (["--epochs", "-1"], "--epochs -1"), (["--workers", "0"], "--workers 0")])
def test_sweep_numeric_options(capsys, tmp_path, option, needle):
    _fails(capsys, ["sweep", "-o", str(tmp_path / "s"), "--no-progress", *option], 2, needle)


def test_run_limit(capsys, tmp_path):
    _fails(capsys, ["run", str(tmp_path), "--emulate", "--limit", "0"], 2, "--limit 0 is out of range")


def test_ctrl_c_is_130_with_one_line(capsys, monkeypatch):
    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "run_calibrate", interrupted)
    err = _fails(capsys, ["calibrate", "x.pt"], 130, "interrupted: snn2fpga calibrate stopped")
    assert len(err.strip().splitlines()) == 1


def test_run_reports_mismatches_with_exit_3(capsys, tmp_path, small_trained, digits):
    """A deploy package whose golden predictions the device does not reproduce: exit 3, not 0."""
    import numpy as np

    import snn2fpga

    model = tmp_path / "m.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], model, verify_inputs=digits.x_test[:2])
    assert main(["build", "--model", str(model), "-o", str(tmp_path / "b"), "--csim-samples", "8"]) == 4
    deploy = tmp_path / "b" / "deploy"
    assert main(["run", str(deploy), "--emulate"]) == 0
    golden = dict(np.load(deploy / "golden.npz"))
    golden["predictions"] = (golden["predictions"] + 1) % len(small_trained.spec.classes)
    np.savez_compressed(deploy / "golden.npz", **golden)
    capsys.readouterr()
    assert main(["run", str(deploy), "--emulate", "--json"]) == 3
    captured = capsys.readouterr()
    assert "8 of 8 predictions" in captured.err and "Traceback" not in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["mismatches"] == 8
    assert Path(deploy / "model.json").is_file()


@pytest.mark.parametrize("argv", [["build", "--jobs", "0"], ["train", "--threads", "0"],
                                  ["export", "x.pt", "--threads", "-1"]])
def test_process_and_thread_counts_are_refused_by_the_parser(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err and "must be >= 1" in err
