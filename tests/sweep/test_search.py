"""The Optuna search's loop, front comparison and resume, on a 4 x 4 grid whose points are already stored
(known accuracies and LUTs, so nothing trains); the real 4 x 4 digits search is the slow test below."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from snn2fpga.cli import main
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep import SweepConfig
from snn2fpga.sweep.search import Objective, SearchConfig, run_search
from snn2fpga.sweep.store import SweepStore, default_url

ACC_W = {2: 0.6, 3: 0.8, 4: 0.85, 8: 0.85}


def _stored_grid(tmp_path) -> SweepConfig:
    """A 4 x 4 grid whose results are in the database: accuracy rises with weight bits until 4 and drops when the
    state has 6 bits; LUT grows with both. True front: w2_s6, w2_s8, w3_s8, w4_s8."""
    cfg = SweepConfig("digits", "lif-mlp", tmp_path, [2, 3, 4, 8], [6, 8, 12, 16], [8], workers=2)
    store = SweepStore(default_url(tmp_path), tmp_path.name)
    for p in cfg.points():
        store.finish(p, {**p.to_dict(), "top1": ACC_W[p.weight_bits] - (0.3 if p.state_bits == 6 else 0.0),
                         "top5": 1.0, "lut": 1000 * p.weight_bits + 100 * p.state_bits,
                         "latency_us": float(p.state_bits), "saturations": 0})
    return cfg


def test_search_reads_stored_points_compares_fronts_and_resumes(tmp_path):
    pytest.importorskip("optuna")
    cfg = _stored_grid(tmp_path)
    logs: list[str] = []
    s = run_search(cfg, SearchConfig(trials=6, compare_grid=True), log=logs.append, progress=False)
    assert s["trials"] == 6 and s["failed"] == {} and 1 <= s["distinct_points"] <= 6
    assert s["true_front"] == ["w2_s6_t8", "w2_s8_t8", "w3_s8_t8", "w4_s8_t8"]
    trials = json.loads((tmp_path / "search_trials.json").read_text())
    searched = {t["name"] for t in trials if t["state"] == "COMPLETE"}
    assert len(trials) == 6 and len(searched) == s["distinct_points"]
    assert s["found_true_front"] == [n for n in s["true_front"] if n in searched]
    assert s["missed_true_front"] == [n for n in s["true_front"] if n not in searched]
    # the found front is the front of the searched points
    rows = {r["name"]: r for r in json.loads((tmp_path / "results.json").read_text())}
    assert len(rows) == 16
    assert s["front"] == [n for n in s["front"] if not any(
        rows[o]["top1"] >= rows[n]["top1"] and rows[o]["lut"] <= rows[n]["lut"] and
        (rows[o]["top1"] > rows[n]["top1"] or rows[o]["lut"] < rows[n]["lut"]) for o in searched)]
    assert "true-front points" in (tmp_path / "search_front.md").read_text()
    # a later run continues the same study
    s2 = run_search(cfg, SearchConfig(trials=40, compare_grid=True), log=logs.append, progress=False)
    assert "resuming: 6 of 40 trials already complete" in logs
    assert s2["trials"] == 40 and s2["distinct_points"] >= s["distinct_points"]
    assert set(s["found_true_front"]) <= set(s2["found_true_front"])


def test_trials_left_running_by_a_dead_driver_are_failed_and_asked_again(tmp_path):
    optuna = pytest.importorskip("optuna")
    cfg = _stored_grid(tmp_path)
    run_search(cfg, SearchConfig(trials=2), log=lambda _m: None, progress=False)
    study = optuna.load_study(study_name=f"{tmp_path.name}/nsga2-p8-s0/lut", storage=default_url(tmp_path))
    orphan = study.ask()
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    orphan.set_user_attr("owner", f"{socket.gethostname()}:{proc.pid}")
    logs: list[str] = []
    s = run_search(cfg, SearchConfig(trials=3), log=logs.append, progress=False)
    assert s["trials"] == 3
    assert "resuming: 1 trials left running by a killed driver are marked failed and asked again" in logs
    states = [t["state"] for t in json.loads((tmp_path / "search_trials.json").read_text())]
    assert states == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]


def test_latency_objective_is_a_separate_study(tmp_path):
    pytest.importorskip("optuna")
    cfg = _stored_grid(tmp_path)
    s = run_search(cfg, SearchConfig(trials=2, objective=Objective.LATENCY, compare_grid=True),
                   log=lambda _m: None, progress=False)
    assert s["objective"] == "latency_us" and s["study"].endswith("/nsga2-p8-s0/latency_us")
    # latency here depends on state bits only: the true front is the most accurate 6-bit and 8-bit points
    assert s["true_front"] == ["w4_s6_t8", "w8_s6_t8", "w4_s8_t8", "w8_s8_t8"]


def test_search_errors(tmp_path, monkeypatch, capsys):
    with pytest.raises(SNN2FPGAError, match="--trials must be >= 1"):
        SearchConfig(trials=0)
    with pytest.raises(SNN2FPGAError, match="--population must be >= 2"):
        SearchConfig(trials=3, population=1)
    monkeypatch.setitem(sys.modules, "optuna", None)
    argv = ["sweep", "--search", "optuna", "--trials", "2", "-o", str(tmp_path / "s")]
    assert main(argv) == 2
    assert "pip install 'snn2fpga[search]'" in capsys.readouterr().err


@pytest.mark.slow
def test_search_on_the_real_4x4_digits_grid_finds_what_the_readme_states(tmp_path, capsys):
    """The README's statement, from scratch: 16 trials (12 distinct points) find w2_s8_t8 and w4_s8_t8 of the
    true front {w2_s8_t8, w3_s8_t8, w4_s8_t8}."""
    pytest.importorskip("optuna")
    argv = ["sweep", "--search", "optuna", "--trials", "16", "--population", "8", "--sampler-seed", "0",
            "--compare-grid", "--weight-bits", "2", "3", "4", "5", "--state-bits", "8", "10", "12", "16",
            "--timesteps", "8", "--hidden", "16", "--epochs", "1", "--csim-samples", "10", "--workers", "2",
            "--no-progress", "-o", str(tmp_path / "s"), "--json"]
    assert main(argv) == 0
    s = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert s["trials"] == 16 and s["distinct_points"] == 12 and s["failed"] == {}
    assert s["true_front"] == ["w2_s8_t8", "w3_s8_t8", "w4_s8_t8"]
    assert s["found_true_front"] == ["w2_s8_t8", "w4_s8_t8"] and s["missed_true_front"] == ["w3_s8_t8"]


def test_hidden_shapes_are_an_axis_of_the_grid_and_the_search(tmp_path, capsys):
    pytest.importorskip("optuna")
    cfg = SweepConfig("digits", "lif-mlp", tmp_path, [2, 4], [8], [8], hidden_options=[(16,), (32, 16)])
    assert [p.name for p in cfg.points()] == ["w2_s8_t8_h16", "w2_s8_t8_h32x16", "w4_s8_t8_h16", "w4_s8_t8_h32x16"]
    assert [p.hidden for p in cfg.points()] == [(16,), (32, 16), (16,), (32, 16)]
    store = SweepStore(default_url(tmp_path), tmp_path.name)
    for p in cfg.points():  # wider is more accurate and larger
        store.finish(p, {**p.to_dict(), "top1": 0.1 * p.weight_bits + 0.001 * sum(p.hidden),
                         "lut": 100 * p.weight_bits + sum(p.hidden), "latency_us": 1.0})
    s = run_search(cfg, SearchConfig(trials=6, compare_grid=True), log=lambda _m: None, progress=False)
    assert s["true_front"] == [p.name for p in cfg.points()]  # every point trades accuracy for LUT here
    trials = json.loads((tmp_path / "search_trials.json").read_text())
    assert {t["hidden"] for t in trials} <= {"16", "32x16"} and all(t["name"].endswith(
        "_h" + t["hidden"]) for t in trials)
    assert main(["sweep", "--hidden-options", "16", "8xa", "-o", str(tmp_path / "bad")]) == 2
    assert "hidden shape '8xa': expected layer widths joined by 'x'" in capsys.readouterr().err
    with pytest.raises(SNN2FPGAError, match=r"hidden shape \(16, 0\)"):
        SweepConfig("digits", "lif-mlp", tmp_path, [2], [8], hidden_options=[(16, 0)]).points()
