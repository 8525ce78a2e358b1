"""Radio training with ``--device cuda`` against the CPU, on one machine (issue 13, item 1).

Each case is `snn2fpga train` (``run_train``, the code behind the CLI) with a fixed configuration:
the DCLL network of the training-speed study, the shipped lif-cnn (``examples/radioml-snn.pt``) and
the shipped lif-mlp (``examples/radioml-snn-mlp.pt``), each with its stored training settings and
fewer epochs. The per-epoch time is the trainer's own (training batches + the hardware-exact test
evaluation after every epoch); the accuracy is the integer path's. CPU cases use one torch thread,
as every CPU figure of bench/RADIOML.md does. Cases run in the order given; once ``--budget``
seconds have passed, the rest are recorded as skipped.

    python3 bench/radioml_gpu.py --out results/gpu.json --keep results/   # on a machine with a GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from snn2fpga.commands import TrainOptions, run_train

REPO = Path(__file__).resolve().parents[1]
DCLL = dict(dataset="radioml-synth", arch="dcll-radioml", channels=(8, 8, 8), grid=16, kernel=7, lr=0.002,
            batch_size=32, weight_bits=8, state_bits=24, frame_length=128, seed=0)


def _shipped(name: str) -> dict[str, Any]:
    """The training settings stored in a shipped example's checkpoint."""
    training = torch.load(REPO / "examples" / name, weights_only=False)["training"]
    keep = set(TrainOptions.__dataclass_fields__) - {"output", "device", "threads", "progress", "epochs"}
    opts = {k: v for k, v in training.items() if k in keep}
    for k in ("hidden", "channels", "snrs"):
        if opts.get(k) is not None:
            opts[k] = tuple(opts[k])
    return opts


CASES: list[tuple[str, str, dict[str, Any], int]] = [  # (name, device, options, epochs)
    ("dcll-small-cpu", "cpu", dict(DCLL, synth_frames=4), 1),
    ("dcll-small-cuda", "cuda", dict(DCLL, synth_frames=4), 2),
    ("dcll-full-cuda", "cuda", dict(DCLL, synth_frames=30), 2),
    ("lif-cnn-shipped-cuda", "cuda", _shipped("radioml-snn.pt"), 2),
    ("lif-mlp-shipped-cuda", "cuda", _shipped("radioml-snn-mlp.pt"), 2),
    ("lif-cnn-shipped-14ep-cuda", "cuda", _shipped("radioml-snn.pt"), 14),
]


def run_case(name: str, device: str, opts: dict[str, Any], epochs: int, work: Path) -> dict[str, Any]:
    out = work / f"{name}.pt"
    t0 = time.perf_counter()
    result = run_train(TrainOptions(output=out, device=device, epochs=epochs, progress=False, threads=1, **opts),
                       log=lambda _m: None)
    wall = time.perf_counter() - t0
    metrics = torch.load(out, weights_only=False)["metrics"]
    epoch_s = [h["seconds"] for h in metrics["history"]]
    return {"device": device, "epochs": epochs, "options": {k: list(v) if isinstance(v, tuple) else v
                                                          for k, v in opts.items()},
            "epoch_seconds": epoch_s, "epoch_seconds_min": min(epoch_s),
            "epoch_seconds_median": statistics.median(epoch_s), "train_seconds": result["train_seconds"],
            "wall_seconds_with_data_and_final_eval": round(wall, 2), "test_accuracy": result["test_accuracy"],
            "accuracy_snr_ge0": _ge0(metrics["accuracy_by_snr"]), "checkpoint": str(out)}


def _ge0(by_snr: dict[str, float]) -> float | None:
    vals = [v for k, v in by_snr.items() if float(k) >= 0]
    return round(sum(vals) / len(vals), 4) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="JSON report")
    ap.add_argument("--keep", type=Path, help="copy the trained checkpoints here")
    ap.add_argument("--budget", type=float, default=300.0, help="seconds after which the remaining cases are skipped")
    ap.add_argument("--only", nargs="*", help="case names to run (default: all)")
    args = ap.parse_args()
    work = Path("/tmp/radioml_gpu")
    work.mkdir(exist_ok=True)
    report: dict[str, Any] = {"torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
                              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                              "cases": {}}
    start = time.perf_counter()
    for name, device, opts, epochs in CASES:
        if args.only and name not in args.only:
            continue
        if time.perf_counter() - start > args.budget:
            report["cases"][name] = {"skipped": f"budget of {args.budget:.0f} s spent"}
            continue
        report["cases"][name] = res = run_case(name, device, opts, epochs, work)
        print(name, json.dumps({k: v for k, v in res.items() if k != "options"}), flush=True)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(res["checkpoint"], args.keep / Path(res["checkpoint"]).name)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
