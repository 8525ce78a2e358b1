"""A quantized LIF MLP on the one-hot I/Q plane, trained and evaluated hardware-exactly (issue 13 item 3).

`bench/radioml_encodings.py` found a float spiking MLP on the flattened I/Q plane (64 inputs) at 54.8-58.2 %
mean accuracy at SNR >= 0 dB, above the shipped lif-cnn's 50.0 % (integer). This script checks whether that
holds quantized: the same split as the shipped example, lif-mlp G*G -> hidden LIF layers -> LI readout, QAT
with the shipped example's weight and state widths, BPTT, and the test accuracy from the PyTorch integer
path (the hardware's integers; `tests/nn` holds it equal to QONNX and the C-simulation for lif-mlp).

The same network trains from the CLI (`snn2fpga train --dataset radioml-synth --arch lif-mlp --hidden 128 128
--grid 8 ...`), exports and builds (the I/Q frame encoder feeds the first dense layer, HLS and RTL); this
script only trains and evaluates, to compare settings quickly.

    nice -n 15 .venv/bin/python bench/radioml_plane_mlp.py --epochs 14 --leak-shift 5 \\
        --out bench/results/radioml/plane_mlp.json
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, nargs="+", default=[128, 128], help="LIF layer widths (default 128 128)")
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--leak-shift", type=int, default=5, help="k of the LIF shift leak (default 5, as shipped)")
    ap.add_argument("--grid", type=int, default=8, help="I/Q plane bins per axis (default 8, as shipped)")
    ap.add_argument("--weight-bits", type=int, default=8)
    ap.add_argument("--state-bits", type=int, default=24)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/results/radioml/plane_mlp.json"))
    args = ap.parse_args()

    import torch

    from snn2fpga.commands import accuracy_by_snr
    from snn2fpga.data import load_any_dataset
    from snn2fpga.data.radioml import mean_accuracy_snr_ge0
    from snn2fpga.malloc_tuning import keep_freed_memory
    from snn2fpga.nn import EncoderConfig, SNNClassifier, lif_mlp_spec
    from snn2fpga.semantics import EncoderKind
    from snn2fpga.train import TrainConfig, calibrate_state, evaluate, train_bptt

    torch.set_num_threads(1)
    keep_freed_memory()
    stated = json.loads(Path("examples/radioml-snn.json").read_text())
    data = load_any_dataset("radioml-synth", None, stated["selection"])
    steps = int(data.x_train.shape[1])
    enc = EncoderConfig(EncoderKind.IQ_PLANE, steps, 0, grid=args.grid)
    spec = lif_mlp_spec(num_inputs=args.grid * args.grid, hidden=args.hidden, classes=data.classes,
                        input_shape=data.input_shape, weight_bits=args.weight_bits, state_bits=args.state_bits,
                        leak_shift=args.leak_shift, encoder=enc)
    torch.manual_seed(args.seed)
    model = SNNClassifier(spec)
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    history = train_bptt(model, data, TrainConfig(args.epochs, args.batch_size, args.lr, args.seed, progress=False))
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    acc = evaluate(model, data.x_test, data.y_test, batch_size=100)
    by_snr = accuracy_by_snr(model, data)
    calib = calibrate_state(model, data.x_test, 0.1)
    ge0 = mean_accuracy_snr_ge0(by_snr)
    n_ge0 = int(np.sum(np.asarray(data.snr_test) >= 0))
    result = {
        "model": f"lif-mlp {args.grid * args.grid}-{'-'.join(map(str, args.hidden))}-{len(data.classes)} on the "
                 f"one-hot I/Q plane (G={args.grid}), leak k={args.leak_shift}, {args.weight_bits}-bit weights, "
                 f"{args.state_bits}-bit state, QAT, BPTT",
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "selection": stated["selection"],
        "test_frames": int(len(data.y_test)),
        "test_frames_snr_ge0": n_ge0,
        "accuracy": acc,
        "accuracy_snr_ge0": ge0,
        "accuracy_by_snr": by_snr,
        "shipped_lif_cnn": {"accuracy": stated["accuracy"], "accuracy_snr_ge0": stated["accuracy_snr_ge0"]},
        "cnn_accuracy_snr_ge0": stated["cnn_accuracy_snr_ge0"],
        "state": [c.to_dict() for c in calib],
        "history": [h.__dict__ for h in history],
        "train_wall_s": round(wall, 1),
        "train_cpu_s": round((cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime), 1),
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"hardware-exact accuracy {acc:.4f}, mean at SNR >= 0 dB {ge0:.4f} "
          f"(shipped lif-cnn {stated['accuracy_snr_ge0']:.4f}, float CNN {stated['cnn_accuracy_snr_ge0']:.4f}); "
          f"training {wall:.0f} s wall")


if __name__ == "__main__":
    main()
