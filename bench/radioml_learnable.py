"""Learnable thresholds and leaks on the radio data (issue 13 item 3), at reduced scale.

Trains the shipped radio SNN's configuration (`lif-cnn` 16-32, K = 3, G = 8, shift leak k = 5, 8-bit
weights, 24-bit state, T = 128, batch 32, lr 0.003) through the real ``snn2fpga train`` path
(``commands.run_train``) on one smaller deterministic ``radioml-synth`` split, four times with the
same seed and data: the baseline, ``--learn-threshold``, ``--learn-leak`` and both. It records the
hardware-exact accuracy (overall, mean at SNR >= 0 dB, per SNR) that the training wrote into each
checkpoint, the training time, and the learned values (thresholds per layer, beta_q per layer), with
the 95 % interval that the test-set size alone allows. Variants run one at a time; each can be run on
its own (``--variants``) and is merged into the JSON file, so the study can be spread over several calls:

    nice -n 15 .venv/bin/python bench/radioml_learnable.py --frames-per-group 10 --epochs 5 \\
        --variants baseline threshold leak both --out bench/results/radioml/learnable.json
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from snn2fpga.checkpoint import load_checkpoint  # noqa: E402
from snn2fpga.commands import TrainOptions, _selection, run_train  # noqa: E402
from snn2fpga.data import load_any_dataset  # noqa: E402
from snn2fpga.data.radioml import mean_accuracy_snr_ge0  # noqa: E402
from snn2fpga.nn.neurons import LIF  # noqa: E402

VARIANTS = {"baseline": (False, False), "threshold": (True, False), "leak": (False, True), "both": (True, True)}
SNRS = tuple(range(-20, 20, 2))  # the shipped example's split: -20..18 dB


def half_width_95(p: float, n: int) -> float:
    """Half-width of the normal-approximation 95 % interval of an accuracy p measured on n frames."""
    return 1.96 * math.sqrt(max(p * (1 - p), 0.0) / n) if n else float("nan")


def learned_values(path: Path) -> list[dict[str, Any]]:
    """Per LIF layer: its leak (beta_q / 2^F) and threshold range, as the integer path uses them."""
    model, _ = load_checkpoint(path)
    rows = []
    for i, m in enumerate(model.layers):
        if not isinstance(m, LIF):
            continue
        p, thr = m.params, m.float_thresholds()
        rows.append({"layer": i, "leak": p.leak.value, "leak_shift": p.leak_shift, "beta_q": p.beta_q,
                     "beta_frac_bits": p.beta_frac_bits, "beta": p.beta, "threshold_min": float(thr.min()),
                     "threshold_mean": float(thr.mean()), "threshold_max": float(thr.max())})
    return rows


def leak_cost(onnx_path: Path, beta_q: int = 248, frac_bits: int = 8) -> dict[str, Any]:
    """What a learned leak costs in hardware (estimate level): the shipped example's graph as it is (shift
    leak k = 5) and with every LIF switched to the mult leak that --learn-leak starts from (beta_q = 248,
    F = 8: the same beta 1 - 2^-5), both AutoFolded for the PYNQ-Z2 as `snn2fpga build` does by default."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.custom_op.registry import getCustomOp

    from snn2fpga.boards import load_board
    from snn2fpga.estimate.report import estimate_model
    from snn2fpga.transforms.folding import AutoFolding
    from snn2fpga.transforms.lower import lower_to_hw

    board = load_board("pynq-z2")
    out: dict[str, Any] = {"level": "estimate", "board": "pynq-z2", "model": str(onnx_path.relative_to(REPO))}
    for leak in ("shift", "mult"):
        model = ModelWrapper(str(onnx_path))
        for node in model.graph.node:
            if node.op_type == "LIF" and leak == "mult":
                op = getCustomOp(node)
                op.set_nodeattr("leak", "mult")
                op.set_nodeattr("beta_q", beta_q)
                op.set_nodeattr("beta_frac_bits", frac_bits)
        folded = lower_to_hw(model).transform(AutoFolding(board=board))
        est = estimate_model(folded, board)
        out[leak] = {"lut": est.lut, "ff": est.ff, "bram36": est.bram36, "dsp": est.dsp, "fps": round(est.fps, 1),
                     "fits": est.fits}
    return out


def run_variant(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    learn_threshold, learn_leak = VARIANTS[name]
    ckpt = workdir / f"{name}.pt"
    opt = TrainOptions(
        dataset="radioml-synth", output=ckpt, arch="lif-cnn", channels=(16, 32), kernel=3, grid=8, leak_shift=5,
        frame_length=128, synth_frames=args.frames_per_group, snrs=SNRS, epochs=args.epochs, weight_bits=8,
        state_bits=24, batch_size=32, lr=0.003, seed=args.seed, progress=False,
        learn_threshold=learn_threshold, learn_leak=learn_leak,
    )
    t0 = time.perf_counter()
    run_train(opt, log=lambda line: print(f"[{name}] {line}", flush=True))
    wall = time.perf_counter() - t0
    _, meta = load_checkpoint(ckpt)
    m = meta["metrics"]
    by_snr = m["accuracy_by_snr"]
    snr = load_any_dataset(opt.dataset, None, _selection(opt)).snr_test  # the split the training used
    n_test, n_ge0 = int(len(snr)), int((snr >= 0).sum())
    ge0 = mean_accuracy_snr_ge0(by_snr)
    return {
        "learn_threshold": learn_threshold, "learn_leak": learn_leak,
        "test_accuracy": m["test_accuracy"], "accuracy_snr_ge0": ge0,
        "ci95_half_width": {"all": half_width_95(m["test_accuracy"], n_test),
                            "snr_ge0": half_width_95(ge0 or 0.0, n_ge0)},
        "test_frames": {"all": n_test, "snr_ge0": n_ge0},
        "accuracy_by_snr": by_snr, "per_epoch_test_accuracy": [h["test_accuracy"] for h in m["history"]],
        "train_seconds": m["train_seconds"], "wall_seconds": round(wall, 1), "learned": learned_values(ckpt),
        "command": " ".join(["snn2fpga train --dataset radioml-synth --arch lif-cnn --channels 16 32 --kernel 3",
                             "--grid 8 --leak-shift 5 --frame-length 128",
                             f"--synth-frames {args.frames_per_group} --snrs {' '.join(map(str, SNRS))}",
                             f"--epochs {args.epochs} --weight-bits 8 --state-bits 24 --batch-size 32 --lr 0.003",
                             f"--seed {args.seed}", *(["--learn-threshold"] if learn_threshold else []),
                             *(["--learn-leak"] if learn_leak else [])]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames-per-group", type=int, default=10, help="frames per (class, SNR) (shipped: 30)")
    ap.add_argument("--epochs", type=int, default=5, help="training epochs (shipped: 14)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    ap.add_argument("--leak-cost-only", action="store_true",
                    help="only the hardware estimate of a learned (mult) leak on the shipped example's graph")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "radioml" / "learnable.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    result: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    setup = {"dataset": "radioml-synth", "frames_per_group": args.frames_per_group, "epochs": args.epochs,
             "seed": args.seed, "snrs": list(SNRS)}
    if result.get("setup") not in (None, setup):
        raise SystemExit(f"{args.out} holds a study with another setup ({result['setup']}); use another --out")
    result["setup"] = setup
    result["machine"] = {"python": platform.python_version(), "torch": torch.__version__, "threads": 1,
                         "cpu": platform.processor() or platform.machine()}
    result["leak_cost"] = leak_cost(REPO / "examples" / "radioml-snn.onnx")
    print(f"leak cost (estimate, pynq-z2): {json.dumps(result['leak_cost'])}", flush=True)
    result.setdefault("variants", {})
    if args.leak_cost_only:
        args.variants = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.variants:
            result["variants"][name] = run_variant(name, args, Path(tmp))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=1) + "\n")
            v = result["variants"][name]
            print(f"{name}: all {v['test_accuracy']:.4f}  SNR>=0 {v['accuracy_snr_ge0']:.4f}  "
                  f"({v['train_seconds']:.0f} s)", flush=True)
    print("| variant | all SNRs | SNR >= 0 dB | train s |\n|---|---|---|---|")
    for name, v in result["variants"].items():
        print(f"| {name} | {v['test_accuracy']:.1%} | {v['accuracy_snr_ge0']:.1%} | {v['train_seconds']:.0f} |")


if __name__ == "__main__":
    main()
