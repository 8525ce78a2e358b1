"""A chain of NIR nodes as our layer stack: float weights (numpy) and layer specs, exact in float.

Each of our layers is a synapse (Linear) followed by a neuron (LIF / IF / LI). NIR's per-neuron
input gains (``r``, ``dt/tau``, ``Scale`` nodes, per-neuron thresholds) are folded into the rows of
the synapse's weights, which leaves the float network's spikes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.graph import input_shape, node_kind, ordered_chain, strip_batch
from snn2fpga.nir.semantics import NeuronMap, NIRRefusal, Preset, Reset, map_neuron

SYNAPSES = ("Linear", "Affine")
NEURONS = ("LIF", "IF", "LI", "I", "Threshold")
REFUSED = {
    "Delay": "our layers have no synaptic delays (every spike arrives in the next layer in the same step)",
    "CubaLIF": "its synaptic current is a low-pass filter before the membrane; our LIF has none, and our DCLL "
               "traces have a different normalisation and no threshold reset, so it is not mapped",
    "CubaLI": "its synaptic current filter has no counterpart in our LI readout",
    "SumPool2d": "summed spikes are not binary, and our pooling is a binary OR (max) pool",
    "AvgPool2d": "averaged spikes are not binary, and our pooling is a binary OR (max) pool",
    "Conv1d": "our convolutions are 2-D",
    "Conv2d": "NIR convolutions are not imported yet (linear layers only); train the conv layers in snn2fpga",
}


@dataclass
class FloatLayers:
    """The float network read from a NIR graph.

    Attributes:
        specs: our layer specs in order (linear weight_bits None; neuron state_bits not yet set).
        weights: float64 [out, in] weights of each linear layer, gains folded in.
        input_shape: the network input shape without batch dimension.
        report: per NIR node: name, type, what it became, notes.
    """

    specs: list[dict[str, Any]] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    input_shape: list[int] = field(default_factory=list)
    report: list[dict[str, Any]] = field(default_factory=list)


def _weight(name: str, node: Any) -> np.ndarray:
    kind = node_kind(node)
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 2:
        raise NIRRefusal(name, kind, f"its weight has shape {w.shape}, expected [out, in]")
    bias = getattr(node, "bias", None)
    if bias is not None and np.any(np.asarray(bias, dtype=np.float64) != 0):
        raise NIRRefusal(name, kind, "its bias is non-zero; our synapses have no bias (a constant current). "
                         "Retrain with bias=False (torch.nn.Linear(..., bias=False))")
    return w


def _threshold_neuron(name: str, node: Any, n: int) -> NeuronMap:
    """NIR Threshold (a stateless Heaviside) = our LIF with beta 0: V = I each step, then fire."""
    from snn2fpga.nir.semantics import Leak

    thr = np.asarray(node.threshold, dtype=np.float64).reshape(-1)
    thr = np.full(n, float(thr[0])) if thr.size == 1 else thr
    if thr.size != n or np.any(thr <= 0):
        raise NIRRefusal(name, "Threshold", f"needs {n} positive thresholds, got {thr.size} values, min {thr.min():g}")
    gain, threshold = (np.ones(n), float(thr[0])) if np.all(thr == thr[0]) else (1.0 / thr, 1.0)
    leak = Leak(0.0, None, 8)
    spec = {"type": "lif", "beta": 0.0, "beta_frac_bits": 8, "threshold": threshold, "reset": "zero"}
    return NeuronMap(spec, gain, leak, ["stateless: LIF with beta 0 (the membrane is the current)"])


def read_layers(graph: Any, preset: Preset, beta_frac_bits: int = 8, reset: Reset | None = None) -> FloatLayers:
    """Map ``graph`` (a chain Input -> (Linear [Scale] neuron)+ -> Output) onto our layers, or refuse."""
    chain = ordered_chain(graph)
    out = FloatLayers()
    shape = input_shape(chain[0][1])
    pending: np.ndarray | None = None  # weights of a synapse waiting for its neuron
    pending_name = ""
    for name, node in chain[1:-1]:
        kind = node_kind(node)
        if kind in REFUSED:
            raise NIRRefusal(name, kind, REFUSED[kind])
        if kind == "Flatten":
            # only full flattens are meaningful before our linear layers; the next Linear checks the size
            out.report.append({"node": name, "type": kind, "mapped_to": "(input layout, no layer)"})
            continue
        if kind in SYNAPSES:
            if pending is not None:
                raise NIRRefusal(name, kind, f"it follows the weight layer {pending_name!r} without a neuron in "
                                 "between; merge the two weight matrices (W2 @ W1) before exporting")
            w = _weight(name, node)
            features = int(w.shape[1])
            shape = strip_batch(shape, features) if shape is not None else [features]
            if not out.specs:
                if int(np.prod(shape)) != features:
                    raise NIRRefusal(name, kind, f"it takes {features} inputs but the graph's Input has shape {shape}")
                out.input_shape = list(shape)
            elif features != out.specs[-2]["out_features"]:
                raise NIRRefusal(name, kind, f"it takes {features} inputs but the layer before has "
                                 f"{out.specs[-2]['out_features']} neurons")
            pending, pending_name = w, name
            out.report.append({"node": name, "type": kind, "mapped_to": f"linear {features}->{w.shape[0]}"})
            continue
        if kind == "Scale":
            if pending is None:
                raise NIRRefusal(name, kind, "it scales spikes (after a neuron), which would make them non-binary; "
                                 "only a Scale between a weight layer and its neuron is folded into the weights")
            s = np.asarray(node.scale, dtype=np.float64).reshape(-1)
            if s.size not in (1, pending.shape[0]):
                raise NIRRefusal(name, kind, f"{s.size} scale factors for {pending.shape[0]} neurons")
            pending = pending * s.reshape(-1, 1)
            out.report.append({"node": name, "type": kind, "mapped_to": "folded into the weights"})
            continue
        if kind in NEURONS:
            if pending is None:
                raise NIRRefusal(name, kind, "it is not preceded by a weight layer (Linear/Affine); each of our "
                                 "neuron layers sits behind its own synapse")
            n = int(pending.shape[0])
            nm = (_threshold_neuron(name, node, n) if kind == "Threshold"
                  else map_neuron(name, node, n, preset, beta_frac_bits, reset))
            out.specs.append({"type": "linear", "in_features": int(pending.shape[1]), "out_features": n,
                              "weight_bits": None, "per_channel": False})
            out.weights.append(pending * nm.gain.reshape(-1, 1))
            out.specs.append(nm.spec)
            out.report.append({"node": name, "type": kind, "mapped_to": nm.spec["type"], "notes": nm.notes})
            pending = None
            continue
        raise NIRRefusal(name, kind, f"no mapping for this NIR primitive; supported: {', '.join(SYNAPSES + NEURONS)}, "
                         "Scale, Flatten")
    if pending is not None:
        raise NIRRefusal(pending_name, "Linear", "the graph ends in a weight layer without a neuron; add an LI / I "
                         "readout (non-spiking) or a LIF layer after it")
    if not out.specs:
        raise SNN2FPGAError("the NIR graph has no weight layer with a neuron: nothing to map")
    neurons = [r for r in out.report if r["type"] in NEURONS]
    for r in neurons[:-1]:
        if r["mapped_to"] == "li":
            raise NIRRefusal(r["node"], r["type"], "a non-spiking layer can only be the last one (the readout)")
    return out
