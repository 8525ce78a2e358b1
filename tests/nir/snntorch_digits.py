"""A small snnTorch network trained on digits, and snnTorch's own simulation of it.

Both sides see the same input spikes: the digits features quantized and rate-encoded by OUR encoder
(the encoder is part of the imported model, so snnTorch is fed exactly what our first layer gets).
"""

from __future__ import annotations

import numpy as np
import snntorch as snn
import torch
from snntorch import utils as snn_utils

from snn2fpga.semantics import EncoderKind, encode, quantize_input

TIMESTEPS = 16


def spikes_of(x: np.ndarray, timesteps: int = TIMESTEPS, seed: int = 0) -> torch.Tensor:
    """Our rate encoder's spikes [T, B, N] (float 0/1) of features [B, ...] in [0, 1]."""
    q = quantize_input(x.reshape(len(x), -1))
    return torch.from_numpy(encode(q, EncoderKind.RATE, timesteps, seed)).to(torch.float32)


def make_net(hidden: int = 64, beta1: float = 0.875, beta2: float = 0.9, reset: str = "subtract",
             reset_delay: bool = False) -> torch.nn.Sequential:
    """Linear(64, hidden) -> Leaky -> Linear(hidden, 10) -> Leaky (spiking readout), no biases."""
    torch.manual_seed(0)
    kw = {"init_hidden": True, "reset_mechanism": reset, "reset_delay": reset_delay}
    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden, bias=False), snn.Leaky(beta=beta1, **kw),
        torch.nn.Linear(hidden, 10, bias=False), snn.Leaky(beta=beta2, output=True, **kw),
    )


def simulate(net: torch.nn.Sequential, spikes: torch.Tensor) -> torch.Tensor:
    """snnTorch's simulation: output spikes [T, B, 10] for input spikes [T, B, N]."""
    snn_utils.reset(net)
    out = []
    for t in range(spikes.shape[0]):
        spk, _ = net(spikes[t])
        out.append(spk)
    return torch.stack(out)


def predict(net: torch.nn.Sequential, x: np.ndarray, timesteps: int = TIMESTEPS) -> np.ndarray:
    """argmax of the output spike counts (ties to the lowest index, as torch.argmax and our readout)."""
    with torch.no_grad():
        return simulate(net, spikes_of(x, timesteps)).sum(0).argmax(1).numpy()


def train(net: torch.nn.Sequential, x: np.ndarray, y: np.ndarray, epochs: int = 4,
          seed: int = 0) -> torch.nn.Sequential:
    """Cross-entropy on output spike counts, Adam, batch 64 (a few seconds on a CPU for digits)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    spikes = spikes_of(x)
    labels = torch.from_numpy(y).long()
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            idx = torch.from_numpy(order[i : i + 64])
            counts = simulate(net, spikes[:, idx]).sum(0)
            loss = torch.nn.functional.cross_entropy(counts, labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()
