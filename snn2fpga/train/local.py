"""DECOLLE-style local learning of DCLL networks.

Every DCLL layer learns from its own loss: the cross-entropy of its fixed random local readout
(training only) at every timestep after a burn-in. Each layer's input is detached and its traces
carry no gradient, so no gradient crosses layers or timesteps. The layers after the last DCLL layer
(flatten + the exported readout) learn from the network's loss on their detached input.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from snn2fpga.data import Dataset
from snn2fpga.nn import SNNClassifier, dcll_native
from snn2fpga.nn.dcll import DCLL
from snn2fpga.train.bptt import EpochResult, TrainConfig, train_loop

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
            layer.grad_start = burn_in  # the timesteps before carry no loss: skip their weight gradient
            layer.local_labels = y  # lets the C kernels compute the local loss and its gradient in one pass
            try:
                h = layer(h)
            finally:
                layer.grad_start, layer.local_labels = 0, None
            scores = layer.local_scores  # the timesteps from the burn-in on
            if layer.local_loss is not None:  # the same mean cross-entropy, from the kernels
                total = total + layer.local_loss
            elif scores.shape[0]:  # mean cross-entropy over the timesteps after the burn-in, in one call
                total = total + loss_fn(scores.reshape(-1, scores.shape[-1]), y.repeat(scores.shape[0]))
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
    burn_in = int(model.encoder.timesteps * BURN_IN_FRACTION)
    if model.device.type == "cpu":
        log(dcll_native.status())

    def loss(m: SNNClassifier, x: np.ndarray, y: torch.Tensor, _seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        return local_losses(m, x, y, burn_in)

    return train_loop(model, data, cfg, loss, log, eval_batch_size=100)
