"""Integer reference of the DCLL (DECOLLE) neuron, filter-after-weights form.

DESIGN.md section 1 gives the real-valued layer
``Q' = beta Q + S_in/(1-beta); P' = alpha P + Q/(1-alpha); R' = gamma R - (1-gamma) S; U = W P' + b + R'``.
The traces are linear filters and W is linear, so W*P equals the same double filter applied to
the current I = W*S_in: the hardware filters per OUTPUT neuron, on integer currents of binary spikes.
The quantized order of operations (per timestep t, per output neuron c; every state saturates to
``state_bits`` and each clamp is counted)::

    I    = sum_j W[c, j] s_j(t)                  integer current (dense or conv), units of the weight scale
    Q'   = sat(Q - (Q >> kq) + (I << f))         beta  = 1 - 2^-kq; f = frac_bits (state resolution)
    P'   = sat(P - (P >> kp) + Q)                alpha = 1 - 2^-kp   (the OLD Q, as in DECOLLE)
    R'   = sat(R - (R >> kr) - rho * S)          gamma = 1 - 2^-kr   (S: the neuron's previous spike)
    U    = sat(P' + R')
    S'   = U >= theta[c]

The traces hold ``frac_bits`` fractional bits below the weight scale, so that the floor of ``>>`` does
not dominate small currents (e.g. one 4-bit weight per timestep): theta and rho are in the same
units (2^-f of the weight scale). The 1/(1-beta), 1/(1-alpha) gains of the real equations are folded
into theta and rho: with
normalised filters the membrane U is (1-beta)(1-alpha) times DECOLLE's, and a threshold at 0 with bias
b becomes theta = round(-b (1-beta)(1-alpha) / scale). ``>>`` is an arithmetic shift (floor). All
state starts at 0 at every sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics.neuron import MAX_STATE_BITS, NeuronTrace

MAX_FRAC_BITS = 16


@dataclass(frozen=True)
class DCLLParams:
    """Integer parameters of a layer of DCLL neurons.

    Attributes:
        state_bits: width of each of Q, P, R and U (signed), 2..32.
        kq, kp, kr: leak shifts of the Q, P, R traces (1..state_bits).
        rho: refractory kick subtracted from R after a spike (integer, >= 0, units of U).
        frac_bits: f, fractional bits of the state below the weight scale (0..16).
    """

    state_bits: int
    kq: int = 1
    kp: int = 1
    kr: int = 1
    rho: int = 0
    frac_bits: int = 0

    def __post_init__(self) -> None:
        if not 2 <= self.state_bits <= MAX_STATE_BITS:
            raise SNN2FPGAError(f"state_bits={self.state_bits} is out of range: use 2..{MAX_STATE_BITS}")
        for name in ("kq", "kp", "kr"):
            k = getattr(self, name)
            if not 1 <= k <= self.state_bits:
                raise SNN2FPGAError(f"DCLL {name}={k} is out of range: use 1..{self.state_bits}")
        if not 0 <= self.rho <= self.state_max:
            raise SNN2FPGAError(f"DCLL rho={self.rho} must lie in 0..{self.state_max}")
        if not 0 <= self.frac_bits <= MAX_FRAC_BITS:
            raise SNN2FPGAError(f"DCLL frac_bits={self.frac_bits} must lie in 0..{MAX_FRAC_BITS}")

    @property
    def state_min(self) -> int:
        return -(1 << (self.state_bits - 1))

    @property
    def state_max(self) -> int:
        return (1 << (self.state_bits - 1)) - 1


def run_dcll(currents: npt.ArrayLike, theta: npt.ArrayLike, p: DCLLParams) -> NeuronTrace:
    """Run DCLL neurons over integer currents [T, B, C]; ``theta`` [C] (any integer in the state range).

    ``NeuronTrace.v_final`` holds the final U; ``v_absmax`` the largest |value| any of Q, P, R, U demanded.
    """
    cur = np.asarray(currents).astype(np.int64) << p.frac_bits
    if cur.ndim != 3:
        raise SNN2FPGAError(f"currents must be [T, B, C], got shape {cur.shape}")
    steps, batch, chans = cur.shape
    th = np.broadcast_to(np.asarray(theta, dtype=np.int64), (chans,))
    if np.any(th < p.state_min) or np.any(th > p.state_max):
        raise SNN2FPGAError(f"DCLL thresholds must lie in the {p.state_bits}-bit state range")
    q = np.zeros((batch, chans), dtype=np.int64)
    pp = np.zeros_like(q)
    r = np.zeros_like(q)
    s = np.zeros_like(q)
    u = np.zeros_like(q)
    spikes = np.zeros((steps, batch, chans), dtype=np.uint8)
    sats = np.zeros(batch, dtype=np.int64)
    vmax = np.zeros(batch, dtype=np.int64)

    def sat(x: np.ndarray) -> np.ndarray:
        nonlocal sats, vmax
        vmax = np.maximum(vmax, np.abs(x).max(axis=1, initial=0))
        c = np.clip(x, p.state_min, p.state_max)
        sats += np.count_nonzero(c != x, axis=1)
        return c

    for t in range(steps):
        q_new = sat(q - (q >> p.kq) + cur[t])
        pp = sat(pp - (pp >> p.kp) + q)
        r = sat(r - (r >> p.kr) - p.rho * s)
        q = q_new
        u = sat(pp + r)
        s = (u >= th).astype(np.int64)
        spikes[t] = s
    return NeuronTrace(spikes=spikes, v_final=u, saturations=sats, v_absmax=vmax)
