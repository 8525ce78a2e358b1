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


def _fold(w: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Scale each output row (linear) / output channel (conv) of ``w`` by ``gain``."""
    return w * gain.reshape(-1, *([1] * (w.ndim - 1)))


class _Walk:
    """The state of the walk along the chain: current activation shape and the synapse awaiting its neuron."""

    def __init__(self, shape: list[int] | None) -> None:
        self.out = FloatLayers()
        self.shape = shape  # activation shape without batch (None: the Input is untyped)
        self.pending: np.ndarray | None = None
        self.spec: dict[str, Any] = {}
        self.name = ""
        self.kind = ""
        self.after: list[int] = []  # the synapse's output shape

    def check_free(self, name: str, kind: str) -> None:
        """Refuse a synapse right behind another synapse."""
        if self.pending is not None:
            raise NIRRefusal(name, kind, f"it follows the weight layer {self.name!r} without a neuron in "
                             "between; merge the two weight layers before exporting")

    def synapse(self, name: str, kind: str, w: np.ndarray, spec: dict[str, Any], after: list[int]) -> None:
        self.pending, self.spec, self.name, self.kind, self.after = w, spec, name, kind, after


def _linear(walk: _Walk, name: str, node: Any) -> None:
    kind = node_kind(node)
    walk.check_free(name, kind)
    w = _weight(name, node)
    features = int(w.shape[1])
    if not walk.out.specs:
        shape = strip_batch(walk.shape, features) if walk.shape is not None else [features]
        if int(np.prod(shape)) != features:
            raise NIRRefusal(name, kind, f"it takes {features} inputs but the graph's Input has shape {shape}")
        walk.out.input_shape = list(shape)
    else:
        assert walk.shape is not None
        if int(np.prod(walk.shape)) != features:
            raise NIRRefusal(name, kind, f"it takes {features} inputs but the layer before has "
                             f"{int(np.prod(walk.shape))} neurons")
        if len(walk.shape) > 1:  # maps into a dense layer: torch's C-major flatten, which is ours
            walk.out.specs.append({"type": "flatten"})
    walk.synapse(name, kind, w, {"type": "linear", "in_features": features, "out_features": int(w.shape[0]),
                                 "weight_bits": None, "per_channel": False}, [int(w.shape[0])])
    walk.out.report.append({"node": name, "type": kind, "mapped_to": f"linear {features}->{w.shape[0]}"})


def _conv(walk: _Walk, name: str, node: Any) -> None:
    from snn2fpga.nir.conv import map_conv

    walk.check_free(name, "Conv2d")
    spec, w, before, after = map_conv(name, node, walk.shape)
    if not walk.out.specs:
        walk.out.input_shape = before
    walk.synapse(name, "Conv2d", w, spec, after)
    walk.out.report.append({"node": name, "type": "Conv2d", "mapped_to": f"conv {spec['in_channels']}->"
                            f"{spec['out_channels']} k{spec['kernel']} s{spec['stride']} p{spec['padding']}"})


def _neuron(walk: _Walk, name: str, node: Any, preset: Preset, beta_frac_bits: int, reset: Reset | None) -> None:
    kind = node_kind(node)
    if walk.pending is None:
        raise NIRRefusal(name, kind, "it is not preceded by a weight layer (Linear/Affine/Conv2d); each of our "
                         "neuron layers sits behind its own synapse")
    n = int(walk.pending.shape[0])
    if walk.spec["type"] == "conv":
        from snn2fpga.nir.conv import per_channel

        node = per_channel(name, node, n, int(np.prod(walk.after[1:])))
    nm = (_threshold_neuron(name, node, n) if kind == "Threshold"
          else map_neuron(name, node, n, preset, beta_frac_bits, reset))
    if walk.spec["type"] == "conv" and nm.spec["type"] == "li":
        raise NIRRefusal(name, kind, "a non-spiking readout behind a convolution; the readout must be dense")
    walk.out.specs.append(walk.spec)
    walk.out.weights.append(_fold(walk.pending, nm.gain))
    walk.out.specs.append(nm.spec)
    walk.out.report.append({"node": name, "type": kind, "mapped_to": nm.spec["type"], "notes": nm.notes})
    walk.shape, walk.pending = walk.after, None


def read_layers(graph: Any, preset: Preset, beta_frac_bits: int = 8, reset: Reset | None = None) -> FloatLayers:
    """Map ``graph`` (a chain Input -> ((Linear|Conv2d) [Scale] neuron)+ -> Output) onto our layers, or refuse."""
    chain = ordered_chain(graph)
    walk = _Walk(input_shape(chain[0][1]))
    for name, node in chain[1:-1]:
        kind = node_kind(node)
        if kind in REFUSED:
            raise NIRRefusal(name, kind, REFUSED[kind])
        if kind == "Flatten":  # the next Linear checks the size and flattens maps (C-major, as torch)
            walk.out.report.append({"node": name, "type": kind, "mapped_to": "(layout only)"})
        elif kind in SYNAPSES:
            _linear(walk, name, node)
        elif kind == "Conv2d":
            _conv(walk, name, node)
        elif kind == "Scale":
            if walk.pending is None:
                raise NIRRefusal(name, kind, "it scales spikes (after a neuron), which would make them non-binary; "
                                 "only a Scale between a weight layer and its neuron is folded into the weights")
            sc = np.asarray(node.scale, dtype=np.float64).reshape(-1)
            if sc.size not in (1, walk.pending.shape[0]):
                raise NIRRefusal(name, kind, f"{sc.size} scale factors for {walk.pending.shape[0]} neurons/channels")
            walk.pending = _fold(walk.pending, np.broadcast_to(sc, (walk.pending.shape[0],)))
            walk.out.report.append({"node": name, "type": kind, "mapped_to": "folded into the weights"})
        elif kind in NEURONS:
            _neuron(walk, name, node, preset, beta_frac_bits, reset)
        else:
            raise NIRRefusal(name, kind, f"no mapping for this NIR primitive; supported: "
                             f"{', '.join(SYNAPSES + NEURONS)}, Conv2d, Scale, Flatten")
    out = walk.out
    if walk.pending is not None:
        raise NIRRefusal(walk.name, walk.kind, "the graph ends in a weight layer without a "
                         "neuron; add an LI / I readout (non-spiking) or a LIF layer after it")
    if not out.specs:
        raise SNN2FPGAError("the NIR graph has no weight layer with a neuron: nothing to map")
    if out.specs[-2]["type"] != "linear":
        last = [r for r in out.report if r["type"] in NEURONS][-1]
        raise NIRRefusal(last["node"], last["type"], "the last layer sits behind a convolution; our readout is a "
                         "dense layer (add Flatten -> Linear -> LI/LIF)")
    neurons = [r for r in out.report if r["type"] in NEURONS]
    for r in neurons[:-1]:
        if r["mapped_to"] == "li":
            raise NIRRefusal(r["node"], r["type"], "a non-spiking layer can only be the last one (the readout)")
    return out
