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


def _empty_steps(like: torch.Tensor, steps: int) -> torch.Tensor:
    """An uninitialised [steps, *like.shape[1:]] tensor in like's per-timestep memory layout (e.g. the
    channels-last maps of the int8 convolution), so that elementwise steps never transpose."""
    inner = like.shape[1:]
    if like.dim() > 1 and like.shape[0] and like.stride(0) == like[0].numel() and like[0].is_contiguous(
            memory_format=torch.channels_last if like.dim() == 5 else torch.contiguous_format):
        return torch.empty_strided((steps, *inner), like.stride(), dtype=like.dtype, device=like.device)
    return torch.empty((steps, *inner), dtype=like.dtype, device=like.device)


def _flat_maps(t: torch.Tensor, readout: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(t [T, B, ...] flattened per sample without a copy, readout [K, N] with its columns in that order):
    channels-last maps [T, B, C, H, W] flatten as [T, B, H*W*C], so the readout's columns are permuted."""
    if t.dim() == 5 and not t.is_contiguous() and t.permute(0, 1, 3, 4, 2).is_contiguous():
        c, h, w = t.shape[2:]
        return (t.permute(0, 1, 3, 4, 2).reshape(t.shape[0], t.shape[1], -1),
                readout.reshape(-1, c, h, w).permute(0, 2, 3, 1).reshape(readout.shape[0], -1))
    return t.reshape(t.shape[0], t.shape[1], -1), readout


def trace_filter(x: torch.Tensor, alpha: float, beta: float, reverse: bool = False, inplace: bool = False,
                 start: int = 0) -> torch.Tensor:
    """P over time of inputs x [T, ...] (no autograd): P(t) = alpha P(t-1) + Q(t-1), Q(t) = beta Q(t-1) + x(t).

    ``reverse`` runs the same recurrence from the last timestep to the first (the adjoint J H J);
    ``inplace`` overwrites x with P (x's memory layout is kept either way); ``start`` > 0 returns only
    P(start:) (the recurrence still runs from t = 0).
    """
    steps = x.shape[0]
    out = x if inplace else _empty_steps(x, steps - start)
    if steps == 0:
        return out
    shift = 0 if inplace else start
    q, q_next = torch.zeros_like(x[0]), torch.empty_like(x[0])  # Q(t-1), Q(t)
    p_prev = torch.zeros_like(x[0])  # P(t-1); P(0) = 0
    scratch = torch.empty_like(x[0]) if shift else p_prev
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        torch.add(x[t], q, alpha=beta, out=q_next)  # reads x(t) before an in-place P(t) overwrites it
        dst = out[t - shift] if t >= shift else scratch
        torch.add(q, p_prev, alpha=alpha, out=dst)
        p_prev = dst
        q, q_next = q_next, q
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


def refractory_scan(u_parts: list[torch.Tensor], gamma: float, rho: float, threshold: float, keep_from: int = 0
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(z [T - keep_from, ...], spikes [T, ...]) of membranes U given as consecutive time chunks (no autograd).

    z(t) = (U(t) + R(t)) - threshold for t >= keep_from, with R(t) = gamma R(t-1) - rho s(t-1) and the
    spikes s(t) = U(t) + R(t) >= threshold as 0/1 floats. The chunks let a caller keep the early timesteps
    out of the autograd graph; only the timesteps that get a gradient need z.
    """
    steps = sum(p.shape[0] for p in u_parts)
    first = u_parts[0]
    z = _empty_steps(first, steps - keep_from)
    spikes = _empty_steps(first, steps)  # written as 0/1 by torch.ge
    r = torch.zeros_like(first[0])
    scratch = torch.empty_like(first[0])
    t = 0
    for part in u_parts:
        u = part.detach()
        if rho == 0.0:  # no refractory kick: R stays 0 and the scan is vectorised
            n = u.shape[0]
            torch.ge(u, threshold, out=spikes[t : t + n])
            lo = max(keep_from - t, 0)
            if lo < n:
                torch.sub(u[lo:], threshold, out=z[t + lo - keep_from : t + n - keep_from])
            t += n
            continue
        for i in range(u.shape[0]):
            if t:
                r.mul_(gamma).sub_(spikes[t - 1], alpha=rho)
            zt = z[t - keep_from] if t >= keep_from else scratch
            torch.add(u[i], r, out=zt)
            torch.ge(zt, threshold, out=spikes[t])
            t += 1
    if rho != 0.0:
        z.sub_(threshold)  # (U + R) - threshold >= 0 exactly when U + R >= threshold (IEEE subtraction)
    return z, spikes


def _surrogate(z: torch.Tensor, slope: float) -> torch.Tensor:
    """The fast-sigmoid surrogate derivative 1 / (1 + slope |z|)^2, as a new tensor."""
    return z.abs().mul_(slope).add_(1.0).square_().reciprocal_()


class _LocalSpikes(torch.autograd.Function):
    """Spikes [T, ...] of membranes given as [early (no gradient), late] chunks; the gradient to the late
    membranes is the fast-sigmoid surrogate 1 / (1 + slope |z|)^2 at z = U + R - threshold (R detached)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, early: torch.Tensor, late: torch.Tensor,  # type: ignore[override]
                gamma: float, rho: float, threshold: float, slope: float) -> torch.Tensor:
        parts = [p for p in (early, late) if p.shape[0]]
        z, spikes = refractory_scan(parts, gamma, rho, threshold, early.shape[0])
        ctx.save_for_backward(z)
        ctx.slope = slope  # type: ignore[attr-defined]
        return spikes

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor  # type: ignore[override]
                 ) -> tuple[None, torch.Tensor, None, None, None, None]:
        (z,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return None, grad[grad.shape[0] - z.shape[0] :] * _surrogate(z, ctx.slope), None, None, None, None  # type: ignore[attr-defined]


def local_spikes(early: torch.Tensor, late: torch.Tensor, gamma: float, rho: float, threshold: float,
                 slope: float) -> torch.Tensor:
    """Spikes of all timesteps from the membranes ``early`` (no gradient) then ``late`` (surrogate gradient)."""
    return _LocalSpikes.apply(early.detach(), late, gamma, rho, threshold, slope)


class _LocalScores(torch.autograd.Function):
    """(spikes [T, ...] without gradient, local readout scores [T - start, B, classes] of the late spikes):
    the DECOLLE layer whose only loss is its local readout, so the surrogate gradient is formed from
    the scores' gradient directly, for the late timesteps only."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, early: torch.Tensor, late: torch.Tensor,  # type: ignore[override]
                readout: torch.Tensor, coeffs: tuple[float, float, float, float]) -> tuple[torch.Tensor, torch.Tensor]:
        gamma, rho, threshold, slope = coeffs
        parts = [p for p in (early, late) if p.shape[0]]
        z, spikes = refractory_scan(parts, gamma, rho, threshold, early.shape[0])
        flat, columns = _flat_maps(spikes[early.shape[0] :], readout)
        scores = flat @ columns.T
        ctx.save_for_backward(z, readout)
        ctx.slope = slope  # type: ignore[attr-defined]
        ctx.mark_non_differentiable(spikes)
        return spikes, scores

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, _grad_spikes: torch.Tensor,  # type: ignore[override]
                 grad_scores: torch.Tensor) -> tuple[None, torch.Tensor, None, None]:
        z, readout = ctx.saved_tensors  # type: ignore[attr-defined]
        grad = _empty_steps(z, z.shape[0])  # z's layout: the readout's columns follow it
        flat, columns = _flat_maps(grad, readout)
        torch.matmul(grad_scores, columns, out=flat)
        return None, grad.mul_(_surrogate(z, ctx.slope)), None, None  # type: ignore[attr-defined]


def local_scores(early: torch.Tensor, late: torch.Tensor, readout: torch.Tensor, gamma: float, rho: float,
                 threshold: float, slope: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(spikes of all timesteps, no gradient; scores ``spikes[late] @ readout.T`` whose gradient reaches
    ``late`` through the surrogate)."""
    return _LocalScores.apply(early.detach(), late, readout, (gamma, rho, threshold, slope))


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
        u = trace_filter(current.mul_(scale), alpha, beta, inplace=True)
        start = u.shape[0] - p_late.shape[0]
        early = u[:start]
        ctx.mark_non_differentiable(early)
        return early, u[start:]

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, _grad_early: torch.Tensor,  # type: ignore[override]
                 grad: torch.Tensor) -> tuple[torch.Tensor, None, None, None, None]:
        p_late, w_q = ctx.saved_tensors  # type: ignore[attr-defined]
        stride, padding = ctx.geometry  # type: ignore[attr-defined]
        g = grad.reshape(-1, *grad.shape[2:])
        x = p_late.reshape(-1, *p_late.shape[2:])
        if g.is_contiguous(memory_format=torch.channels_last) != x.is_contiguous(memory_format=torch.channels_last):
            g = g.contiguous(memory_format=torch.channels_last if x.is_contiguous(
                memory_format=torch.channels_last) else torch.contiguous_format)
        gw = torch.ops.aten.convolution_backward(g, x, w_q, None, [stride] * 2, [padding] * 2, [1, 1], False,
                                                 [0, 0], 1, [False, True, False])[1]
        return gw, None, None, None, None


def filtered_spike_conv(w_q: torch.Tensor, current: torch.Tensor, scale: torch.Tensor, p_late: torch.Tensor,
                        stride: int, padding: int, alpha: float, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Membranes U [T, B, Cout, Ho, Wo] as (early: no gradient, late: the last len(p_late) timesteps), from
    the exact integer current [T, B, Cout, Ho, Wo] of the input spikes (consumed), the weight scale
    broadcastable to [Cout, 1, 1], and P_in of the timesteps that get a gradient."""
    return _FilteredSpikeConv.apply(w_q, current, scale, p_late, (stride, padding, alpha, beta))
