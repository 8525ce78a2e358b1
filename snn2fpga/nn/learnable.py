"""Learnable neuron parameters that ship as the integers the hardware already takes.

* :class:`LearnableThreshold`: one firing threshold per output channel, real units, kept positive by a
  softplus parametrization (theta = softplus(raw) > 0 for every raw, with a gradient everywhere, unlike
  a clamp that stalls a threshold once it hits the bound). The integer path maps it exactly as a fixed
  threshold: theta_int[c] = round(theta[c] / scale[c]).
* :class:`LearnableBeta`: the per-layer decay of the multiplicative leak, beta = sigmoid(raw) in (0, 1).
  The forward pass uses the fixed-point beta_q / 2^F that the integer path and the hardware apply, with
  a straight-through gradient, so training sees the exact decay that ships.

Both evaluate their exported value in float64 on the CPU from the stored float32 parameter, so the
integer path, the export and a reloaded checkpoint compute the same integers on every device.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from snn2fpga.errors import SNN2FPGAError

_BETA_EPS = 1e-4  # initial betas are kept inside (0, 1) by this much: sigmoid's logit is finite there


def quantize_beta(beta: float, frac_bits: int) -> int:
    """beta_q = round(beta 2^F) (round half up), clamped to 0..2^F - 1: the MULT leak's integer."""
    return min(max(int(math.floor(beta * (1 << frac_bits) + 0.5)), 0), (1 << frac_bits) - 1)


class LearnableThreshold(nn.Module):
    """Per-channel firing thresholds theta[c] = softplus(raw[c]) in real units (those of the currents).

    Args:
        channels: number of output channels C (the neurons of a conv channel share one threshold).
        init: initial threshold of every channel, > 0.
    """

    def __init__(self, channels: int, init: float) -> None:
        super().__init__()
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise SNN2FPGAError(f"a learnable threshold needs the layer's channel count (an integer >= 1), "
                                f"got {channels!r}")
        if not init > 0:
            raise SNN2FPGAError(f"threshold={init} must be positive")
        # softplus^-1(y) = y + log(1 - e^-y), stable for small and large y
        raw = init + math.log(-math.expm1(-init))
        self.raw = nn.Parameter(torch.full((channels,), raw, dtype=torch.float32))

    @property
    def channels(self) -> int:
        return int(self.raw.shape[0])

    def forward(self) -> torch.Tensor:
        """The thresholds [C] for the float/training path (differentiable)."""
        return nn.functional.softplus(self.raw)

    def values(self) -> np.ndarray:
        """The thresholds [C] as float64, the values the integer path and the export map to integers."""
        return nn.functional.softplus(self.raw.detach().cpu().double()).numpy()


class LearnableBeta(nn.Module):
    """The per-layer multiplicative leak beta = sigmoid(raw), used quantized to beta_q / 2^F.

    Args:
        init: initial beta in [0, 1) (kept inside (0, 1) by 1e-4 so that its logit is finite).
        frac_bits: F, fractional bits of the fixed-point beta_q.
    """

    def __init__(self, init: float, frac_bits: int) -> None:
        super().__init__()
        b = min(max(float(init), _BETA_EPS), 1.0 - _BETA_EPS)
        self.frac_bits = frac_bits
        self.raw = nn.Parameter(torch.tensor(math.log(b / (1.0 - b)), dtype=torch.float32))

    def beta_q(self) -> int:
        """The F-bit fixed-point beta the integer path and the hardware use (a Python int)."""
        return quantize_beta(float(torch.sigmoid(self.raw.detach().cpu().double())), self.frac_bits)

    def forward(self) -> torch.Tensor:
        """beta_q / 2^F exactly in the forward pass, the gradient of sigmoid(raw) in the backward pass."""
        beta = torch.sigmoid(self.raw)
        exact = torch.tensor(self.beta_q() / (1 << self.frac_bits), dtype=beta.dtype, device=beta.device)
        return exact + (beta - beta.detach())  # the bracket is exactly 0: the value stays beta_q / 2^F
