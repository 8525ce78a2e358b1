"""Post-training quantization of a float-trained SNN with percentile clipping of the weights."""

from __future__ import annotations

import copy

import torch

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import QuantLinear, SNNClassifier
from snn2fpga.nn.conv import QuantConv2d
from snn2fpga.nn.neurons import _NeuronBase


def clip_percentile(w: torch.Tensor, percentile: float, per_channel: bool) -> torch.Tensor:
    """Clip weights to +-(the given percentile of |w|), per tensor or per output channel.

    Clipping the few largest weights shrinks the max-based quantization scale, so the bulk of the
    weights get more of the integer levels (prior-work 003: 4-bit PTQ with percentile clipping).
    """
    if not 0.0 < percentile <= 100.0:
        raise SNN2FPGAError(f"clip percentile must lie in (0, 100], got {percentile}")
    q = percentile / 100.0
    a = w.abs()
    bound = torch.quantile(a, q, dim=1, keepdim=True) if per_channel else torch.quantile(a.flatten(), q)
    return torch.maximum(torch.minimum(w, bound), -bound)


def _weighted(layer: dict) -> dict | None:
    """The spec entry that holds a layer's weight settings: the layer, or a DCLL layer's synapse."""
    if layer["type"] in ("linear", "conv"):
        return layer
    if layer["type"] == "dcll":
        return layer["synapse"]
    return None


def quantize_post_training(
    model: SNNClassifier, weight_bits: int, percentile: float = 99.9, per_channel: bool = False
) -> SNNClassifier:
    """A quantized copy of a (float or quantized) SNNClassifier: same layers, ``weight_bits`` weights.

    Every synapse is found by its module name, so the synapses inside DCLL layers are quantized too; the
    learned thresholds and leaks of neuron layers (if any) are copied unchanged."""
    spec = copy.deepcopy(model.spec)
    for layer in spec.layers:
        entry = _weighted(layer)
        if entry is not None:
            entry["weight_bits"] = weight_bits
            entry["per_channel"] = per_channel
    spec.extra["ptq"] = {"weight_bits": weight_bits, "percentile": percentile, "per_channel": per_channel}
    out = SNNClassifier(spec)
    sources = dict(model.named_modules())
    with torch.no_grad():
        for name, dst in out.named_modules():
            if isinstance(dst, _NeuronBase):
                dst.load_state_dict(sources[name].state_dict())  # learned thresholds / beta, if any
                continue
            if not isinstance(dst, (QuantLinear, QuantConv2d)):
                continue
            src = sources.get(name)
            if type(src) is not type(dst):
                raise SNN2FPGAError(f"post-training quantization: {name} is a {type(dst).__name__} in the "
                                    f"quantized copy but {type(src).__name__} in the source model")
            w = src.weight.detach()  # conv: one row per output channel
            dst.weight.copy_(clip_percentile(w.reshape(w.shape[0], -1), percentile, per_channel).reshape(w.shape))
    return out.eval()
