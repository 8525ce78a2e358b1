"""The 24-class comparison: the shipped radio SNN's configuration vs the float 1-D CNN on one
`radioml-synth24` split (the 24 RadioML 2018.01A classes, SNR -20..30 dB).

The SNN is trained through `snn2fpga train` (lif-cnn over the I/Q plane, the settings of
`examples/radioml-snn`, or with `--arch lif-mlp` those of `examples/radioml-snn-mlp`), the CNN is
`bench/radioml_accuracy.py`'s baseline; both see the same frames.
Writes ``radioml24.json`` (per-SNR accuracies, mean over SNR >= 0 dB, peaks, times) and prints a table.

    .venv/bin/python bench/radioml24.py --frames-per-group 10 --length 128 --epochs 10 --out bench/results/radioml24
    .venv/bin/python bench/radioml24.py --frames-per-group 10 --length 128 --epochs 10 --arch lif-mlp \
        --out bench/results/radioml24_mlp
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import torch

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.commands import TrainOptions, run_train
from snn2fpga.data import load_any_dataset
from snn2fpga.data.radioml import mean_accuracy_snr_ge0

_spec = importlib.util.spec_from_file_location("radioml_accuracy", Path(__file__).with_name("radioml_accuracy.py"))
assert _spec is not None and _spec.loader is not None
baseline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baseline)


def by_snr(pred: np.ndarray, y: np.ndarray, snr: np.ndarray) -> dict[str, float]:
    return {str(int(s)): float(np.mean(pred[snr == s] == y[snr == s])) for s in np.unique(snr)}


def summary(acc: dict[str, float]) -> dict[str, float | str]:
    peak = max(acc, key=lambda s: acc[s])
    return {"snr_ge0": mean_accuracy_snr_ge0(acc), "peak": acc[peak],
            "peak_snr": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames-per-group", type=int, default=10)
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--cnn-epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--arch", choices=["lif-cnn", "lif-mlp"], default="lif-cnn",
                    help="lif-cnn 16-32 (examples/radioml-snn) or lif-mlp 128-128 (examples/radioml-snn-mlp)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/radioml24"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    opts = TrainOptions(dataset="radioml-synth24", output=args.out / "snn.pt", arch=args.arch, channels=(16, 32),
                        kernel=3, hidden=(128, 128), grid=8, leak_shift=5, frame_length=args.length,
                        synth_frames=args.frames_per_group,
                        epochs=args.epochs, weight_bits=8, state_bits=24, batch_size=32, lr=3e-3, seed=args.seed,
                        progress=False)
    run_train(opts)
    model, meta = load_checkpoint(args.out / "snn.pt")
    selection = model.spec.extra["dataset_selection"]
    data = load_any_dataset("radioml-synth24", None, selection)
    snn_acc = meta["metrics"]["accuracy_by_snr"]
    cnn, cnn_meta = baseline.train_cnn(data, args.cnn_epochs, 1e-3, 64, args.seed, print)
    cnn_pred = baseline.predict_cnn(cnn, baseline.cnn_input(data.x_test))
    cnn_acc = by_snr(cnn_pred, data.y_test, data.snr_test)
    result = {
        "dataset": {"name": "radioml-synth24", "selection": selection, "classes": data.classes,
                    "train_frames": int(len(data.x_train)), "test_frames": int(len(data.x_test))},
        "snn": {"test_accuracy": meta["metrics"]["test_accuracy"], "accuracy_by_snr": snn_acc, **summary(snn_acc),
                "train_seconds": meta["metrics"]["train_seconds"], "training": opts.__dict__ | {"output": "snn.pt"}},
        "cnn": {"test_accuracy": float(np.mean(cnn_pred == data.y_test)), "accuracy_by_snr": cnn_acc,
                **summary(cnn_acc), "train_seconds": cnn_meta["train_seconds"], "epochs": args.cnn_epochs},
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    (args.out / "radioml24.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    print("| SNR (dB) | SNN | CNN |\n|---|---|---|")
    for s in sorted(snn_acc, key=int):
        print(f"| {s} | {snn_acc[s]:.1%} | {cnn_acc[s]:.1%} |")
    for name in ("snn", "cnn"):
        r = result[name]
        print(f"{name}: all {r['test_accuracy']:.1%}, SNR >= 0 {r['snr_ge0']:.1%}, peak {r['peak']:.1%} "
              f"({r['peak_snr']} dB)")


if __name__ == "__main__":
    main()
