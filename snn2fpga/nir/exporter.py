"""`snn2fpga export --nir`: one of our models as a NIR graph, readable by the other frameworks.

Each QuantLinear / QuantConv2d becomes ``nir.Linear`` / ``nir.Conv2d`` (zero bias) with the dequantized
weights ``W_int * scale`` (float64, so a re-import with the same bits finds the same integers), a
flatten ``nir.Flatten``; each neuron the NIR node whose dynamics, at
the preset's dt, are the ones our *integer* path applies: LIF ``tau = dt / (1 - beta)`` (Euler) or
``-dt / ln(beta)`` (exp) with ``r`` chosen for gain 1, IF / LI without leak ``IF`` / ``I`` with
``r = 1``. NIR has no field for subtractive reset: it is written as node metadata
``reset_mechanism`` (which our importer reads back) next to ``v_reset = 0``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.graph import _nir
from snn2fpga.nir.semantics import Discretisation, Preset, resolve_preset
from snn2fpga.nn import SNNClassifier
from snn2fpga.nn.conv import QuantConv2d, SpikeFlatten, SpikeMaxPool
from snn2fpga.nn.neurons import _NeuronBase
from snn2fpga.nn.synapse import QuantLinear
from snn2fpga.semantics.conv import conv_out_size
from snn2fpga.semantics.neuron import LeakMode


def _integer_beta(layer: _NeuronBase) -> float:
    p = layer.params
    if p.leak is LeakMode.SHIFT:
        return 1.0 - 2.0 ** -p.leak_shift
    if p.leak is LeakMode.MULT:
        return p.beta_q / (1 << p.beta_frac_bits)
    return 1.0


def _tau_and_r(beta: float, preset: Preset) -> tuple[float, float]:
    """tau and r that give (beta, gain 1) under the preset's discretisation."""
    if preset.discretisation is Discretisation.EULER:
        tau = preset.dt / (1.0 - beta)
        return tau, tau / preset.dt
    return -preset.dt / math.log(beta), 1.0 / (1.0 - beta)


def _neuron_node(layer: _NeuronBase, n: list[int], preset: Preset) -> Any:
    """The NIR neuron of ``layer`` with per-neuron parameters of shape ``n``."""
    nir = _nir()
    beta = _integer_beta(layer)
    meta: dict[str, Any] = {"snn2fpga_state_bits": layer.params.state_bits}
    if layer.params.leak is LeakMode.MULT:
        meta["snn2fpga_beta_frac_bits"] = layer.params.beta_frac_bits

    def full(v: float) -> np.ndarray:
        return np.full(n, v, dtype=np.float64)

    # per neuron: a learned threshold per channel (the first axis of n) is repeated over its positions
    thr = layer.float_thresholds()
    v_threshold = np.broadcast_to(thr.reshape(-1, *([1] * (len(n) - 1))), n).astype(np.float64)

    if beta == 0.0 and layer.spiking:
        raise SNN2FPGAError(f"{type(layer).__name__} with beta 0 has no finite NIR time constant; NIR's "
                            "Threshold node is its stateless equivalent, which we do not write")
    if layer.spiking:
        meta["reset_mechanism"] = layer.params.reset.value
        if beta == 1.0:
            return nir.IF(r=full(1.0), v_threshold=v_threshold, v_reset=full(0.0), metadata=meta)
        tau, r = _tau_and_r(beta, preset)
        return nir.LIF(tau=full(tau), r=full(r), v_leak=full(0.0), v_threshold=v_threshold,
                       v_reset=full(0.0), metadata=meta)
    if beta == 1.0:
        return nir.I(r=full(1.0), metadata=meta)
    tau, r = _tau_and_r(beta, preset)
    return nir.LI(tau=full(tau), r=full(r), v_leak=full(0.0), metadata=meta)


def _weight_of(layer: QuantLinear | QuantConv2d) -> np.ndarray:
    """The weights as the integer path uses them: W_int * scale (float64), or the float weights."""
    if not layer.quantized:
        return layer.weight.detach().double().numpy()
    w_int, scale = layer.integer_weight()
    w = w_int.numpy().astype(np.float64)
    return w * scale.numpy().reshape(-1, *([1] * (w.ndim - 1)))


def to_nir(model: SNNClassifier, preset: str = "snntorch") -> Any:
    """The NIR graph of ``model``: QuantLinear / QuantConv2d + neuron pairs and flattens. OR max-pools
    (NIR has no max pool) and DCLL layers are refused."""
    nir = _nir()
    p = resolve_preset(preset)
    shape = list(model.spec.input_shape)
    if model.takes_maps and len(shape) == 2:
        shape = [1, *shape]
    elif not model.takes_maps:
        shape = [model.num_inputs]
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array(shape))}
    order = ["input"]
    for i, layer in enumerate(model.layers):
        if isinstance(layer, QuantConv2d):
            name = f"conv{i}"
            nodes[name] = nir.Conv2d(input_shape=tuple(shape[1:]), weight=_weight_of(layer), stride=layer.conv_stride,
                                     padding=layer.conv_padding, dilation=1, groups=1,
                                     bias=np.zeros(layer.out_channels))
            shape = [layer.out_channels, *(conv_out_size(s, layer.kernel, layer.conv_stride, layer.conv_padding)
                                           for s in shape[1:])]
        elif isinstance(layer, QuantLinear):
            name = f"fc{i}"
            nodes[name] = nir.Linear(weight=_weight_of(layer))
            shape = [layer.out_features]
        elif isinstance(layer, SpikeFlatten):
            name = f"flatten{i}"
            nodes[name] = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)
            shape = [int(np.prod(shape))]
        elif isinstance(layer, _NeuronBase):
            name = f"{type(layer).__name__.lower()}{i}"
            nodes[name] = _neuron_node(layer, shape, p)
        else:
            why = "NIR has no max (OR) pooling" if isinstance(layer, SpikeMaxPool) else "it has no NIR counterpart"
            raise SNN2FPGAError(f"export --nir cannot write layer {i} ({type(layer).__name__}): {why}; it writes "
                                "QuantLinear, QuantConv2d, flatten and LIF/IF/LI layers")
        order.append(name)
    nodes["output"] = nir.Output(output_type=np.array(shape))
    order.append("output")
    graph = nir.NIRGraph(nodes=nodes, edges=list(zip(order[:-1], order[1:], strict=True)), type_check=False)
    graph.infer_types()
    return graph


def export_nir(model: SNNClassifier, path: str | Path, preset: str = "snntorch") -> Path:
    """Write ``model`` as a NIR file (HDF5) at ``path``, atomically."""
    nir = _nir()
    out = Path(path)
    graph = to_nir(model, preset)
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        nir.write(tmp, graph)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SNN2FPGAError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
