"""Surrogate gradient for the spike nonlinearity (forward: Heaviside at >= 0)."""

from __future__ import annotations

import torch


class _FastSigmoidSpike(torch.autograd.Function):
    """Forward H(x) = [x >= 0]; backward 1 / (1 + slope |x|)^2 (SuperSpike fast sigmoid)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, slope: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.slope = slope  # type: ignore[attr-defined]
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors  # type: ignore[attr-defined]
        slope = ctx.slope  # type: ignore[attr-defined]
        return grad / (1.0 + slope * x.abs()) ** 2, None


def spike_fn(x: torch.Tensor, slope: float) -> torch.Tensor:
    """Spike where x >= 0, with a fast-sigmoid surrogate gradient of the given slope (1/units of x)."""
    return _FastSigmoidSpike.apply(x, slope)
