"""How NIR's continuous-time neurons map onto our discrete integer neurons (the table in the README).

NIR describes neurons by ODEs (``tau dv/dt = (v_leak - v) + r I`` for LIF/LI, ``dv/dt = r I`` for
IF/I) and leaves the time step ``dt`` to the exporter. One step of length ``dt`` turns them into
``V <- beta V + gain I`` with

* ``euler`` (snnTorch, Norse): ``beta = 1 - dt/tau``, ``gain = r dt / tau``;
* ``exp`` (Sinabs; the exact zero-order-hold solution): ``beta = exp(-dt/tau)``,
  ``gain = r (1 - beta)``;
* IF / I: ``beta = 1``, ``gain = r`` (every exporter that writes IF uses one step = one unit).

``gain`` is per neuron and is folded exactly into the rows of the preceding weights (the float model
is unchanged); ``beta`` becomes the shift leak ``V - (V >> k)`` when it equals ``1 - 2^-k`` within
:data:`SHIFT_TOLERANCE`, else the multiplicative leak ``(beta_q V) >> F``. NIR records no reset
mechanism besides ``v_reset`` (reset to a value); subtractive reset, the default of snnTorch's
``Leaky`` and of Sinabs, is taken from the preset, from ``--reset``, or from the node metadata
``reset_mechanism`` that ``snn2fpga export --nir`` writes. Everything else is refused with the node's
name and type (:class:`NIRRefusal`), never approximated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics.neuron import MAX_BETA_FRAC_BITS

SHIFT_TOLERANCE = 1e-6
"""|beta - (1 - 2^-k)| up to which a leak becomes the shift leak k (float32 storage of beta/tau
in the exporters leaves errors of ~1e-7; any larger deviation is a different beta)."""

MAX_SHIFT = 16  # beta = 1 - 2^-16 is the slowest shift leak we look for


class Discretisation(StrEnum):
    """How one time step of length dt integrates NIR's ODE."""

    EULER = "euler"
    EXP = "exp"


class Reset(StrEnum):
    """What a spike does to the membrane (ours: both exact)."""

    ZERO = "zero"
    SUBTRACT = "subtract"


@dataclass(frozen=True)
class Preset:
    """An exporter's time-step convention.

    Attributes:
        name: preset name (the ``--preset`` value).
        dt: time step in seconds (the unit of NIR's tau).
        discretisation: how one step integrates the ODE.
        reset: the reset the exporter's neurons use (NIR records only ``v_reset``).
        source: where the convention comes from.
    """

    name: str
    dt: float
    discretisation: Discretisation
    reset: Reset
    source: str


PRESETS: dict[str, Preset] = {
    p.name: p for p in (
        Preset("snntorch", 1e-4, Discretisation.EULER, Reset.SUBTRACT,
               "snntorch.export_to_nir: tau = dt/(1-beta), r = tau/dt, dt = 1e-4; Leaky resets by subtraction "
               "by default"),
        # norse 1.1.0's to_nir writes tau = dt / tau_mem_inv = dt * tau_mem (the reported export bug), so the
        # Euler step beta = 1 - dt * tau_mem_inv is 1 - dt^2 / tau_written: the preset's dt is (1e-3 s)^2
        Preset("norse", 1e-6, Discretisation.EULER, Reset.ZERO,
               "norse.torch.to_nir 1.1.0 (dt = 1e-3 s): Euler, writes tau = dt * tau_mem, so dt here is "
               "(1e-3)^2 (use --dt (your dt)^2); LIFBoxCell resets to v_reset"),
        Preset("sinabs", 1.0, Discretisation.EXP, Reset.SUBTRACT,
               "Sinabs: tau in time steps, alpha = exp(-1/tau), MembraneSubtract by default"),
        Preset("nir", 1.0, Discretisation.EULER, Reset.ZERO,
               "NIR as written: Euler with dt = 1, reset to v_reset"),
    )
}


class NIRRefusal(SNN2FPGAError):
    """A NIR node that cannot be mapped exactly; names the node, its type, the reason and the fix."""

    def __init__(self, node: str, kind: str, reason: str) -> None:
        super().__init__(f"NIR node {node!r} ({kind}) cannot be mapped exactly: {reason}")
        self.node = node
        self.kind = kind


@dataclass(frozen=True)
class Leak:
    """The leak chosen for one neuron layer.

    Attributes:
        beta: the float decay per step from the NIR parameters (1.0 = no leak).
        shift: k of the shift leak (beta = 1 - 2^-k), or None.
        beta_frac_bits: F of the multiplicative leak, or 0 when shift/none.
    """

    beta: float
    shift: int | None
    beta_frac_bits: int

    @property
    def mode(self) -> str:
        if self.beta == 1.0:
            return "none"
        return "shift" if self.shift is not None else "mult"

    def spec(self) -> dict[str, Any]:
        """The leak entries of one of our layer specs."""
        if self.mode == "shift":
            return {"leak_shift": self.shift}
        if self.mode == "mult":
            return {"beta": self.beta, "beta_frac_bits": self.beta_frac_bits}
        return {}

    @property
    def integer_beta(self) -> float:
        """The beta the integer path applies (1 - 2^-k, or round(beta 2^F) / 2^F)."""
        if self.mode == "shift":
            return 1.0 - 2.0 ** -int(self.shift or 0)
        if self.mode == "mult":
            q = min(math.floor(self.beta * (1 << self.beta_frac_bits) + 0.5), (1 << self.beta_frac_bits) - 1)
            return q / (1 << self.beta_frac_bits)
        return 1.0


def choose_leak(beta: float, beta_frac_bits: int, node: str, kind: str) -> Leak:
    """The shift leak when beta = 1 - 2^-k within SHIFT_TOLERANCE, else the multiplicative leak."""
    if not 1 <= beta_frac_bits <= MAX_BETA_FRAC_BITS:
        raise SNN2FPGAError(f"beta_frac_bits={beta_frac_bits} is out of range: use 1..{MAX_BETA_FRAC_BITS}")
    if not 0.0 <= beta <= 1.0 or not math.isfinite(beta):
        raise NIRRefusal(node, kind, f"its decay per step is beta = {beta:.6g}, outside [0, 1] (tau < dt?); "
                         "choose the exporter's dt with --preset or --dt")
    if beta == 1.0:
        return Leak(1.0, None, 0)
    for k in range(1, MAX_SHIFT + 1):
        if abs(beta - (1.0 - 2.0**-k)) <= SHIFT_TOLERANCE:
            return Leak(beta, k, 0)
    return Leak(beta, None, beta_frac_bits)


def _vector(node: Any, attr: str, n: int, name: str, kind: str) -> np.ndarray:
    """A neuron parameter broadcast to n neurons (exporters write scalars or per-neuron arrays)."""
    value = getattr(node, attr, None)
    if value is None:
        raise NIRRefusal(name, kind, f"it has no {attr}")
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size == 1:
        return np.full(n, float(arr[0]))
    if arr.size != n:
        raise NIRRefusal(name, kind, f"{attr} has {arr.size} values for {n} neurons")
    return arr


def _one(values: np.ndarray, attr: str, name: str, kind: str) -> float:
    if not np.all(values == values[0]):
        raise NIRRefusal(name, kind, f"{attr} differs between neurons ({values.min():g}..{values.max():g}); "
                         "our leak is one per layer")
    return float(values[0])


@dataclass
class NeuronMap:
    """One NIR neuron node as one of our neuron layers.

    Attributes:
        spec: our layer spec (type lif / if / li, leak, threshold, reset; state_bits added later).
        gain: per-neuron factor folded into the preceding weights' rows.
        leak: the leak decision (for the import report).
        notes: how the mapping was decided (for the import report).
    """

    spec: dict[str, Any]
    gain: np.ndarray
    leak: Leak
    notes: list[str] = field(default_factory=list)


def _node_reset(node: Any, preset_reset: Reset, override: Reset | None) -> tuple[Reset, str]:
    meta = getattr(node, "metadata", None) or {}
    raw = meta.get("reset_mechanism")
    if isinstance(raw, bytes):
        raw = raw.decode()
    if override is not None:
        return override, "--reset"
    if raw in (r.value for r in Reset):
        return Reset(str(raw)), "node metadata"
    return preset_reset, "preset"


def map_neuron(name: str, node: Any, n: int, preset: Preset, beta_frac_bits: int,
               reset: Reset | None = None) -> NeuronMap:
    """Map a NIR LIF / IF / LI / I node of ``n`` neurons onto one of our neuron layers, or refuse."""
    kind = type(node).__name__
    spiking = kind in ("LIF", "IF")
    if kind in ("LIF", "LI"):
        tau = _one(_vector(node, "tau", n, name, kind), "tau", name, kind)
        if tau <= 0 or not math.isfinite(tau):
            raise NIRRefusal(name, kind, f"tau = {tau:g} is not a positive finite time constant")
        v_leak = _vector(node, "v_leak", n, name, kind)
        if np.any(v_leak != 0):
            raise NIRRefusal(name, kind, "v_leak is non-zero (a constant drive our neurons do not have); "
                             "retrain with v_leak = 0")
        r = _vector(node, "r", n, name, kind)
        if preset.discretisation is Discretisation.EULER:
            beta, gain = 1.0 - preset.dt / tau, r * preset.dt / tau
        else:
            beta = math.exp(-preset.dt / tau)
            gain = r * (1.0 - beta)
        leak = choose_leak(beta, beta_frac_bits, name, kind)
        if leak.mode == "none":
            raise NIRRefusal(name, kind, f"tau = {tau:g} gives no leak at dt = {preset.dt:g}")
    elif kind in ("IF", "I"):
        gain, leak = _vector(node, "r", n, name, kind), Leak(1.0, None, 0)
    else:
        raise NIRRefusal(name, kind, "not a neuron type we map (LIF, IF, LI, I)")
    meta = getattr(node, "metadata", None) or {}
    if leak.mode == "mult" and "snn2fpga_beta_frac_bits" in meta:  # written by our exporter: keep F
        leak = choose_leak(leak.beta, int(np.asarray(meta["snn2fpga_beta_frac_bits"])), name, kind)
    notes = [f"beta {leak.beta:.6g} -> {leak.mode} leak" + (f" k={leak.shift}" if leak.shift else "")
             + (f" (integer beta {leak.integer_beta:.6g})" if leak.mode == "mult" else "")]
    if not np.allclose(gain, 1.0, rtol=1e-6, atol=0.0):  # visible: a wrong preset shows up as an odd gain
        notes.append(f"input gain {float(np.min(gain)):.6g}..{float(np.max(gain)):.6g} folded into the weights")
    if not spiking:
        spec: dict[str, Any] = {"type": "li", **leak.spec()}
        return NeuronMap(spec, gain, leak, notes)
    v_thr = _vector(node, "v_threshold", n, name, kind)
    if np.any(v_thr <= 0):
        raise NIRRefusal(name, kind, "a threshold is <= 0; our neurons fire at a positive threshold")
    v_reset = getattr(node, "v_reset", None)
    if v_reset is not None and np.any(np.asarray(v_reset, dtype=np.float64) != 0):
        raise NIRRefusal(name, kind, "v_reset is non-zero; our neurons reset to 0 or by subtraction")
    mode, why = _node_reset(node, preset.reset, reset)
    threshold = float(v_thr[0])
    if not np.all(v_thr == threshold):
        # V / theta_c with threshold 1 is the same neuron (linear dynamics, reset to 0 or by theta_c)
        gain, threshold = gain / v_thr, 1.0
        notes.append("per-neuron thresholds folded into the weights (threshold 1)")
    notes.append(f"reset {mode.value} (from the {why})")
    layer = "lif" if leak.mode != "none" else "if"
    return NeuronMap({"type": layer, **leak.spec(), "threshold": threshold, "reset": mode.value}, gain, leak, notes)


def resolve_preset(name: str, dt: float | None = None, discretisation: str | None = None) -> Preset:
    """The named preset, with dt / discretisation overridden when given."""
    if name not in PRESETS:
        raise SNN2FPGAError(f"unknown NIR preset {name!r}; available: {', '.join(PRESETS)}")
    p = PRESETS[name]
    if dt is not None and not (dt > 0 and math.isfinite(dt)):
        raise SNN2FPGAError(f"--dt must be a positive time step in seconds, got {dt}")
    disc = p.discretisation
    if discretisation is not None:
        try:
            disc = Discretisation(discretisation)
        except ValueError:
            raise SNN2FPGAError(f"unknown discretisation {discretisation!r}: use euler or exp") from None
    return Preset(p.name, dt if dt is not None else p.dt, disc, p.reset, p.source)
