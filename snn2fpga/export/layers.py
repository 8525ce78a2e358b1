"""Find the exportable layers of a user's module and check that the toolchain can map them.

A network is a sequence of stages, in registration order:

* DENSE / CONV: a QuantLinear / QuantConv2d synapse followed by LIF, IF or (last only) LI neurons, or a
  DCLL layer (which holds its synapse);
* POOL: SpikeMaxPool (OR over K x K windows); FLATTEN: SpikeFlatten (maps -> vectors).
"""

from __future__ import annotations

import numpy as np
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.stages import ExportLayer, StageKind
from snn2fpga.nn.conv import QuantConv2d, SpikeFlatten, SpikeMaxPool
from snn2fpga.nn.dcll import DCLL
from snn2fpga.nn.neurons import LI, NEURON_TYPES, _NeuronBase
from snn2fpga.nn.synapse import QuantLinear
from snn2fpga.semantics.conv import conv_out_size

SUPPORTED = (
    "snn2fpga.nn.QuantLinear or QuantConv2d (quantized, 2..16-bit weights) each followed by one neuron layer "
    "snn2fpga.nn.LIF / IF (an LI readout only last), snn2fpga.nn.DCLL layers, SpikeMaxPool and SpikeFlatten; "
    "nn.Identity and nn.Dropout are ignored"
)
_IGNORED = (nn.Identity, nn.Dropout)
_ATOMIC = (QuantLinear, QuantConv2d, DCLL, SpikeMaxPool, SpikeFlatten, *NEURON_TYPES)
FLOAT32_EXACT = 1 << 24  # float32 holds every integer of magnitude below this exactly


def _walk(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    found: list[tuple[str, nn.Module]] = []
    for name, child in module.named_children():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, _ATOMIC):
            found.append((path, child))
        elif isinstance(child, _IGNORED):
            continue
        elif any(True for _ in child.children()):
            found.extend(_walk(child, path))
        else:
            raise SNN2FPGAError(f"layer '{path}' ({type(child).__name__}) cannot be exported; supported: {SUPPORTED}")
    return found


def _weighted(name: str, source: str, syn: QuantLinear | QuantConv2d, neu: _NeuronBase | DCLL,
              in_shape: tuple[int, ...]) -> ExportLayer:
    syn_name = source.split(" -> ")[0]
    if not syn.quantized:
        raise SNN2FPGAError(
            f"'{syn_name}' has quantization off (weight_bits=None); quantize the model first "
            "(snn2fpga.train.quantize_post_training or train with weight_bits set)"
        )
    w, s = syn.integer_weight()
    weight = w.numpy()
    if isinstance(syn, QuantLinear):
        if in_shape != (syn.in_features,):
            raise SNN2FPGAError(f"'{syn_name}' takes {syn.in_features} inputs but gets {in_shape}"
                                + (" (add a SpikeFlatten after the spike maps)" if len(in_shape) == 3 else ""))
        kind, out_shape = StageKind.DENSE, (syn.out_features,)
    else:
        if len(in_shape) != 3 or in_shape[0] != syn.in_channels:
            raise SNN2FPGAError(f"'{syn_name}' takes spike maps with {syn.in_channels} channels, gets {in_shape}")
        ho = conv_out_size(in_shape[1], syn.kernel, syn.conv_stride, syn.conv_padding)
        wo = conv_out_size(in_shape[2], syn.kernel, syn.conv_stride, syn.conv_padding)
        if ho < 1 or wo < 1:
            raise SNN2FPGAError(f"'{syn_name}': kernel {syn.kernel} does not fit its {in_shape[1:]} input")
        kind, out_shape = StageKind.CONV, (syn.out_channels, ho, wo)
    worst = int(np.abs(weight.reshape(weight.shape[0], -1)).sum(axis=1).max(initial=0))
    if worst >= FLOAT32_EXACT:
        raise SNN2FPGAError(
            f"'{syn_name}': a synaptic sum can reach {worst}, beyond float32's exact integer range (2^24) used by "
            "the QONNX MatMul/Conv; use fewer weight bits or fewer inputs per neuron"
        )
    dcll = None
    if isinstance(neu, DCLL):
        theta, dcll = neu.integer_params(s)
    else:
        theta = neu.integer_thresholds(s) if neu.spiking else np.zeros(weight.shape[0], dtype=np.int64)
    return ExportLayer(name, source, kind, in_shape, out_shape, syn, neu, weight, s.numpy(), theta, dcll)


def collect_layers(module: nn.Module, input_shape: tuple[int, ...] | None = None) -> list[ExportLayer]:
    """The stages of ``module`` in registration order, validated for export.

    ``input_shape`` is the per-sample input, (N,) or (C, H, W); default: the first synapse's input
    vector (a convolutional first layer needs it given).
    """
    found = _walk(module, "")
    if not found:
        raise SNN2FPGAError(f"the module has no snn2fpga layers to export; supported: {SUPPORTED}")
    shape = input_shape
    if shape is None:
        first = found[0][1]
        first_syn = first.synapse if isinstance(first, DCLL) else first
        if not isinstance(first_syn, QuantLinear):
            raise SNN2FPGAError("a network that starts with spike maps needs its input shape (C, H, W) to export")
        shape = (first_syn.in_features,)
    stages: list[ExportLayer] = []
    n_weighted = 0
    i = 0
    while i < len(found):
        path, mod = found[i]
        if stages and stages[-1].weighted and isinstance(stages[-1].neuron, LI):
            raise SNN2FPGAError(f"the LI readout '{stages[-1].source}' must be the last layer; supported: {SUPPORTED}")
        if isinstance(mod, SpikeMaxPool):
            if len(shape) != 3:
                raise SNN2FPGAError(f"'{path}' pools spike maps but gets vectors {shape}")
            out = (shape[0], conv_out_size(shape[1], mod.kernel, mod.kernel, 0),
                   conv_out_size(shape[2], mod.kernel, mod.kernel, 0))
            stages.append(ExportLayer(f"pool{len(stages)}", path, StageKind.POOL, shape, out, pool=mod.kernel))
        elif isinstance(mod, SpikeFlatten):
            if len(shape) != 3:
                raise SNN2FPGAError(f"'{path}' flattens spike maps but gets vectors {shape}")
            out = (int(np.prod(shape)),)
            stages.append(ExportLayer(f"flatten{len(stages)}", path, StageKind.FLATTEN, shape, out))
        elif isinstance(mod, DCLL):
            stages.append(_weighted(f"layer{n_weighted}", f"{path}.synapse -> {path}", mod.synapse, mod, shape))
            n_weighted += 1
        elif isinstance(mod, (QuantLinear, QuantConv2d)):
            if i + 1 >= len(found) or not isinstance(found[i + 1][1], _NeuronBase):
                raise SNN2FPGAError(
                    f"{type(mod).__name__} '{path}' is not followed by a neuron layer (LIF, IF or LI); "
                    f"supported: {SUPPORTED}"
                )
            neu_path, neu = found[i + 1]
            assert isinstance(neu, _NeuronBase)
            stages.append(_weighted(f"layer{n_weighted}", f"{path} -> {neu_path}", mod, neu, shape))
            n_weighted += 1
            i += 1
        else:
            raise SNN2FPGAError(
                f"layer '{path}' ({type(mod).__name__}) must follow a QuantLinear or QuantConv2d synapse; "
                f"supported: {SUPPORTED}"
            )
        shape = stages[-1].out_shape
        i += 1
    if not any(s.weighted for s in stages):
        raise SNN2FPGAError(f"the module has no weighted layer to export; supported: {SUPPORTED}")
    if not stages[-1].weighted:
        raise SNN2FPGAError(f"the last layer must be a neuron layer (readout), not '{stages[-1].source}'")
    return stages
