"""`sweep --from CKPT`: the prior work's quantization study, re-quantizing one trained model per point."""

from __future__ import annotations

import json
from pathlib import Path

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.cli import main
from snn2fpga.data import load_any_dataset
from snn2fpga.train import evaluate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-lif-mlp.pt"


def test_sweep_from_checkpoint_requantizes_without_training(tmp_path, capsys):
    out = tmp_path / "q"
    argv = ["sweep", "--from", str(EXAMPLE), "--weight-bits", "8", "4", "--state-bits", "16", "11", "5",
            "--csim-samples", "30", "--workers", "2", "--no-progress", "-o", str(out), "--json"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["points"] == 6 and summary["finished"] == 4
    # a 5-bit state cannot even hold the firing threshold: those points fail with the reason, nothing else does
    assert sorted(summary["failed"]) == ["w4_s5_t16", "w8_s5_t16"]
    assert all("outside 1..15 (the 5-bit state range)" in m for m in summary["failed"].values())
    rows = {(r["weight_bits"], r["state_bits"]): r for r in json.loads((out / "results.json").read_text())}
    assert sorted(rows) == [(4, 11), (4, 16), (8, 11), (8, 16)]
    data = load_any_dataset("digits", None, {})
    for (wb, sb), r in rows.items():
        assert r["train_seconds"] == 0.0 and r["source"] == str(EXAMPLE) and r["timesteps"] == 16
        assert r["export_mismatches"] == 0 and r["csim_samples"] == 30 and r["csim_mismatches"] == 0
        model, meta = load_checkpoint(out / r["name"] / "model.pt")
        assert meta["training"]["requantized_from"] == str(EXAMPLE)
        assert {layer["weight_bits"] for layer in model.spec.layers if layer["type"] == "linear"} == {wb}
        assert {layer["state_bits"] for layer in model.spec.layers if layer["type"] in ("lif", "li")} == {sb}
        assert r["top1"] == evaluate(model, data.x_test, data.y_test)  # the stored model is what was measured
    # an 11-bit state saturates the membranes of a model trained with 16 bits; 16 bits do not
    assert rows[(8, 11)]["saturations"] > 0 and rows[(8, 16)]["saturations"] == 0
    assert 0.9 < summary["float_top1"] <= 1.0
    assert f"{EXAMPLE} unquantized (float weights and state): top-1" in "\n".join(lines)


def test_sweep_from_a_missing_checkpoint_names_it(tmp_path, capsys):
    assert main(["sweep", "--from", str(tmp_path / "none.pt"), "-o", str(tmp_path / "q")]) == 2
    assert "none.pt" in capsys.readouterr().err


def test_sweep_from_refuses_optuna(tmp_path, capsys):
    rc = main(["sweep", "--from", str(EXAMPLE), "--search", "optuna", "-o", str(tmp_path / "q")])
    assert rc == 2 and "use it with the grid search" in capsys.readouterr().err


def test_sweep_from_refuses_a_bad_clip_percentile(tmp_path, capsys):
    rc = main(["sweep", "--from", str(EXAMPLE), "--clip-percentile", "0", "-o", str(tmp_path / "q")])
    assert rc == 2 and "--clip-percentile" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()


def test_sweep_from_a_checkpoint_without_its_dataset_names_the_problem(tmp_path, capsys):
    import torch

    payload = torch.load(EXAMPLE, weights_only=False)
    payload["training"].pop("dataset", None)
    payload["model"].setdefault("extra", {}).pop("dataset", None)
    bare = tmp_path / "bare.pt"
    torch.save(payload, bare)
    rc = main(["sweep", "--from", str(bare), "--weight-bits", "8", "--state-bits", "16", "--workers", "1",
               "--no-progress", "-o", str(tmp_path / "q")])
    assert rc == 2 and "does not name the dataset it was trained on" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()  # refused before the sweep starts
