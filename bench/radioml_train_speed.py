"""DCLL training speed on radioml-synth: two versions of snn2fpga, interleaved, on the same CPU and data.

Each run is a fresh subprocess that imports snn2fpga from one source tree (``--before``: a git
revision, extracted with ``git archive``; ``--after``: this working tree unless another revision is
given), builds the `snn2fpga train --arch dcll-radioml` model of the given size with the same seed,
and trains it with local learning (the code behind `snn2fpga train`) for ``--epochs`` epochs, timing
each epoch (training batches + the hardware-exact test evaluation the trainer runs after every
epoch) and, once more at the end, the evaluation alone. The runs alternate before/after ``--repeats``
times, so a change of machine load hits both; the report gives min and median per version.

    nice -n 10 .venv/bin/python bench/radioml_train_speed.py --before 4001fdd --synth-frames 4 \\
        --repeats 3 --out bench/results/radioml/train_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cpu_seconds() -> float:
    """User + system CPU time of this process (one torch thread: the time the work took on its core,
    less sensitive than wall time to other processes sharing the cores)."""
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def worker(args: argparse.Namespace) -> None:
    """Train once in this process (snn2fpga comes from PYTHONPATH) and print one JSON line."""
    import numpy as np
    import torch

    from snn2fpga.commands import TrainOptions, _spec_for
    from snn2fpga.data.radioml import load_radio_dataset
    from snn2fpga.nn import SNNClassifier
    from snn2fpga.train.bptt import TrainConfig, evaluate, train_loop
    from snn2fpga.train.local import BURN_IN_FRACTION, local_losses

    torch.set_num_threads(args.threads)
    try:  # what `snn2fpga train` does in the versions that have it (the baseline has not)
        from snn2fpga.malloc_tuning import keep_freed_memory
    except ImportError:
        kernels = "torch (this version has no malloc tuning)"
    else:
        keep_freed_memory()
        kernels = "torch"
    try:
        from snn2fpga.nn import dcll_native
    except ImportError:
        pass
    else:
        kernels = dcll_native.status()
    data = load_radio_dataset("radioml-synth", n_per_class_snr=args.synth_frames, length=args.frame_length,
                              snrs=list(range(-20, 20, 2)), seed=args.seed)
    opt = TrainOptions(dataset="radioml-synth", output=Path("unused.pt"), arch="dcll-radioml",
                       channels=tuple(args.channels), grid=args.grid, kernel=args.kernel, weight_bits=8,
                       state_bits=24, seed=args.seed)
    torch.manual_seed(args.seed)
    model = SNNClassifier(_spec_for(opt, data))
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, progress=False)
    batch_loss: list[float] = []  # every batch's loss: the sharpest check that both versions compute the same
    burn_in = int(model.encoder.timesteps * BURN_IN_FRACTION)

    def loss(m, x, y, _seed):  # what train_local passes to train_loop, recording the loss
        out = local_losses(m, x, y, burn_in)
        batch_loss.append(float(out[0].detach()))
        return out

    t0, c0 = time.perf_counter(), _cpu_seconds()
    history = train_loop(model, data, cfg, loss, lambda _m: None, eval_batch_size=100)
    train_s, train_cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    t1, c1 = time.perf_counter(), _cpu_seconds()
    acc = evaluate(model, data.x_test, data.y_test, 100)
    eval_s, eval_cpu = time.perf_counter() - t1, _cpu_seconds() - c1
    import snn2fpga

    print(json.dumps({
        "snn2fpga": str(Path(snn2fpga.__file__).parent), "kernels": kernels, "train_frames": int(len(data.x_train)),
        "test_frames": int(len(data.x_test)),
        "epoch_seconds": [h.seconds for h in history], "loss": [h.loss for h in history],
        "train_accuracy": [h.train_accuracy for h in history], "test_accuracy": [h.test_accuracy for h in history],
        "total_seconds": train_s, "eval_seconds": eval_s, "final_test_accuracy": acc,
        "total_cpu_seconds": train_cpu, "eval_cpu_seconds": eval_cpu, "batch_loss": batch_loss,
        "weights_sum": float(sum(float(np.abs(p.detach().numpy()).sum()) for p in model.parameters())),
    }))


def _loss_agreement(before: list[float], after: list[float]) -> dict:
    """How far the two versions' per-batch losses agree (same seed, data, batch order)."""
    rel = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(after, before, strict=True)]
    first_off = next((i for i, r in enumerate(rel) if r > 1e-3), None)
    return {"batches": len(rel), "max_rel_diff_first_10": max(rel[:10]), "max_rel_diff": max(rel),
            "first_batch_off_by_more_than_0.1%": first_off}


def extract(rev: str, into: Path) -> Path:
    """The tree of git revision ``rev`` under ``into``."""
    blob = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_one(tree: Path, args: argparse.Namespace, threads: int) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{tree / 'board'}")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--synth-frames", str(args.synth_frames),
           "--epochs", str(args.epochs), "--frame-length", str(args.frame_length), "--grid", str(args.grid),
           "--kernel", str(args.kernel), "--batch-size", str(args.batch_size), "--lr", str(args.lr),
           "--seed", str(args.seed), "--threads", str(threads), "--channels", *map(str, args.channels)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=tree).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default="4001fdd", help="git revision of the baseline (default: 4001fdd)")
    p.add_argument("--after", help="git revision to compare (default: this working tree)")
    p.add_argument("--synth-frames", type=int, default=4, help="frames per class and SNR (default: 4)")
    p.add_argument("--frame-length", type=int, default=128)
    p.add_argument("--channels", type=int, nargs="+", default=[8, 8, 8])
    p.add_argument("--grid", type=int, default=16)
    p.add_argument("--kernel", type=int, default=7)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default: 1, as `snn2fpga train`)")
    p.add_argument("--before-threads", type=int,
                   help="torch threads of the baseline alone (default: --threads), e.g. 2 to run each version at "
                        "its fastest")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": extract(args.before, Path(tmp) / "before"),
                 "after": extract(args.after, Path(tmp) / "after") if args.after else REPO}
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for i in range(args.repeats):
            for name, tree in trees.items():
                threads = args.before_threads if name == "before" and args.before_threads else args.threads
                res = run_one(tree, args, threads)
                runs[name].append(res)
                print(f"repeat {i + 1} {name} [{res['kernels']}]: epochs "
                      f"{[round(s, 1) for s in res['epoch_seconds']]} s (CPU "
                      f"{res['total_cpu_seconds']:.1f} s in all), eval {res['eval_seconds']:.1f} s, test acc "
                      f"{res['test_accuracy']}", flush=True)
    summary = {}
    for name, rs in runs.items():
        per_epoch = [s for r in rs for s in r["epoch_seconds"]]
        evals = [r["eval_seconds"] for r in rs]
        cpu = [r["total_cpu_seconds"] / len(r["epoch_seconds"]) for r in rs]
        summary[name] = {"epoch_s_min": min(per_epoch), "epoch_s_median": statistics.median(per_epoch),
                         "eval_s_min": min(evals), "eval_s_median": statistics.median(evals),
                         "epoch_cpu_s_min": min(cpu), "epoch_cpu_s_median": statistics.median(cpu),
                         "epochs_per_s_max": 1 / min(per_epoch),
                         "epochs_per_s_median": 1 / statistics.median(per_epoch)}
    speedup = {k: summary["before"][k] / summary["after"][k]
               for k in ("epoch_s_min", "epoch_s_median", "epoch_cpu_s_min", "epoch_cpu_s_median", "eval_s_min")}
    agreement = _loss_agreement(runs["before"][0]["batch_loss"], runs["after"][0]["batch_loss"])
    print(json.dumps({"summary": summary, "speedup": speedup, "batch_loss_agreement": agreement}, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"args": {k: v for k, v in vars(args).items() if k != "out"} | {
            "out": str(args.out)}, "runs": runs, "summary": summary, "speedup": speedup,
            "batch_loss_agreement": agreement,
            "cpu": os.cpu_count(), "load_avg_end": os.getloadavg()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
