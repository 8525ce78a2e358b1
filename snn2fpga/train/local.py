"""DECOLLE-style local learning of DCLL networks.

Every DCLL layer learns from its own loss: the cross-entropy of its fixed random local readout
(training only) at every timestep after a burn-in. Each layer's input is detached and its traces
carry no gradient, so no gradient crosses layers or timesteps. The layers after the last DCLL layer
(flatten + the exported readout) learn from the network's loss on their detached input.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from snn2fpga.data import Dataset
from snn2fpga.nn import SNNClassifier
from snn2fpga.nn.dcll import DCLL
from snn2fpga.train.bptt import EpochResult, TrainConfig, evaluate

BURN_IN_FRACTION = 0.25


def local_losses(
    model: SNNClassifier, x: np.ndarray, y: torch.Tensor, burn_in: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of the layers' local losses + the readout loss, readout scores) for one batch."""
    loss_fn = nn.CrossEntropyLoss()
    h = model.encode(x).to(model.device)
    total = torch.zeros((), device=model.device)
    after_dcll = False
    for layer in model.layers:
        if isinstance(layer, DCLL):
            h = layer(h)
            scores = layer.local_scores[burn_in:]
            if scores:  # mean cross-entropy over the timesteps after the burn-in, in one call
                stacked = torch.cat(scores)
                total = total + loss_fn(stacked, y.repeat(len(scores)))
            after_dcll = True
        else:
            if after_dcll:
                h, after_dcll = h.detach(), False
            h = layer(h)
    out_scores = model.scores(h)
    return total + loss_fn(out_scores, y), out_scores


def train_local(model: SNNClassifier, data: Dataset, cfg: TrainConfig,
                log: Callable[[str], None] = print) -> list[EpochResult]:
    """Train a network holding DCLL layers with local learning; returns per-epoch metrics."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg.epochs, 1))
    burn_in = int(model.encoder.timesteps * BURN_IN_FRACTION)
    results: list[EpochResult] = []
    n = len(data.x_train)
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = rng.permutation(n)
        total_loss, correct = 0.0, 0
        bar = tqdm(range(0, n, cfg.batch_size), desc=f"epoch {epoch}/{cfg.epochs}",
                   disable=None if cfg.progress else True, leave=False)
        for start in bar:
            idx = order[start : start + cfg.batch_size]
            yb = torch.from_numpy(data.y_train[idx]).to(model.device)
            loss, scores = local_losses(model, data.x_train[idx], yb, burn_in)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += float(loss.detach()) * len(idx)
            correct += int((scores.argmax(dim=1) == yb).sum())
        sched.step()
        test_acc = evaluate(model, data.x_test, data.y_test, batch_size=100)
        res = EpochResult(epoch, total_loss / n, correct / n, test_acc, time.perf_counter() - t0)
        results.append(res)
        log(f"epoch {epoch}/{cfg.epochs}: loss {res.loss:.4f}  train acc {res.train_accuracy:.4f}  "
            f"test acc (integer, hardware-exact) {res.test_accuracy:.4f}  [{res.seconds:.1f}s]")
    return results
