"""The integer DCLL neuron of :mod:`snn2fpga.semantics.dcll` in torch, on the model's device.

:func:`run_dcll_torch` returns exactly what :func:`snn2fpga.semantics.dcll.run_dcll` returns (tests
compare them with ``==``, saturating cases included); it exists because the eval pass of every
training epoch runs it, and the numpy reference costs a clamp, an |x| reduction and a count per state
per timestep.

Fast path: the recurrence is first run WITHOUT the clamps, tracking each state's running max and min
elementwise. If no value ever left the ``state_bits`` range, every clamp of the reference was the
identity, so the trajectory, the spikes and |V| peak are the reference's and there were 0
saturations. Otherwise the batch is rerun with the clamps and exact counts. The integer type is
int32 whenever an a-priori bound of every intermediate value fits in it, else int64.
"""

from __future__ import annotations

import torch

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics.dcll import DCLLParams

_INT32_SAFE = 1 << 30


def _bound(p: DCLLParams, max_current: int) -> int:
    """An upper bound of |x| for every value the unclamped recurrence computes, given |I << f| <= max_current.

    For a shift leak x - (x >> k) + c: |x'| <= (1 - 2^-k) |x| + 1 + |c|, so |x| <= 2^k (max|c| + 1).
    """
    bq = (max_current + 1) << p.kq
    bp = (bq + 1) << p.kp
    br = (p.rho + 1) << p.kr
    return 2 * (bp + br + bq + max_current)


def run_dcll_torch(currents: torch.Tensor, theta: torch.Tensor, p: DCLLParams
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """DCLL neurons over integer currents [T, B, C] (any integer dtype, any device), ``theta`` [C].

    Returns (spikes uint8 [T, B, C], final U int64 [B, C], saturations int64 [B], |value| peak int64 [B]),
    equal to the fields of ``run_dcll``'s NeuronTrace.
    """
    if currents.dim() != 3:
        raise SNN2FPGAError(f"currents must be [T, B, C], got shape {tuple(currents.shape)}")
    steps, batch, chans = currents.shape
    th = torch.broadcast_to(theta.to(device=currents.device, dtype=torch.int64), (chans,)).contiguous()
    if bool((th < p.state_min).any()) or bool((th > p.state_max).any()):
        raise SNN2FPGAError(f"DCLL thresholds must lie in the {p.state_bits}-bit state range")
    max_cur = 0
    if currents.numel():
        lo, hi = torch.aminmax(currents)
        max_cur = max(-int(lo), int(hi)) << p.frac_bits
    dtype = torch.int32 if _bound(p, max_cur) < _INT32_SAFE else torch.int64
    cur = currents.to(dtype)  # shifted by frac_bits per timestep (no full-size temporary)
    out = _unclamped(cur, th.to(dtype), p)
    if out is None:
        out = _clamped(cur.to(torch.int64), th, p)
    return out


def _unclamped(cur: torch.Tensor, th: torch.Tensor, p: DCLLParams
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """The recurrence without clamps, or None when some value left the state range (then rerun clamped)."""
    steps, batch, chans = cur.shape
    st = torch.zeros((4, batch, chans), dtype=cur.dtype, device=cur.device)  # Q, P, R, U
    q, pp, r, u = st[0], st[1], st[2], st[3]
    hi, lo = torch.zeros_like(st), torch.zeros_like(st)
    spikes = torch.zeros((steps, batch, chans), dtype=torch.uint8, device=cur.device)
    s = torch.zeros((batch, chans), dtype=cur.dtype, device=cur.device)
    for t in range(steps):
        pp.sub_(pp >> p.kp).add_(q)  # the OLD Q, as in DECOLLE
        q.sub_(q >> p.kq).add_(cur[t] << p.frac_bits)
        r.sub_(r >> p.kr)
        if p.rho:
            r.sub_(s, alpha=p.rho)
        torch.add(pp, r, out=u)
        fired = u >= th
        spikes[t] = fired
        s = fired.to(cur.dtype)
        torch.maximum(hi, st, out=hi)
        torch.minimum(lo, st, out=lo)
    if bool((hi > p.state_max).any()) or bool((lo < p.state_min).any()):
        return None
    peak = torch.maximum(hi, -lo).amax(dim=(0, 2)) if chans else torch.zeros(batch, dtype=cur.dtype,
                                                                              device=cur.device)
    zeros = torch.zeros(batch, dtype=torch.int64, device=cur.device)
    return spikes, u.to(torch.int64), zeros, peak.to(torch.int64)


def _clamped(cur: torch.Tensor, th: torch.Tensor, p: DCLLParams
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The reference's order of operations with every clamp counted (int64)."""
    steps, batch, chans = cur.shape
    pre = torch.zeros((4, batch, chans), dtype=torch.int64, device=cur.device)  # Q', P', R', U before clamps
    q = torch.zeros((batch, chans), dtype=torch.int64, device=cur.device)
    pp, r, u, s = torch.zeros_like(q), torch.zeros_like(q), torch.zeros_like(q), torch.zeros_like(q)
    peak = torch.zeros_like(pre)
    sats = torch.zeros_like(pre)
    spikes = torch.zeros((steps, batch, chans), dtype=torch.uint8, device=cur.device)
    for t in range(steps):
        torch.add(q - (q >> p.kq), cur[t] << p.frac_bits, out=pre[0])
        torch.add(pp - (pp >> p.kp), q, out=pre[1])
        torch.sub(r - (r >> p.kr), s, alpha=p.rho, out=pre[2])
        post = pre[:3].clamp(p.state_min, p.state_max)
        q, pp, r = post[0], post[1], post[2]
        torch.add(pp, r, out=pre[3])
        u = pre[3].clamp(p.state_min, p.state_max)
        sats[:3] += pre[:3] != post
        sats[3] += pre[3] != u
        torch.maximum(peak, pre.abs(), out=peak)
        fired = u >= th
        spikes[t] = fired
        s = fired.to(torch.int64)
    return spikes, u, sats.sum(dim=(0, 2)), peak.amax(dim=(0, 2)) if chans else peak.sum(dim=(0, 2))
