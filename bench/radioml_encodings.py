"""Which radio input encoding is worth building? One small spiking network, trained on several encodings.

Issue 13 item 3 asks to try encodings other than the one-hot I/Q plane. Building a new encoder in every
stage (semantics, QONNX, HLS, RTL, host) is a lot of work, so this script first measures whether one would
pay off. It trains the SAME network with the same hyper-parameters and seed on each encoding of the same
`radioml-synth` split the shipped example uses (30 frames per class and SNR, -20..18 dB, 128 samples,
seed 0: 5,280 training and 1,320 test frames), one input vector per I/Q sample (T = 128 timesteps):

    inputs [T, B, N] -> dense N-H -> LIF -> dense H-H -> LIF -> dense H-classes -> LI readout (no leak)

The layers are the package's own (`QuantLinear` with float weights, no bias; `LIF` with the shift leak
beta = 1 - 2^-k, subtract reset, threshold 1 and the package's fast-sigmoid surrogate; `LI` readout whose
final membrane is the score, argmax with ties to the lowest index), trained by BPTT on the cross-entropy
of the final membrane, Adam with a cosine schedule. **Training and evaluation are float32**: the accuracies
are those of the float network, not of an integer (hardware-exact) export.

Every encoding starts from the frame's 8-bit I/Q codes, exactly as the shipped encoder does: the frame is
peak-normalised (`snn2fpga.data.radioml.iq_normalize(x, "peak")`) and each component quantised to a signed
8-bit code c = clip(floor(v * 128), -128, 127) (`snn2fpga.semantics.iq.quantize_iq`). Then:

* ``iq-plane`` (the shipped encoder, the baseline here): one spike per step on a G x G plane
  (`snn2fpga.semantics.iq.iq_plane_encode`), flattened to G*G binary inputs.
* ``level-crossing``: send-on-delta spikes per channel and level, see :func:`level_crossing_spikes`
  (2 channels x L levels x 2 directions binary inputs).
* ``iq-current``: the two codes themselves as the first layer's input, 2 inputs per step. In hardware the
  first layer's current is then sum_j W[c, j] * code_j, an 8-bit x weight-bits integer multiply per synapse;
  here the codes are fed as code / 128 (a fixed scale, the same as scaling the weights by 128).
* ``iq-current+level-crossing``: the two above concatenated (2 + 4L inputs).

Each encoding's inputs are multiplied by one fixed gain so that they have unit mean square per input on
the training frames (:func:`input_gain`; ``--input-gain none`` turns it off): with the same weight
initialisation, every encoding's first layer then starts with the same current variance.

    nice -n 15 .venv/bin/python bench/radioml_encodings.py --out bench/results/radioml/encodings.json

Each encoding's result is merged into the JSON file as soon as it is done (the file is rewritten
atomically), under ``studies/<H, k, epochs, gain, seed>/runs/<encoding>``, so encodings and
configurations can be run one at a time (``--encodings``, ``--leak-shift``, ...).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from snn2fpga.data import load_any_dataset
from snn2fpga.data.radioml import RadioData, iq_normalize, mean_accuracy_snr_ge0
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.neurons import LI, LIF
from snn2fpga.nn.synapse import QuantLinear
from snn2fpga.semantics.iq import IQ_CODE_BITS, IQ_CODE_MAX, IQ_CODE_MIN, iq_plane_encode, quantize_iq

SELECTION = {"seed": 0, "n_per_class_snr": 30, "length": 128, "snrs": list(range(-20, 20, 2))}
DEFAULT_DELTAS = (8, 16, 32, 64)  # in 8-bit code units; |c[t] - c[t-1]| has median 26, 90th percentile 77
GAIN_FRAMES = 256  # training frames that set each encoding's input gain
INPUT_GAINS = ("unit-rms", "none")
ENCODINGS = ("iq-plane", "level-crossing", "iq-current", "iq-current+level-crossing")


def level_crossing_spikes(codes: np.ndarray, deltas: Sequence[int]) -> np.ndarray:
    """Send-on-delta spikes of 8-bit I/Q codes, integers only (the rule a hardware encoder would build).

    Args:
        codes: signed 8-bit I/Q codes [N, T, 2] (-128..127), channel 0 = I, 1 = Q.
        deltas: the L thresholds, integers 1..255, in code units.

    Returns:
        uint8 spikes [N, T, 2 * L * 2]; input index (ch * L + l) * 2 + d, d = 0 up, d = 1 down.

    Rule, per frame, channel ch and level l, with an integer reference r (9 bits signed is enough),
    r = 0 at the frame's start (the state is reset per sample, as every neuron state is)::

        for t in 0 .. T-1:
            e    = c[t] - r                      # -255 .. 255
            up   = e >=  delta[l]
            down = e <= -delta[l]
            if up or down: r = c[t]              # the reference jumps to the sample (no catch-up)

    So each (channel, level) emits at most one spike per step, up or down, and a new reference is
    one register load; hardware needs, per channel and level, one subtractor, two comparators with
    constants and a 9-bit register.
    """
    c = np.asarray(codes)
    if c.ndim != 3 or c.shape[-1] != 2:
        raise SNN2FPGAError(f"I/Q codes must be [frames, samples, 2], got shape {list(c.shape)}")
    if c.size and (c.min() < IQ_CODE_MIN or c.max() > IQ_CODE_MAX):
        raise SNN2FPGAError(f"I/Q codes must lie in {IQ_CODE_MIN}..{IQ_CODE_MAX}: quantise with quantize_iq first")
    d = np.asarray(list(deltas), dtype=np.int64)
    span = IQ_CODE_MAX - IQ_CODE_MIN
    if d.ndim != 1 or d.size == 0 or d.min() < 1 or d.max() > span:
        raise SNN2FPGAError(f"level-crossing deltas must be 1..{span} code units (at least one), got {list(deltas)}")
    n, steps, _ = c.shape
    c = c.astype(np.int64)
    ref = np.zeros((n, 2, d.size), dtype=np.int64)
    out = np.zeros((n, steps, 2, d.size, 2), dtype=np.uint8)
    for t in range(steps):
        e = c[:, t, :, None] - ref
        up, down = e >= d, e <= -d
        out[:, t, :, :, 0], out[:, t, :, :, 1] = up, down
        fired = up | down
        ref = np.where(fired, c[:, t, :, None], ref)
    return out.reshape(n, steps, 2 * d.size * 2)


def iq_codes(x: np.ndarray) -> np.ndarray:
    """Frames [N, T, 2] (float) -> the shipped encoder's peak-normalised signed 8-bit codes [N, T, 2]."""
    return quantize_iq(iq_normalize(x, "peak"))


def encoder(kind: str, grid: int, deltas: Sequence[int]) -> tuple[int, Callable[[np.ndarray], torch.Tensor]]:
    """(inputs per step N, codes [B, T, 2] -> float32 inputs [T, B, N]) of one encoding."""
    scale = float(1 << (IQ_CODE_BITS - 1))

    def plane(c: np.ndarray) -> torch.Tensor:
        p = iq_plane_encode(c, grid)  # [T, B, 1, G, G]
        return torch.from_numpy(p.reshape(p.shape[0], p.shape[1], grid * grid).astype(np.float32))

    def level(c: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(level_crossing_spikes(c, deltas).transpose(1, 0, 2).astype(np.float32))

    def current(c: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(c.transpose(1, 0, 2).astype(np.float32) / scale)

    if kind == "iq-plane":
        return grid * grid, plane
    if kind == "level-crossing":
        return 4 * len(deltas), level
    if kind == "iq-current":
        return 2, current
    if kind == "iq-current+level-crossing":
        return 2 + 4 * len(deltas), lambda c: torch.cat([current(c), level(c)], dim=2)
    raise SNN2FPGAError(f"unknown encoding {kind!r}; known: {', '.join(ENCODINGS)}")


class SpikingMLP(nn.Module):
    """dense-LIF-dense-LIF-dense-LI over [T, B, N] inputs; ``forward`` gives the final membrane [B, classes]."""

    def __init__(self, inputs: int, hidden: int, classes: int, leak_shift: int) -> None:
        super().__init__()
        self.fc1, self.lif1 = QuantLinear(inputs, hidden, None), LIF(leak_shift=leak_shift)
        self.fc2, self.lif2 = QuantLinear(hidden, hidden, None), LIF(leak_shift=leak_shift)
        self.fc3, self.readout = QuantLinear(hidden, classes, None), LI()
        self.rates = (0.0, 0.0)  # spikes per neuron and step of the two LIF layers, last forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.lif1(self.fc1(x))
        s2 = self.lif2(self.fc2(s1))
        self.rates = (float(s1.detach().mean()), float(s2.detach().mean()))
        return self.readout(self.fc3(s2))[-1]


def input_gain(enc: Callable[[np.ndarray], torch.Tensor], codes: np.ndarray) -> float:
    """The one scalar g that gives the encoded inputs unit mean square per input: g = sqrt(N / E||x_t||^2).

    With PyTorch's default uniform weights (variance 1 / (3N)) the first layer's current then has the same
    variance at initialisation, 1/3, for every encoding, so no encoding starts with silent or saturated
    neurons because of its input scale alone. A fixed input gain is a weight scale: free in hardware.
    """
    x = enc(codes)
    return float(math.sqrt(x.shape[2] / float(x.pow(2).sum(dim=2).mean())))


def ci95(p: float, n: int) -> float:
    """Half-width of the normal-approximation 95 % interval of an accuracy p measured on n frames."""
    return 1.96 * math.sqrt(max(p * (1 - p), 0.0) / n) if n else float("nan")


def evaluate(model: SpikingMLP, enc: Callable[[np.ndarray], torch.Tensor], codes: np.ndarray, batch: int) -> np.ndarray:
    model.eval()
    pred = []
    with torch.no_grad():
        for i in range(0, len(codes), batch):
            pred.append(model(enc(codes[i : i + batch])).argmax(dim=1).numpy())
    return np.concatenate(pred)


def run_encoding(kind: str, data: RadioData, args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    """Train one encoding's network from the same seed; return its metrics (float32 network)."""
    n_in, enc = encoder(kind, args.grid, args.deltas)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = SpikingMLP(n_in, args.hidden, len(data.classes), args.leak_shift)
    ctr, cte = iq_codes(data.x_train), iq_codes(data.x_test)
    ytr = torch.from_numpy(data.y_train.astype(np.int64))
    raw = enc
    gain = input_gain(raw, ctr[:GAIN_FRAMES]) if args.input_gain == "unit-rms" else 1.0
    enc = (lambda c: raw(c) * gain) if gain != 1.0 else raw
    with torch.no_grad():
        x0 = enc(ctr[: args.batch_size])
        model(x0)
    init = {"input_gain": gain, "input_density": float(x0.ne(0).float().mean()), "lif_rates": list(model.rates)}
    log(f"{kind}: {n_in} inputs/step, at init: input density {init['input_density']:.3f}, "
        f"LIF spike rates {model.rates[0]:.3f} {model.rates[1]:.3f}")
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    history = []
    for epoch in range(1, args.epochs + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        model.train()
        order = rng.permutation(len(ctr))
        total, correct, rates = 0.0, 0, np.zeros(2)
        for start in range(0, len(order), args.batch_size):
            idx = order[start : start + args.batch_size]
            scores = model(enc(ctr[idx]))
            loss = nn.functional.cross_entropy(scores, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((scores.detach().argmax(dim=1) == ytr[idx]).sum())
            rates += np.array(model.rates) * len(idx)
        sched.step()
        h = {"epoch": epoch, "loss": total / len(ctr), "train_accuracy": correct / len(ctr),
             "lif_rates": (rates / len(ctr)).tolist(), "wall_s": time.perf_counter() - w0,
             "cpu_s": time.process_time() - c0}
        history.append(h)
        log(f"{kind} epoch {epoch}/{args.epochs}: loss {h['loss']:.4f} train acc {h['train_accuracy']:.4f} "
            f"rates {h['lif_rates'][0]:.3f} {h['lif_rates'][1]:.3f} [{h['wall_s']:.1f} s wall, {h['cpu_s']:.1f} s cpu]")
    w0 = time.perf_counter()
    pred = evaluate(model, enc, cte, 120)
    ok = pred == data.y_test
    by_snr = {str(int(s)): float(ok[data.snr_test == s].mean()) for s in sorted(set(data.snr_test.tolist()))}
    ge0 = mean_accuracy_snr_ge0(by_snr)
    n_ge0 = int((data.snr_test >= 0).sum())
    peak = max(by_snr, key=lambda s: by_snr[s])
    res = {
        "inputs_per_step": n_in, "parameters": sum(p.numel() for p in model.parameters()), "at_init": init,
        "accuracy": float(ok.mean()), "accuracy_ci95": ci95(float(ok.mean()), len(ok)),
        "accuracy_snr_ge0": ge0, "accuracy_snr_ge0_ci95": ci95(ge0 or 0.0, n_ge0), "test_frames_snr_ge0": n_ge0,
        "peak": {"snr": int(peak), "accuracy": by_snr[peak]}, "accuracy_by_snr": by_snr,
        "train_wall_s_per_epoch": float(np.mean([h["wall_s"] for h in history])),
        "train_cpu_s_per_epoch": float(np.mean([h["cpu_s"] for h in history])),
        "eval_wall_s": time.perf_counter() - w0, "history": history,
    }
    log(f"{kind}: test acc {res['accuracy']:.4f}, SNR >= 0 dB {ge0:.4f}, peak {by_snr[peak]:.4f} at {peak} dB")
    return res


def study_key(config: dict[str, Any]) -> str:
    """The name of one configuration's results in the JSON file (its knobs that studies vary)."""
    return (f"H{config['hidden']}_k{config['leak_shift']}_e{config['epochs']}_{config['input_gain']}"
            f"_seed{config['seed']}")


def write_atomically(path: Path, obj: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encodings", nargs="+", choices=ENCODINGS, default=list(ENCODINGS))
    ap.add_argument("--hidden", type=int, default=128, help="LIF neurons per hidden layer")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--leak-shift", type=int, default=5, help="k of the shift leak, beta = 1 - 2^-k")
    ap.add_argument("--grid", type=int, default=8, help="G of the I/Q plane (G x G inputs)")
    ap.add_argument("--deltas", type=int, nargs="+", default=list(DEFAULT_DELTAS),
                    help="level-crossing thresholds in 8-bit code units")
    ap.add_argument("--input-gain", choices=INPUT_GAINS, default="unit-rms",
                    help="unit-rms: scale each encoding's inputs to unit mean square per input (see input_gain)")
    ap.add_argument("--seed", type=int, default=0,
                    help="training seed (weights, batch order); the split is always the shipped one (seed 0)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/radioml/encodings.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    config = {"dataset": "radioml-synth", "selection": SELECTION, "hidden": args.hidden, "epochs": args.epochs,
              "batch_size": args.batch_size, "lr": args.lr, "leak_shift": args.leak_shift, "grid": args.grid,
              "deltas": args.deltas, "input_gain": args.input_gain, "seed": args.seed,
              "numerics": "float32 training and evaluation",
              "network": f"N-{args.hidden} LIF-{args.hidden} LIF-classes LI (no leak); QuantLinear float, no bias; "
                         f"LIF shift leak k={args.leak_shift}, threshold 1, subtract reset; Adam, cosine lr"}
    key = study_key(config)
    doc: dict[str, Any] = {"studies": {}}
    if args.out.exists():
        doc = json.loads(args.out.read_text())
    study = doc["studies"].setdefault(key, {"config": config, "runs": {}})
    if study["config"] != config:
        raise SystemExit(f"{args.out} holds a study {key} with another configuration: use another --out")
    data = load_any_dataset("radioml-synth", None, SELECTION)
    assert isinstance(data, RadioData)
    print(f"radioml-synth: {len(data.x_train)} train / {len(data.x_test)} test frames, {len(data.classes)} classes;"
          f" study {key}", flush=True)
    study["machine"] = {"platform": platform.platform(), "torch": torch.__version__, "threads": 1,
                        "load_average_at_start": os.getloadavg()[0]}
    for kind in args.encodings:
        study["runs"][kind] = run_encoding(kind, data, args, lambda s: print(s, flush=True))
        write_atomically(args.out, doc)

if __name__ == "__main__":
    main()
