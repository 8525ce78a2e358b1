"""A tiny 2 x 2 sweep on digits: tables, plots, resume, and the pieces it is made of."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from snn2fpga.cli import main
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep import SweepConfig, SweepPoint
from snn2fpga.sweep.points import top_k_accuracy
from snn2fpga.sweep.report import pareto


def test_tiny_sweep_writes_tables_and_plots_and_resumes(tmp_path, capsys):
    out = tmp_path / "sw"
    argv = ["sweep", "--dataset", "digits", "--weight-bits", "2", "4", "--state-bits", "8", "16", "--hidden", "16",
            "--timesteps", "8", "--epochs", "1", "--csim-samples", "20", "--workers", "2", "--no-progress",
            "--folding-budgets", "0.05", "0.5", "--target-fps", "100000", "-o", str(out), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["points"] == 4 and summary["finished"] == 4 and summary["failed"] == {}
    rows = json.loads((out / "results.json").read_text())
    assert sorted((r["weight_bits"], r["state_bits"]) for r in rows) == [(2, 8), (2, 16), (4, 8), (4, 16)]
    for r in rows:
        assert r["csim_samples"] == 20 and r["csim_mismatches"] == 0
        assert 0.0 <= r["top1"] <= r["top5"] <= 1.0 and r["lut"] > 0
        assert r["fps"] >= 100_000 and r["target_fps"] == 100_000  # the main build folds for the target
    assert (out / "results.csv").read_text().count("\n") == 5
    assert "| w2_s8_t8 |" in (out / "results.md").read_text()
    # every point is also estimated at each folding budget: more budget, never slower
    frows = list(csv.DictReader((out / "foldings.csv").open()))
    assert len(frows) == 8 and "| w4_s16_t8 | 4 | 16 | 8 |" in (out / "foldings.md").read_text()
    for r in rows:
        small, large = r["foldings"]
        assert (small["budget"], large["budget"]) == (0.05, 0.5)
        assert large["fps"] >= small["fps"] and large["lut"] >= small["lut"]
        assert small["lut"] <= 0.05 * 53_200 or small["folding"]["layer0"] == {"PE": 1, "SIMD": 1}
    for png in ("accuracy_resources_vs_bits.png", "pareto.png", "throughput_vs_resources.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # resumable: a second run finishes nothing new
    assert main(argv) == 0
    assert "resuming: 4 of 4 points already finished" in capsys.readouterr().out


def test_point_round_trips_as_plain_data(tmp_path):
    p = SweepPoint("w4_s16_t8", str(tmp_path), "digits", "lif-mlp", 4, 16, 8, hidden=(32, 16),
                   folding_budgets=(0.1, 0.5))
    assert SweepPoint.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_top_k_and_pareto():
    scores = np.array([[3, 1, 2], [0, 5, 5]])
    assert top_k_accuracy(scores, np.array([2, 2]), 1) == 0.0
    assert top_k_accuracy(scores, np.array([2, 2]), 2) == 1.0
    rows = [{"top1": 0.9, "lut": 100}, {"top1": 0.8, "lut": 200}, {"top1": 0.95, "lut": 300}]
    assert [r["lut"] for r in pareto(rows)] == [100, 300]


def test_bad_bits_are_refused(tmp_path):
    with pytest.raises(SNN2FPGAError, match="weight bits 1"):
        SweepConfig("digits", "lif-mlp", tmp_path, [1], [8]).points()
    with pytest.raises(SNN2FPGAError, match="target fps must be positive"):
        SweepConfig("digits", "lif-mlp", tmp_path, [4], [8], target_fps=0).points()
    with pytest.raises(SNN2FPGAError, match="folding budget 1.5"):
        SweepConfig("digits", "lif-mlp", tmp_path, [4], [8], folding_budgets=(1.5,)).points()


def test_unknown_board_fails_before_training(tmp_path, capsys):
    assert main(["sweep", "--board", "nope", "-o", str(tmp_path / "s")]) == 2
    assert "nope" in capsys.readouterr().err
