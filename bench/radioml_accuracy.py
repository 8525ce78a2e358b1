"""RadioML accuracy benchmark: the DCLL SNN (hardware-exact integer accuracy) vs a float 1-D CNN, by SNR.

On ONE deterministic radioml-synth split (11 RML2016 classes, 128 I/Q samples per frame, ``--seed``;
stratified 80/20 train/test per (class, SNR) group):

1. trains ``dcll-radioml`` through the real ``snn2fpga train`` path (``snn2fpga.commands.run_train``)
   and reads the hardware-exact integer accuracy per SNR back from the checkpoint it writes;
2. optionally re-runs the integer path of the same trained weights with a narrower DCLL / LI state
   (``--extra-state-bits``). Training is float and never reads ``state_bits``, so these are the weights
   ``--state-bits N`` with the same seed would train, without paying for the training twice (the CLI
   itself may refuse a narrow state earlier, at an epoch's evaluation, when the integer DCLL thresholds
   do not fit it); a width the thresholds do not fit is reported as not representable;
3. trains a small float 1-D CNN on the same split (I/Q sequence [2, T], per-frame peak normalisation
   like the SNN's I/Q-plane encoder);
4. writes accuracy_by_snr.csv / .json / .png under ``--out`` and prints a Markdown table.

It also prints the analytical PYNQ-Z2 estimate of the trained SNN configuration (bench/estimate_radioml.py's
hardware graph with this run's class count).

    nice -n 10 .venv/bin/python bench/radioml_accuracy.py --frames-per-group 30 --snrs=-20:18:2 --epochs 3 \\
        --channels 8,8,8 --grid 16 --kernel 7 --cnn-epochs 15 --out bench/results/radioml
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from snn2fpga.checkpoint import load_checkpoint  # noqa: E402
from snn2fpga.commands import TrainOptions, _selection, run_train  # noqa: E402
from snn2fpga.data import load_any_dataset  # noqa: E402
from snn2fpga.data.radioml import iq_normalize  # noqa: E402
from snn2fpga.errors import SNN2FPGAError  # noqa: E402
from snn2fpga.nn import SNNClassifier  # noqa: E402


def parse_ints(text: str) -> tuple[int, ...]:
    """``a,b,c`` or an inclusive range ``lo:hi[:step]``."""
    if ":" in text:
        parts = [int(p) for p in text.split(":")]
        lo, hi, step = parts[0], parts[1], parts[2] if len(parts) > 2 else 1
        return tuple(range(lo, hi + (1 if step > 0 else -1), step))
    return tuple(int(p) for p in text.split(",") if p)


def stamp(t0: float) -> str:
    return f"[{time.perf_counter() - t0:7.1f}s]"


# ---------------------------------------------------------------------------------------------- SNN
def narrow_state(model: SNNClassifier, state_bits: int) -> SNNClassifier:
    """The same weights with every DCLL / LI / LIF state ``state_bits`` wide (integer path only)."""
    spec = type(model.spec).from_dict(model.spec.to_dict())
    for layer in spec.layers:
        if layer["type"] in ("lif", "if", "li", "dcll"):
            layer["state_bits"] = state_bits
    out = SNNClassifier(spec)
    out.load_state_dict(model.state_dict(), strict=True)
    return out.eval()


def integer_eval(model: SNNClassifier, x: np.ndarray, y: np.ndarray, snr: np.ndarray,
                 batch: int = 100) -> tuple[float, dict[str, float], int]:
    """(accuracy, accuracy by SNR, state saturations) of the integer path in one pass."""
    preds, sats = [], 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            preds.append(model.predict(x[i : i + batch]))
            for layer in model.layers:
                tr = getattr(layer, "last_trace", None)
                if tr is not None:
                    sats += int(np.asarray(tr.saturations).sum())
    pred = np.concatenate(preds)
    by_snr = {str(int(v)): float((pred[snr == v] == y[snr == v]).mean()) for v in np.unique(snr)}
    return float((pred == y).mean()), by_snr, sats


# ---------------------------------------------------------------------------------------------- CNN
class IQCNN(nn.Module):
    """Conventional float baseline: 3 x (Conv1d + ReLU + MaxPool 2) -> dense 128 -> classes."""

    def __init__(self, length: int, classes: int, width: tuple[int, int, int] = (32, 64, 64)) -> None:
        super().__init__()
        c1, c2, c3 = width
        self.features = nn.Sequential(
            nn.Conv1d(2, c1, 7, padding=3), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(c2, c3, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c3 * (length // 8), 128), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(128, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def cnn_input(iq: np.ndarray) -> torch.Tensor:
    """[N, T, 2] I/Q -> per-frame peak-normalised [N, 2, T] float32 (the SNN encoder's ``peak``)."""
    return torch.from_numpy(np.ascontiguousarray(np.transpose(iq_normalize(iq, "peak"), (0, 2, 1))))


def train_cnn(data: Any, epochs: int, lr: float, batch_size: int, seed: int,
              log: Any) -> tuple[IQCNN, dict[str, Any]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    xtr, xte = cnn_input(data.x_train), cnn_input(data.x_test)
    ytr = torch.from_numpy(data.y_train)
    model = IQCNN(xtr.shape[2], len(data.classes))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    loss_fn = nn.CrossEntropyLoss()
    history = []
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        te = time.perf_counter()
        model.train()
        order = rng.permutation(len(xtr))
        total = 0.0
        for s in range(0, len(order), batch_size):
            idx = torch.from_numpy(order[s : s + batch_size])
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        acc = float((predict_cnn(model, xte) == data.y_test).mean())
        history.append({"epoch": epoch, "loss": total / len(xtr), "test_accuracy": acc,
                        "seconds": time.perf_counter() - te})
        log(f"cnn epoch {epoch}/{epochs}: loss {total / len(xtr):.4f}  test acc {acc:.4f}  "
            f"[{time.perf_counter() - te:.1f}s]")
    train_seconds = time.perf_counter() - t0
    return model, {"history": history, "train_seconds": round(train_seconds, 2),
                   "parameters": sum(p.numel() for p in model.parameters())}


def predict_cnn(model: IQCNN, x: torch.Tensor) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i : i + 500]).argmax(1) for i in range(0, len(x), 500)]).numpy()


# ---------------------------------------------------------------------------------------------- estimate
def hw_estimate(channels: tuple[int, ...], grid: int, kernel: int, state_bits: int, timesteps: int,
                classes: int) -> dict[str, Any] | None:
    """AutoFolded PYNQ-Z2 estimate of this configuration (bench/estimate_radioml.py's graph), if it applies."""
    if len(set(channels)) != 1 or len(channels) != 3 or kernel != 7:
        return None  # estimate_radioml.py models 3 equal conv layers of 7x7
    spec = importlib.util.spec_from_file_location("estimate_radioml", REPO / "bench" / "estimate_radioml.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["estimate_radioml"] = mod  # dataclasses look their module up while the file runs
    spec.loader.exec_module(mod)
    mod.N_CLASSES = classes
    from snn2fpga.boards import load_board

    board = load_board("pynq-z2")
    cfg = mod.RadiomlConfig(channels[0], grid, state_bits, timesteps)
    unfolded, folded, fold = mod.estimates(cfg, board, 100.0, 1.0)
    return {"config": cfg.label, "classes": classes, "board": board.name, "clock_mhz": 100.0,
            "fits": bool(folded.fits), "share_pct": {k: round(v, 1) for k, v in folded.share_pct.items()},
            "latency_us": round(folded.latency_us, 1), "frames_per_s": round(folded.fps, 2),
            "unfolded_latency_us": round(unfolded.latency_us, 1), "folding": fold}


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames-per-group", type=int, default=30, help="radioml-synth frames per (class, SNR)")
    ap.add_argument("--snrs", type=parse_ints, default=parse_ints("-20:18:2"),
                    help="SNRs in dB: lo:hi[:step] (inclusive) or a,b,c; write --snrs=-20:18:2")
    ap.add_argument("--length", type=int, default=128, help="I/Q samples per frame (= SNN timesteps)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=3, help="SNN epochs")
    ap.add_argument("--channels", type=parse_ints, default=(8, 8, 8))
    ap.add_argument("--grid", type=int, default=16)
    ap.add_argument("--kernel", type=int, default=7)
    ap.add_argument("--weight-bits", type=int, default=8)
    ap.add_argument("--state-bits", type=int, default=24)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--extra-state-bits", type=int, default=16,
                    help="also report the same weights at this state width (0: skip)")
    ap.add_argument("--cnn-epochs", type=int, default=15)
    ap.add_argument("--cnn-lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is faster on a shared 2-core box)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/radioml"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{stamp(t0)} {msg}", flush=True)

    ckpt = args.out / f"dcll_radioml_c{'-'.join(map(str, args.channels))}_g{args.grid}_k{args.kernel}.pt"
    opt = TrainOptions(
        dataset="radioml-synth", output=ckpt, arch="dcll-radioml", channels=args.channels, kernel=args.kernel,
        grid=args.grid, frame_length=args.length, synth_frames=args.frames_per_group, snrs=args.snrs,
        epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, weight_bits=args.weight_bits,
        state_bits=args.state_bits, seed=args.seed, progress=False,
    )
    selection = _selection(opt)
    data = load_any_dataset("radioml-synth", None, selection)
    log(f"radioml-synth {selection}: {len(data.classes)} classes, train {len(data.x_train)}, "
        f"test {len(data.x_test)} frames of {data.x_train.shape[1]} samples")

    # 1. float CNN baseline (fast) on the same split
    cnn, cnn_info = train_cnn(data, args.cnn_epochs, args.cnn_lr, 64, args.seed, log)
    cnn_pred = predict_cnn(cnn, cnn_input(data.x_test))
    snr = data.snr_test
    cnn_by_snr = {str(int(v)): float((cnn_pred[snr == v] == data.y_test[snr == v]).mean()) for v in np.unique(snr)}
    cnn_acc = float((cnn_pred == data.y_test).mean())
    log(f"cnn: test accuracy {cnn_acc:.4f}, {cnn_info['parameters']} parameters, "
        f"training {cnn_info['train_seconds']}s")

    # 2. DCLL SNN through the CLI's train path
    log(f"snn: the equivalent of snn2fpga train --dataset radioml-synth --arch dcll-radioml --channels "
        f"{' '.join(map(str, args.channels))} --grid {args.grid} --kernel {args.kernel} --frame-length "
        f"{args.length} --synth-frames {args.frames_per_group} --snrs {' '.join(map(str, args.snrs))} "
        f"--epochs {args.epochs} --lr {args.lr} --batch-size {args.batch_size} --weight-bits {args.weight_bits} "
        f"--state-bits {args.state_bits} --seed {args.seed} -o {ckpt}")
    ts = time.perf_counter()
    run_train(opt, log)
    snn_wall = time.perf_counter() - ts
    model, meta = load_checkpoint(ckpt)
    metrics = meta["metrics"]
    if model.spec.extra.get("dataset_selection") != selection:
        raise SystemExit(f"split mismatch: {model.spec.extra.get('dataset_selection')} != {selection}")
    snn_by_snr = metrics["accuracy_by_snr"]
    n_params = sum(int(v.numel()) for v in model.state_dict().values())

    extra: dict[str, Any] | None = None
    narrow_failed: dict[str, Any] | None = None
    if args.extra_state_bits:
        te = time.perf_counter()
        narrow = narrow_state(model, args.extra_state_bits)
        try:
            acc, by_snr, sats = integer_eval(narrow, data.x_test, data.y_test, snr)
        except SNN2FPGAError as exc:  # e.g. the DCLL thresholds do not fit the narrower state
            narrow_failed = {"state_bits": args.extra_state_bits, "error": str(exc)}
            log(f"snn at {args.extra_state_bits}-bit state: not representable: {exc}")
        else:
            extra = {"state_bits": args.extra_state_bits, "test_accuracy": acc, "accuracy_by_snr": by_snr,
                     "saturations": sats, "eval_seconds": round(time.perf_counter() - te, 1)}
            log(f"snn at {args.extra_state_bits}-bit state (same weights): test accuracy {acc:.4f}, "
                f"{sats} saturations")

    est = {s: hw_estimate(args.channels, args.grid, args.kernel, s, args.length, len(data.classes))
           for s in sorted({args.state_bits, args.extra_state_bits} - {0}, reverse=True)}

    # 3. outputs
    snrs = sorted(int(s) for s in snn_by_snr)
    snn_label = f"DCLL SNN (int, {args.weight_bits}b W, {args.state_bits}b state)"
    cols = ["snr_db", "dcll_snn", "cnn_float"] + ([f"dcll_snn_state{extra['state_bits']}"] if extra else [])
    rows = []
    for s in snrs:
        row = [s, snn_by_snr[str(s)], cnn_by_snr[str(s)]]
        if extra:
            row.append(extra["accuracy_by_snr"][str(s)])
        rows.append(row)
    with (args.out / "accuracy_by_snr.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            w.writerow([r[0], *(f"{v:.4f}" for v in r[1:])])
    summary = {
        "dataset": {"name": "radioml-synth", "selection": selection, "classes": data.classes,
                    "train_frames": int(len(data.x_train)), "test_frames": int(len(data.x_test)),
                    "test_frames_per_snr": int(len(data.x_test) // len(snrs))},
        "snn": {"arch": "dcll-radioml", "channels": list(args.channels), "grid": args.grid, "kernel": args.kernel,
                "weight_bits": args.weight_bits, "state_bits": args.state_bits, "timesteps": args.length,
                "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "parameters": n_params,
                "checkpoint": str(ckpt), "test_accuracy": metrics["test_accuracy"],
                "accuracy_by_snr": snn_by_snr, "train_seconds": metrics["train_seconds"],
                "run_train_wall_seconds": round(snn_wall, 1), "history": metrics["history"],
                "calibration": metrics["calibration"]},
        "snn_narrow_state": extra or narrow_failed,
        "cnn": {"arch": "Conv1d(2,32,7)-ReLU-Pool2, Conv1d(32,64,5)-ReLU-Pool2, Conv1d(64,64,3)-ReLU-Pool2, "
                        "Dense(128)-ReLU-Dropout(0.3), Dense(classes); float32",
                "epochs": args.cnn_epochs, "lr": args.cnn_lr, "batch_size": 64, "test_accuracy": cnn_acc,
                "accuracy_by_snr": cnn_by_snr, **cnn_info},
        "hw_estimate": {str(k): v for k, v in est.items()},
        "machine": {"torch": torch.__version__, "threads": args.threads, "python": platform.python_version()},
        "command": " ".join(sys.argv),
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    (args.out / "accuracy_by_snr.json").write_text(json.dumps(summary, indent=1) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(snrs, [100 * r[1] for r in rows], "o-", label=snn_label)
    if extra:
        ax.plot(snrs, [100 * r[3] for r in rows], "x--", label=f"same SNN, {extra['state_bits']}b state")
    ax.plot(snrs, [100 * r[2] for r in rows], "s-", label="float 1-D CNN baseline")
    ax.axhline(100 / len(data.classes), color="grey", ls=":", label=f"chance (1/{len(data.classes)})")
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(f"radioml-synth ({len(data.classes)} classes, {args.length} samples/frame, "
                 f"{summary['dataset']['test_frames_per_snr']} test frames/SNR)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(args.out / "accuracy_by_snr.png", dpi=120)

    head = "| SNR (dB) | DCLL SNN (integer) | float CNN |"
    head += f" SNN, {extra['state_bits']}-bit state |" if extra else ""
    print("\n" + head)
    print("|---|---|---|" + ("---|" if extra else ""))
    for r in rows:
        print(f"| {r[0]} | " + " | ".join(f"{100 * v:.1f} %" for v in r[1:]) + " |")
    tail = f"| **all** | **{100 * metrics['test_accuracy']:.1f} %** | **{100 * cnn_acc:.1f} %** |"
    print(tail + (f" **{100 * extra['test_accuracy']:.1f} %** |" if extra else ""))
    print(f"\nSNN training {metrics['train_seconds']}s (run_train wall {snn_wall:.0f}s); CNN training "
          f"{cnn_info['train_seconds']}s; total {summary['total_seconds']}s")
    for s, e in est.items():
        print(f"estimate S={s}: {json.dumps(e)}")
    if narrow_failed:
        print(f"{narrow_failed['state_bits']}-bit state: not representable ({narrow_failed['error']}); the "
              f"calibration asks for {max(c['required_bits'] for c in metrics['calibration'])} bits")
    log(f"wrote {args.out}/accuracy_by_snr.csv, .json, .png and {ckpt}")


if __name__ == "__main__":
    main()
