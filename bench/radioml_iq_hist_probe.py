"""How much can the I/Q plane tell at all? A float CNN on each frame's whole-frame I/Q-plane histogram.

The SNNs here see a frame as one spike per timestep on a G x G plane of quantised (I, Q) values,
the same codes the hardware encoder bins. A spiking network that integrates without forgetting
would, at best, see the frame's histogram over the plane; this float CNN is trained on exactly that
histogram (no timing at all), as a rough ceiling for what the plane alone carries. Same split as
`bench/radioml_accuracy.py` (30 frames per class and SNR, -20..18 dB, 128 samples, seed 0).

    .venv/bin/python bench/radioml_iq_hist_probe.py --grid 8 16 32
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from torch import nn

from snn2fpga.data import load_any_dataset
from snn2fpga.data.radioml import iq_normalize
from snn2fpga.semantics.iq import iq_bins, quantize_iq

SELECTION = {"seed": 0, "n_per_class_snr": 30, "length": 128, "snrs": list(range(-20, 20, 2))}


def histograms(x: np.ndarray, grid: int) -> torch.Tensor:
    """[N, 1, G, G] share of the frame's samples in each bin (x16, so the inputs are O(1))."""
    b = iq_bins(quantize_iq(iq_normalize(x, "peak")), grid)
    idx = b[..., 0] * grid + b[..., 1]
    h = np.zeros((len(x), grid * grid), np.float32)
    for n in range(len(x)):
        np.add.at(h[n], idx[n], 1.0)
    return torch.from_numpy(h.reshape(len(x), 1, grid, grid) * (16.0 / x.shape[1]))


def probe(grid: int, epochs: int, seed: int) -> dict[str, float]:
    torch.manual_seed(seed)
    d = load_any_dataset("radioml-synth", None, SELECTION)
    xtr, xte = histograms(d.x_train, grid), histograms(d.x_test, grid)
    ytr, yte = torch.from_numpy(d.y_train), torch.from_numpy(d.y_test)
    model = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5, padding=2),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * (grid // 4) ** 2, len(d.classes)))
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            j = perm[i : i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[j]), ytr[j]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        ok = (model(xte).argmax(1) == yte).numpy()
    return {"grid": grid, "accuracy": float(ok.mean()), "accuracy_snr_ge0": float(ok[d.snr_test >= 0].mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for g in args.grid:
        print(json.dumps(probe(g, args.epochs, args.seed)), flush=True)


if __name__ == "__main__":
    main()
