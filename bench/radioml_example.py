"""Ship a trained radio SNN as `examples/radioml-snn.{pt,onnx,json}` (or `--name`) with its plots.

Exports the checkpoint to QONNX (verified on the whole test split), states its hardware-exact
accuracy (overall, per SNR, mean over SNR >= 0 dB) beside the float 1-D CNN trained by
`bench/radioml_accuracy.py` on the same split (the script refuses a different split), and draws
the accuracy-vs-SNR and confusion-matrix PNGs:

    .venv/bin/python bench/radioml_example.py --checkpoint runs/radio.pt \
        --cnn bench/results/radioml/accuracy_by_snr.json --out-dir bench/results/radioml_snn
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from snn2fpga.checkpoint import load_checkpoint  # noqa: E402
from snn2fpga.data import load_any_dataset  # noqa: E402
from snn2fpga.data.radioml import mean_accuracy_snr_ge0  # noqa: E402
from snn2fpga.export.checkpoint_export import export_checkpoint  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAME = "radioml-snn"


def plots(by_snr: dict[str, float], cnn_by_snr: dict[str, float], conf: np.ndarray, classes: list[str],
          out: Path) -> None:
    snrs = sorted(int(s) for s in by_snr)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(snrs, [by_snr[str(s)] for s in snrs], marker="o", label="SNN (integer, hardware-exact)")
    ax.plot(snrs, [cnn_by_snr[str(s)] for s in snrs], marker="s", label="float 1-D CNN (same split)")
    ax.axhline(1 / len(classes), color="grey", linestyle=":", label="chance")
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "accuracy_by_snr.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6.0, 5.2))
    norm = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=60, fontsize=7)
    ax.set_yticks(range(len(classes)), classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("SNN confusion matrix, SNR >= 0 dB (row-normalised)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "confusion_snr_ge0.png", dpi=120)
    plt.close(fig)


def run() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--cnn", type=Path, default=Path("bench/results/radioml/accuracy_by_snr.json"))
    ap.add_argument("--out-dir", type=Path, default=Path("bench/results/radioml_snn"))
    ap.add_argument("--name", default=NAME, help=f"examples/NAME.{{pt,onnx,json}} (default {NAME})")
    args = ap.parse_args()
    model, meta = load_checkpoint(args.checkpoint)
    selection = model.spec.extra.get("dataset_selection", {})
    cnn_run = json.loads(args.cnn.read_text())
    if cnn_run["dataset"]["selection"] != selection:
        raise SystemExit(f"the CNN was trained on {cnn_run['dataset']['selection']}, the SNN on {selection}")
    data = load_any_dataset(meta["training"]["dataset"], None, selection)
    pred = np.concatenate([model.predict(data.x_test[i : i + 100]) for i in range(0, len(data.x_test), 100)])
    m = meta["metrics"]
    if float(np.mean(pred == data.y_test)) != m["test_accuracy"]:
        raise SystemExit("the checkpoint's stated accuracy does not reproduce")
    EXAMPLES.mkdir(exist_ok=True)
    pt = EXAMPLES / f"{args.name}.pt"
    if args.checkpoint.resolve() != pt.resolve():
        shutil.copyfile(args.checkpoint, pt)
    export = export_checkpoint(pt, EXAMPLES / f"{args.name}.onnx", None, None, False, log=print)
    if export["mismatches"]:
        raise SystemExit(f"export verification found {export['mismatches']} mismatches")
    ge0 = data.snr_test >= 0
    conf = np.zeros((len(data.classes),) * 2, dtype=np.int64)
    np.add.at(conf, (data.y_test[ge0], pred[ge0]), 1)
    syn = next(layer for layer in model.spec.layers if layer["type"] in ("conv", "linear", "dcll"))
    neuron = next(layer for layer in model.spec.layers if "state_bits" in layer)
    stated: dict[str, Any] = {
        "dataset": meta["training"]["dataset"], "selection": selection, "classes": data.classes,
        "test_frames": int(len(data.y_test)), "arch": model.spec.arch,
        "accuracy": m["test_accuracy"], "accuracy_by_snr": m["accuracy_by_snr"],
        "accuracy_snr_ge0": mean_accuracy_snr_ge0(m["accuracy_by_snr"]),
        "cnn_accuracy": cnn_run["cnn"]["test_accuracy"], "cnn_accuracy_by_snr": cnn_run["cnn"]["accuracy_by_snr"],
        "cnn_accuracy_snr_ge0": mean_accuracy_snr_ge0(cnn_run["cnn"]["accuracy_by_snr"]),
        "cnn": {"arch": cnn_run["cnn"]["arch"], "source": str(args.cnn)},
        "weight_bits": (syn.get("synapse") or syn)["weight_bits"], "state_bits": neuron["state_bits"],
        "training": {k: meta["training"].get(k) for k in ("arch", "hidden", "channels", "kernel", "grid", "leak_shift",
                                                           "epochs", "lr", "batch_size", "seed")},
    }
    (EXAMPLES / f"{args.name}.json").write_text(json.dumps(stated, indent=1) + "\n")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    plots(m["accuracy_by_snr"], cnn_run["cnn"]["accuracy_by_snr"], conf, data.classes, args.out_dir)
    print(json.dumps({k: stated[k] for k in ("accuracy", "accuracy_snr_ge0", "cnn_accuracy_snr_ge0")}))


if __name__ == "__main__":
    run()
