"""Find the exportable layers of a user's module and check that the toolchain can map them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.neurons import LI, NEURON_TYPES, _NeuronBase
from snn2fpga.nn.synapse import QuantLinear

SUPPORTED = (
    "snn2fpga.nn.QuantLinear (quantized, 2..16-bit weights) each followed by one neuron layer "
    "snn2fpga.nn.LIF / IF, with an optional snn2fpga.nn.LI readout last; nn.Identity and nn.Dropout "
    "are ignored"
)
_IGNORED = (nn.Identity, nn.Dropout)
FLOAT32_EXACT = 1 << 24  # float32 holds every integer of magnitude below this exactly


@dataclass
class ExportLayer:
    """One (synapse, neuron) pair of the network, with its integer parameters."""

    name: str  # graph name: layer0, layer1, ...
    source: str  # module paths in the user's model, for messages
    synapse: QuantLinear
    neuron: _NeuronBase
    weight: np.ndarray  # int64 [out, in]
    scale: np.ndarray  # float64 [out]
    threshold: np.ndarray  # int64 [out] (zeros for the LI readout)


def _walk(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    found: list[tuple[str, nn.Module]] = []
    for name, child in module.named_children():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, (QuantLinear, *NEURON_TYPES)):
            found.append((path, child))
        elif isinstance(child, _IGNORED):
            continue
        elif any(True for _ in child.children()):
            found.extend(_walk(child, path))
        else:
            raise SNN2FPGAError(
                f"layer '{path}' ({type(child).__name__}) cannot be exported; supported: {SUPPORTED}"
            )
    return found


def collect_layers(module: nn.Module) -> list[ExportLayer]:
    """The (synapse, neuron) pairs of ``module`` in registration order, validated for export."""
    found = _walk(module, "")
    if not found:
        raise SNN2FPGAError(f"the module has no snn2fpga layers to export; supported: {SUPPORTED}")
    layers: list[ExportLayer] = []
    width: int | None = None
    for i in range(0, len(found), 2):
        syn_name, syn = found[i]
        if not isinstance(syn, QuantLinear):
            raise SNN2FPGAError(
                f"layer '{syn_name}' ({type(syn).__name__}) must follow a QuantLinear synapse; supported: {SUPPORTED}"
            )
        if i + 1 >= len(found) or not isinstance(found[i + 1][1], _NeuronBase):
            raise SNN2FPGAError(
                f"QuantLinear '{syn_name}' is not followed by a neuron layer (LIF, IF or LI); supported: {SUPPORTED}"
            )
        neu_name, neu = found[i + 1]
        assert isinstance(neu, _NeuronBase)
        if isinstance(neu, LI) and i + 2 < len(found):
            raise SNN2FPGAError(f"the LI readout '{neu_name}' must be the last layer; supported: {SUPPORTED}")
        if not syn.quantized:
            raise SNN2FPGAError(
                f"QuantLinear '{syn_name}' has quantization off (weight_bits=None); quantize the model first "
                "(snn2fpga.train.quantize_post_training or train with weight_bits set)"
            )
        if width is not None and syn.in_features != width:
            raise SNN2FPGAError(f"'{syn_name}' takes {syn.in_features} inputs but the previous layer has {width}")
        width = syn.out_features
        w, s = syn.integer_weight()
        weight = w.numpy()
        worst = int(np.abs(weight).sum(axis=1).max(initial=0))
        if worst >= FLOAT32_EXACT:
            raise SNN2FPGAError(
                f"'{syn_name}': a synaptic sum can reach {worst}, beyond float32's exact integer range "
                f"(2^24) used by the QONNX MatMul; use fewer weight bits or fewer inputs per neuron"
            )
        theta = neu.integer_thresholds(s) if neu.spiking else np.zeros(syn.out_features, dtype=np.int64)
        layers.append(ExportLayer(f"layer{len(layers)}", f"{syn_name} -> {neu_name}", syn, neu,
                                  weight, s.numpy(), theta))
    return layers
