"""Surrogate-gradient backpropagation through time for SNNClassifier."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from snn2fpga.data import Dataset
from snn2fpga.nn import SNNClassifier
from snn2fpga.train.augment import Augment, augment_batch


@dataclass
class TrainConfig:
    """Hyper-parameters of BPTT training."""

    epochs: int = 5
    batch_size: int = 64
    lr: float = 5e-3
    seed: int = 0
    progress: bool = True
    augment: Augment = Augment.NONE


@dataclass
class EpochResult:
    """Metrics of one epoch; test accuracy is hardware-exact (integer path)."""

    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float


def evaluate(model: SNNClassifier, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Accuracy of the integer (hardware-exact) path on (x, y)."""
    if len(x) == 0:
        return 0.0
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += int((model.predict(x[i : i + batch_size]) == y[i : i + batch_size]).sum())
    return correct / len(x)


BatchLoss = Callable[[SNNClassifier, np.ndarray, torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]
"""(model, inputs, labels, encoder seed) -> (loss to minimise, class scores [B, C]) of one batch."""


def train_loop(
    model: SNNClassifier,
    data: Dataset,
    cfg: TrainConfig,
    batch_loss: BatchLoss,
    log: Callable[[str], None] = print,
    eval_batch_size: int = 500,
) -> list[EpochResult]:
    """The epoch loop shared by every learning rule: Adam on the trainable parameters with a cosine
    schedule, shuffled batches (augmented per ``cfg.augment``), and a hardware-exact test evaluation
    after every epoch. ``batch_loss`` is the rule."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg.epochs, 1))
    results: list[EpochResult] = []
    n = len(data.x_train)
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = rng.permutation(n)
        total_loss, correct = 0.0, 0
        batches = range(0, n, cfg.batch_size)
        bar = tqdm(batches, desc=f"epoch {epoch}/{cfg.epochs}", disable=None if cfg.progress else True, leave=False)
        for start in bar:
            idx = order[start : start + cfg.batch_size]
            xb = augment_batch(data.x_train[idx], cfg.augment, rng)
            yb = torch.from_numpy(data.y_train[idx]).to(model.device)
            loss, scores = batch_loss(model, xb, yb, int(rng.integers(1, 2**31 - 1)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += float(loss.detach()) * len(idx)
            correct += int((scores.argmax(dim=1) == yb).sum())
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
        sched.step()
        test_acc = evaluate(model, data.x_test, data.y_test, eval_batch_size)
        res = EpochResult(epoch, total_loss / n, correct / n, test_acc, time.perf_counter() - t0)
        results.append(res)
        log(
            f"epoch {epoch}/{cfg.epochs}: loss {res.loss:.4f}  train acc {res.train_accuracy:.4f}  "
            f"test acc (integer, hardware-exact) {res.test_accuracy:.4f}  [{res.seconds:.1f}s]"
        )
    return results


def bptt_loss(model: SNNClassifier, x: np.ndarray, y: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of the readout scores, gradients through all layers and timesteps."""
    scores = model.scores(model(x, seed=seed))
    return nn.functional.cross_entropy(scores, y), scores


def train_bptt(
    model: SNNClassifier,
    data: Dataset,
    cfg: TrainConfig,
    log: Callable[[str], None] = print,
) -> list[EpochResult]:
    """Train with BPTT (cross-entropy on the readout scores), returning per-epoch metrics.

    The encoder draws a fresh pseudo-random pattern per batch during training (augmentation), and
    ``cfg.augment`` may shift/flip the training images; the evaluation uses the unchanged test data
    and the model's fixed encoder seed, as the hardware does.
    """
    return train_loop(model, data, cfg, bptt_loss, log)
