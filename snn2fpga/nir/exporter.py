"""`snn2fpga export --nir`: one of our models as a NIR graph, readable by the other frameworks.

Each QuantLinear becomes ``nir.Linear`` with the dequantized weights ``W_int * scale`` (float64, so a
re-import with the same bits finds the same integers); each neuron the NIR node whose dynamics, at
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
from snn2fpga.nn.neurons import _NeuronBase
from snn2fpga.nn.synapse import QuantLinear
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


def _neuron_node(layer: _NeuronBase, n: int, preset: Preset) -> Any:
    nir = _nir()
    beta = _integer_beta(layer)
    meta: dict[str, Any] = {"snn2fpga_state_bits": layer.params.state_bits}
    if layer.params.leak is LeakMode.MULT:
        meta["snn2fpga_beta_frac_bits"] = layer.params.beta_frac_bits

    def full(v: float) -> np.ndarray:
        return np.full(n, v, dtype=np.float64)

    if beta == 0.0 and layer.spiking:
        raise SNN2FPGAError(f"{type(layer).__name__} with beta 0 has no finite NIR time constant; NIR's "
                            "Threshold node is its stateless equivalent, which we do not write")
    if layer.spiking:
        meta["reset_mechanism"] = layer.params.reset.value
        if beta == 1.0:
            return nir.IF(r=full(1.0), v_threshold=full(layer.threshold), v_reset=full(0.0), metadata=meta)
        tau, r = _tau_and_r(beta, preset)
        return nir.LIF(tau=full(tau), r=full(r), v_leak=full(0.0), v_threshold=full(layer.threshold),
                       v_reset=full(0.0), metadata=meta)
    if beta == 1.0:
        return nir.I(r=full(1.0), metadata=meta)
    tau, r = _tau_and_r(beta, preset)
    return nir.LI(tau=full(tau), r=full(r), v_leak=full(0.0), metadata=meta)


def to_nir(model: SNNClassifier, preset: str = "snntorch") -> Any:
    """The NIR graph of an MLP ``model`` (QuantLinear + neuron pairs); conv/DCLL models are refused."""
    nir = _nir()
    p = resolve_preset(preset)
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array([model.num_inputs]))}
    order = ["input"]
    layers = list(model.layers)
    for i, layer in enumerate(layers):
        if isinstance(layer, QuantLinear):
            if layer.quantized:
                w_int, scale = layer.integer_weight()
                w = w_int.numpy().astype(np.float64) * scale.numpy().reshape(-1, 1)
            else:
                w = layer.weight.detach().double().numpy()
            nodes[f"fc{i}"] = nir.Linear(weight=np.asarray(w, dtype=np.float64))
            order.append(f"fc{i}")
        elif isinstance(layer, _NeuronBase):
            n = layers[i - 1].out_features  # type: ignore[union-attr]
            nodes[f"{type(layer).__name__.lower()}{i}"] = _neuron_node(layer, int(n), p)
            order.append(f"{type(layer).__name__.lower()}{i}")
        else:
            raise SNN2FPGAError(f"export --nir writes MLPs (QuantLinear + LIF/IF/LI layers); layer {i} is a "
                                f"{type(layer).__name__}, which is not written yet")
    nodes["output"] = nir.Output(output_type=np.array([layers[-2].out_features]))  # type: ignore[union-attr]
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
