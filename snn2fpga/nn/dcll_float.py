"""Float kernels of DCLL training: the input trace filter, the refractory scan and the local spike.

They compute, with whole-tensor operations and no per-step allocation, exactly the recurrences that
:class:`snn2fpga.nn.dcll.DCLL` trains with (DECOLLE form, real units), up to float rounding::

    P(t) = alpha P(t-1) + Q(t-1),  Q(t) = beta Q(t-1) + S(t)         (P(0) = Q(-1) = 0)
    R(t) = gamma R(t-1) - rho s(t-1),  z(t) = U(t) + R(t) - threshold,  s(t) = z(t) >= 0

The trace filter is linear and time-invariant, P = H S with H lower-triangular Toeplitz, so its
adjoint (the backward pass) is the same recurrence run backwards in time: H^T = J H J (J reverses
time). That lets the weights be applied BEFORE the filter where it is cheaper (one-hot I/Q-plane
input: the current is a row of a dictionary), with gradients flowing through the filter.
"""

from __future__ import annotations

import torch


def trace_filter(x: torch.Tensor, alpha: float, beta: float, reverse: bool = False) -> torch.Tensor:
    """P over time of inputs x [T, ...] (no autograd): P(t) = alpha P(t-1) + Q(t-1), Q(t) = beta Q(t-1) + x(t).

    ``reverse`` runs the same recurrence from the last timestep to the first (the adjoint J H J).
    """
    out = torch.empty_like(x)
    steps = x.shape[0]
    if steps == 0:
        return out
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    q = torch.zeros_like(x[0])
    prev = None
    for t in order:
        if prev is None:
            out[t].zero_()
        else:
            torch.add(q, out[prev], alpha=alpha, out=out[t])  # alpha P(t-1) + Q(t-1)
        q.mul_(beta).add_(x[t])
        prev = t
    return out


class _TraceFilter(torch.autograd.Function):
    """:func:`trace_filter` with its exact adjoint as backward (H^T g = J H J g)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, alpha: float,  # type: ignore[override]
                beta: float) -> torch.Tensor:
        ctx.coeffs = (alpha, beta)  # type: ignore[attr-defined]
        return trace_filter(x, alpha, beta)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor  # type: ignore[override]
                 ) -> tuple[torch.Tensor, None, None]:
        alpha, beta = ctx.coeffs  # type: ignore[attr-defined]
        return trace_filter(grad.contiguous(), alpha, beta, reverse=True), None, None


def trace_filter_grad(x: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    """:func:`trace_filter` that passes gradients to x (the filter is linear)."""
    return _TraceFilter.apply(x, alpha, beta)


def refractory_scan(u_parts: list[torch.Tensor], gamma: float, rho: float, threshold: float
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(z, spikes), each [T, ...], of membranes U given as consecutive time chunks (no autograd).

    z(t) = (U(t) + R(t)) - threshold with R(t) = gamma R(t-1) - rho s(t-1), s(t) = U(t) + R(t) >= threshold,
    as 0/1 floats. The chunks let a caller keep the early timesteps out of the autograd graph.
    """
    steps = sum(p.shape[0] for p in u_parts)
    first = u_parts[0]
    z = torch.empty((steps, *first.shape[1:]), dtype=first.dtype, device=first.device)
    if rho == 0.0:  # no refractory kick: R stays 0 and the scan is vectorised
        at = 0
        for part in u_parts:
            z[at : at + part.shape[0]].copy_(part.detach())
            at += part.shape[0]
    else:
        fired = torch.empty(z.shape, dtype=torch.bool, device=z.device)
        r = torch.zeros_like(first[0])
        t = 0
        for part in u_parts:
            u = part.detach()
            for i in range(u.shape[0]):
                if t:
                    r.mul_(gamma).add_(fired[t - 1], alpha=-rho)
                torch.add(u[i], r, out=z[t])  # U + R; the threshold is subtracted once, below
                torch.ge(z[t], threshold, out=fired[t])
                t += 1
    z.sub_(threshold)  # (U + R) - threshold >= 0 exactly when U + R >= threshold (IEEE subtraction)
    return z, (z >= 0).to(z.dtype)


class _LocalSpikes(torch.autograd.Function):
    """Spikes [T, ...] of membranes given as [early (no gradient), late] chunks; the gradient to the late
    membranes is the fast-sigmoid surrogate 1 / (1 + slope |z|)^2 at z = U + R - threshold (R detached)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, early: torch.Tensor, late: torch.Tensor,  # type: ignore[override]
                gamma: float, rho: float, threshold: float, slope: float) -> torch.Tensor:
        parts = [p for p in (early, late) if p.shape[0]]
        z, spikes = refractory_scan(parts, gamma, rho, threshold)
        ctx.save_for_backward(z[early.shape[0] :])
        ctx.slope = slope  # type: ignore[attr-defined]
        return spikes

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor  # type: ignore[override]
                 ) -> tuple[None, torch.Tensor, None, None, None, None]:
        (z,) = ctx.saved_tensors  # type: ignore[attr-defined]
        d = z.abs().mul_(ctx.slope).add_(1.0)  # type: ignore[attr-defined]
        return None, grad[grad.shape[0] - z.shape[0] :] / d.square_(), None, None, None, None


def local_spikes(early: torch.Tensor, late: torch.Tensor, gamma: float, rho: float, threshold: float,
                 slope: float) -> torch.Tensor:
    """Spikes of all timesteps from the membranes ``early`` (no gradient) then ``late`` (surrogate gradient)."""
    return _LocalSpikes.apply(early.detach(), late, gamma, rho, threshold, slope)


class _FilteredSpikeConv(torch.autograd.Function):
    """U = H (scale * conv(S_in, W_int)) = conv(H S_in, W_q) (filter-after-weights, exact current), with
    the weight gradient of the original order, conv_weight_grad(P_in, dU), from timestep ``start`` on."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, w_q: torch.Tensor,  # type: ignore[override]
                current: torch.Tensor, scale: torch.Tensor, p_late: torch.Tensor,
                geometry: tuple[int, int, float, float]) -> torch.Tensor:
        stride, padding, alpha, beta = geometry
        ctx.save_for_backward(p_late, w_q)
        ctx.geometry = (stride, padding)  # type: ignore[attr-defined]
        return trace_filter(current.mul_(scale), alpha, beta)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor  # type: ignore[override]
                 ) -> tuple[torch.Tensor, None, None, None, None]:
        p_late, w_q = ctx.saved_tensors  # type: ignore[attr-defined]
        stride, padding = ctx.geometry  # type: ignore[attr-defined]
        g = grad[grad.shape[0] - p_late.shape[0] :]
        g = g.reshape(-1, *g.shape[2:]).contiguous()
        x = p_late.reshape(-1, *p_late.shape[2:])
        gw = torch.ops.aten.convolution_backward(g, x, w_q, None, [stride] * 2, [padding] * 2, [1, 1], False,
                                                 [0, 0], 1, [False, True, False])[1]
        return gw, None, None, None, None


def filtered_spike_conv(w_q: torch.Tensor, current: torch.Tensor, scale: torch.Tensor, p_late: torch.Tensor,
                        stride: int, padding: int, alpha: float, beta: float) -> torch.Tensor:
    """Membranes U [T, B, Cout, Ho, Wo] from the exact integer current [T, B, Cout, Ho, Wo] of the input spikes
    (consumed), the weight scale broadcastable to [Cout, 1, 1], and P_in of the timesteps that get a gradient."""
    return _FilteredSpikeConv.apply(w_q, current, scale, p_late, (stride, padding, alpha, beta))
