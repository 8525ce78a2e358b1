"""A small Norse network (LIFBoxCell: LIF without synaptic current) on digits, and Norse's simulation."""

from __future__ import annotations

import norse.torch as norse
import numpy as np
import torch


def make_net(hidden: int = 64) -> torch.nn.Module:
    """Linear(64, hidden) -> LIFBoxCell -> Linear(hidden, 10) -> LIFBoxCell, Norse's defaults (dt 1 ms,
    tau_mem 10 ms, threshold 1, reset to 0), no biases."""
    torch.manual_seed(0)
    return norse.SequentialState(torch.nn.Linear(64, hidden, bias=False), norse.LIFBoxCell(),
                                 torch.nn.Linear(hidden, 10, bias=False), norse.LIFBoxCell())


def simulate(net: torch.nn.Module, spikes: torch.Tensor) -> torch.Tensor:
    """Norse's simulation: output spikes [T, B, 10] for input spikes [T, B, N]."""
    state, out = None, []
    for t in range(spikes.shape[0]):
        spk, state = net(spikes[t], state)
        out.append(spk)
    return torch.stack(out)


def train(net: torch.nn.Module, spikes: torch.Tensor, y: np.ndarray, epochs: int = 4,
          seed: int = 0) -> torch.nn.Module:
    """Cross-entropy on output spike counts, Adam, batch 64."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    labels = torch.from_numpy(y).long()
    opt = torch.optim.Adam(net.parameters(), lr=2e-2)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(y), 64):
            idx = torch.from_numpy(order[i : i + 64])
            loss = torch.nn.functional.cross_entropy(simulate(net, spikes[:, idx]).sum(0), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()
