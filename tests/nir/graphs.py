"""Small hand-made NIR graphs for the importer tests."""

from __future__ import annotations

from typing import Any

import numpy as np

nir = __import__("pytest").importorskip("nir")


def chain(*nodes: Any, input_shape: list[int] | None = None) -> Any:
    """Input -> nodes... -> Output, untyped where the nodes are (no nir type check)."""
    named = {"input": nir.Input(input_type=np.array(input_shape or [6]))}
    order = ["input"]
    for i, node in enumerate(nodes):
        named[f"n{i}"] = node
        order.append(f"n{i}")
    named["output"] = nir.Output(output_type=np.array([3]))
    order.append("output")
    return nir.NIRGraph(nodes=named, edges=list(zip(order[:-1], order[1:], strict=True)), type_check=False)


def weights(out: int = 3, inp: int = 6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.5, (out, inp))


def lif(n: int = 3, tau: Any = 8e-4, thr: float = 1.0, **kw: Any) -> Any:
    """A snnTorch-convention LIF (dt 1e-4, r = tau/dt, gain 1); ``tau`` a number or per-neuron array."""
    t = np.asarray(tau, dtype=np.float64)
    args = {"tau": np.full(n, float(t)) if t.ndim == 0 else t, "r": np.full(n, float(t.reshape(-1)[0]) / 1e-4),
            "v_leak": np.zeros(n),
            "v_threshold": np.full(n, thr), "v_reset": np.zeros(n)}
    args.update(kw)
    return nir.LIF(**args)


def mlp(tau: float = 8e-4) -> Any:
    """6 -> 4 LIF -> 3 LIF."""
    return chain(nir.Linear(weight=weights(4, 6)), lif(4, tau), nir.Linear(weight=weights(3, 4, 1)), lif(3, tau))
