"""Integer reference of LIF / IF neurons and the leaky-integrator (LI) readout.

Per timestep t and neuron c (DESIGN.md section 1)::

    V   <- leak(V)                      # IF: no leak
    V   <- sat(V + I[t, c])             # I = sum_j W[c, j] * s_j, integer, in units of the weight scale
    spk <- V >= theta[c]                # spiking layers only
    V   <- V - theta[c] if spk (subtract) | 0 if spk (zero)

* ``leak`` SHIFT: ``V - (V >> k)`` (beta = 1 - 2^-k); MULT: ``(beta_q * V) >> F`` (beta = beta_q / 2^F).
  ``>>`` is an arithmetic shift, i.e. it rounds toward minus infinity (floor), in every stage.
* ``sat`` clamps to the signed range of ``state_bits`` (saturate, never wrap); each clamp is counted.
* A non-spiking layer (LI readout) skips the spike and reset lines; its final V is the class score.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from snn2fpga.errors import SNN2FPGAError

MAX_STATE_BITS = 32
MAX_BETA_FRAC_BITS = 16


class LeakMode(StrEnum):
    """How the membrane decays each timestep."""

    NONE = "none"  # IF neuron / pure integrator
    SHIFT = "shift"  # V - (V >> k): adders only, no DSP
    MULT = "mult"  # (beta_q * V) >> F: one multiplier


class ResetMode(StrEnum):
    """What a spike does to the membrane."""

    SUBTRACT = "subtract"
    ZERO = "zero"


@dataclass(frozen=True)
class NeuronParams:
    """Integer parameters shared by all neurons of one layer (thresholds are per neuron, separate).

    Attributes:
        leak: the leak mode.
        state_bits: width of the signed membrane register, 2..32 bits.
        reset: reset mechanism after a spike (ignored when ``spiking`` is False).
        leak_shift: k of the SHIFT leak (beta = 1 - 2^-k), 1..state_bits.
        beta_q: the MULT leak's F-bit fixed-point beta, 0 <= beta_q < 2^F.
        beta_frac_bits: F, fractional bits of ``beta_q``, 1..16.
        spiking: False for the non-spiking leaky-integrator readout.
    """

    leak: LeakMode
    state_bits: int
    reset: ResetMode = ResetMode.SUBTRACT
    leak_shift: int = 0
    beta_q: int = 0
    beta_frac_bits: int = 0
    spiking: bool = True

    def __post_init__(self) -> None:
        if not 2 <= self.state_bits <= MAX_STATE_BITS:
            raise SNN2FPGAError(f"state_bits={self.state_bits} is out of range: use 2..{MAX_STATE_BITS} bits")
        if self.leak is LeakMode.SHIFT and not 1 <= self.leak_shift <= self.state_bits:
            raise SNN2FPGAError(
                f"leak_shift={self.leak_shift} is out of range for a {self.state_bits}-bit state: "
                f"use 1..{self.state_bits} (beta = 1 - 2^-k)"
            )
        if self.leak is LeakMode.MULT:
            if not 1 <= self.beta_frac_bits <= MAX_BETA_FRAC_BITS:
                raise SNN2FPGAError(
                    f"beta_frac_bits={self.beta_frac_bits} is out of range: use 1..{MAX_BETA_FRAC_BITS}"
                )
            if not 0 <= self.beta_q < (1 << self.beta_frac_bits):
                raise SNN2FPGAError(
                    f"beta_q={self.beta_q} must satisfy 0 <= beta_q < 2^{self.beta_frac_bits} (beta in [0, 1))"
                )

    @property
    def state_min(self) -> int:
        """Most negative membrane value (two's complement, ``state_bits`` wide)."""
        return -(1 << (self.state_bits - 1))

    @property
    def state_max(self) -> int:
        """Most positive membrane value."""
        return (1 << (self.state_bits - 1)) - 1

    @property
    def beta(self) -> float:
        """The real-valued decay factor this integer leak implements (for documentation/training)."""
        if self.leak is LeakMode.SHIFT:
            return 1.0 - 2.0 ** (-self.leak_shift)
        if self.leak is LeakMode.MULT:
            return self.beta_q / float(1 << self.beta_frac_bits)
        return 1.0


@dataclass
class NeuronTrace:
    """What one layer of neurons did over a whole sequence.

    Attributes:
        spikes: uint8 [T, B, C] output spikes (all zero for a non-spiking layer).
        v_final: int64 [B, C] membrane after the last timestep.
        saturations: int64 [B] number of (timestep, neuron) clamps per sample.
        v_absmax: int64 [B] largest |V| demanded (before saturation) per sample, for calibration.
    """

    spikes: npt.NDArray[np.uint8]
    v_final: npt.NDArray[np.int64]
    saturations: npt.NDArray[np.int64]
    v_absmax: npt.NDArray[np.int64]


def leak(v: npt.NDArray[np.int64], p: NeuronParams) -> npt.NDArray[np.int64]:
    """Apply one timestep of leak to an integer membrane array (floor rounding of ``>>``)."""
    if p.leak is LeakMode.SHIFT:
        return v - (v >> p.leak_shift)
    if p.leak is LeakMode.MULT:
        return (np.int64(p.beta_q) * v) >> p.beta_frac_bits
    return v


def _leak_in_place(v: np.ndarray, scratch: np.ndarray, p: NeuronParams) -> None:
    """:func:`leak` written into ``v`` (``scratch``: same shape and dtype, overwritten)."""
    if p.leak is LeakMode.SHIFT:
        np.right_shift(v, p.leak_shift, out=scratch)
        np.subtract(v, scratch, out=v)
    elif p.leak is LeakMode.MULT:
        np.multiply(v, p.beta_q, out=v)
        np.right_shift(v, p.beta_frac_bits, out=v)


def integer_valued(a: np.ndarray) -> np.ndarray | None:
    """``a`` as an integer array (itself if integer already; int32 where float32 values allow it, else
    int64), or None when some value is not an integer.

    ``astype`` truncates toward zero, so the copy equals the input exactly when every value is an integer
    (a fraction, NaN or infinity never compares equal to its truncation). For float32, the int32 copy is
    compared back in float32: below 2^23 a truncation is exact in float32, above it every float32 is an
    integer, and a value outside int32 (cast to -2^31) fails and takes the int64 check.
    """
    if a.dtype.kind in "iu":
        return a
    with np.errstate(invalid="ignore"):  # NaN / out-of-range values: caught by the comparisons below
        if a.dtype == np.float32:
            narrow = a.astype(np.int32)
            if np.array_equal(narrow.astype(np.float32), a):
                return narrow
        as_int = a.astype(np.int64)
    return as_int if np.array_equal(as_int, a) else None


def _work_dtype(cur: np.ndarray, p: NeuronParams) -> type[np.signedinteger]:
    """int32 when no intermediate of the update can leave it (half the memory traffic), else int64.

    Before saturation |leak(V) + I| <= 2^(B-1) + max|I| (V is in the B-bit state range, a leak never grows
    it); the MULT leak also forms beta_q * V. Everything else (thresholds, V - theta) stays in the state range.
    """
    peak_current = max(int(cur.max()), -int(cur.min())) if cur.size else 0
    bound = (1 << (p.state_bits - 1)) + peak_current
    if p.leak is LeakMode.MULT:
        bound = max(bound, p.beta_q << (p.state_bits - 1))
    return np.int32 if bound < (1 << 31) else np.int64


def check_thresholds(theta: npt.NDArray[np.int64], p: NeuronParams, layer: str = "layer") -> None:
    """Thresholds must be positive and representable in the state register."""
    if not p.spiking:
        return
    bad = (theta < 1) | (theta > p.state_max)
    if np.any(bad):
        c = int(np.flatnonzero(bad)[0])
        raise SNN2FPGAError(
            f"{layer}: integer threshold {int(theta[c])} of neuron {c} is outside 1..{p.state_max} "
            f"(the {p.state_bits}-bit state range); increase state_bits or change the threshold/weight scale"
        )


def run_neurons(
    currents: npt.ArrayLike, theta: npt.ArrayLike, p: NeuronParams
) -> NeuronTrace:
    """Run a layer of neurons over a sequence of integer input currents.

    Args:
        currents: integer [T, B, C] synaptic input per timestep (units of the weight scale).
        theta: integer [C] (or scalar) thresholds in the same units; unused when not spiking.
        p: layer parameters.
    """
    cur = np.asarray(currents)
    if cur.ndim != 3:
        raise SNN2FPGAError(f"currents must be [T, B, C], got shape {cur.shape}")
    steps, batch, chans = cur.shape
    th = np.broadcast_to(np.asarray(theta, dtype=np.int64), (chans,))
    check_thresholds(th, p)
    as_int = integer_valued(cur)  # integer-valued floats are accepted; a fraction is never truncated
    if as_int is None:
        raise SNN2FPGAError("currents must be integer-valued (a fraction, NaN or infinity was found)")
    cur = as_int
    work = _work_dtype(cur, p)
    cur = cur.astype(work, copy=False)
    th = th.astype(work)
    v = np.zeros((batch, chans), dtype=work)
    scratch = np.empty_like(v)
    spk = np.empty((batch, chans), dtype=bool)
    spikes = np.zeros((steps, batch, chans), dtype=np.uint8)
    sats = np.zeros(batch, dtype=np.int64)
    vmax = np.zeros(batch, dtype=np.int64)
    for t in range(steps):
        # in place (out=): the same integers as the plain expressions, without temporaries
        _leak_in_place(v, scratch, p)
        v += cur[t]
        if chans and batch:  # |V| peak = max(max V, -min V)
            hi, lo = v.max(axis=1), v.min(axis=1)
            np.maximum(vmax, np.maximum(hi, -lo), out=vmax)
            if hi.max() > p.state_max or lo.min() < p.state_min:  # clamping is rare: only then pay for it
                np.clip(v, p.state_min, p.state_max, out=scratch)
                sats += np.count_nonzero(scratch != v, axis=1)
                v, scratch = scratch, v
        if p.spiking:
            np.greater_equal(v, th, out=spk)
            spikes[t] = spk
            # arithmetic with the 0/1 mask: a masked (where=) ufunc is ~10x slower
            if p.reset is ResetMode.SUBTRACT:
                np.multiply(spk, th, out=scratch)
                v -= scratch
            else:
                v *= np.logical_not(spk, out=spk)
    return NeuronTrace(spikes=spikes, v_final=v.astype(np.int64), saturations=sats, v_absmax=vmax)


def dense_currents(spikes: npt.ArrayLike, weight: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Synaptic currents I[t, b, c] = sum_j W[c, j] * s[t, b, j] in int64 (spikes are 0/1).

    numpy has no fast integer matrix product; when every sum and partial sum is provably below 2^53 in
    magnitude (max|s| * max|W| * inputs), float64 BLAS computes the same integers exactly, in any order.
    """
    s = np.asarray(spikes)
    w = np.asarray(weight).astype(np.int64)
    if s.shape[-1] != w.shape[1]:
        raise SNN2FPGAError(f"spikes have {s.shape[-1]} inputs but the weight expects {w.shape[1]}")
    s = s.astype(np.int64)
    if not s.size or not w.size:
        return s @ w.T
    bound = max(int(s.max()), -int(s.min())) * max(int(w.max()), -int(w.min())) * w.shape[1]
    if bound < (1 << 53):
        return (s.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)
    return s @ w.T


def predict(scores: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Class prediction from [B, C] integer scores; ties break to the lowest index."""
    return np.argmax(np.asarray(scores), axis=-1).astype(np.int64)
