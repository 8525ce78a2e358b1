"""Tests of the estimates; :func:`make_hw_model` builds the small hardware graphs they (and the folding tests) use."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

HW_DOMAIN = "snn2fpga.ops.hw"
HLS_DOMAIN = "snn2fpga.ops.hls"


def make_hw_model(
    sizes: list[int],
    *,
    timesteps: int = 16,
    readout: str = "li",
    input_kind: str = "rate",
    weight_bits: int = 4,
    state_bits: int = 16,
    leak: str = "shift",
    folding: dict[str, dict[str, int]] | None = None,
    hls: bool = False,
) -> ModelWrapper:
    """A hardware graph ``input -> layer0 -> ... -> layerN-1 [-> counter]`` with sizes [IN, H1, ..., OUT].

    ``readout`` "li": the last layer is a DenseReadout; "counter": a SpikingDense followed by a
    SpikeCounter. ``folding`` sets PE/SIMD attributes by node name; ``hls`` makes ``*_hls`` nodes.
    """
    folding = folding or {}
    domain, suffix = (HLS_DOMAIN, "_hls") if hls else (HW_DOMAIN, "")

    def node(op: str, inputs: list[str], outputs: list[str], name: str, **attrs: object) -> object:
        attrs.update(folding.get(name, {}))
        return helper.make_node(op + suffix, inputs, outputs, name=name, domain=domain, **attrs)

    neuron = {"weight_bits": weight_bits, "state_bits": state_bits, "leak": leak, "T": timesteps}
    if leak == "shift":
        neuron["leak_shift"] = 3
    elif leak == "mult":
        neuron.update(beta_q=200, beta_frac_bits=8)
    nodes = [node("SpikeInput", ["x"], ["s0"], "input", kind=input_kind, IN=sizes[0], T=timesteps)]
    inits = []
    n_layers = len(sizes) - 1
    for i in range(n_layers):
        n_in, n_out = sizes[i], sizes[i + 1]
        inits.append(numpy_helper.from_array(np.ones((n_in, n_out), np.float32), f"w{i}"))
        if i == n_layers - 1 and readout == "li":
            nodes.append(node("DenseReadout", [f"s{i}", f"w{i}"], ["y"], f"layer{i}", IN=n_in, OUT=n_out, **neuron))
        else:
            nodes.append(node("SpikingDense", [f"s{i}", f"w{i}"], [f"s{i + 1}", f"v{i}"], f"layer{i}", IN=n_in,
                              OUT=n_out, reset="subtract", threshold=[8] * n_out, **neuron))
    if readout == "counter":
        nodes.append(node("SpikeCounter", [f"s{n_layers}"], ["y"], "counter", C=sizes[-1], T=timesteps))
    graph = helper.make_graph(
        nodes, "hw",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, sizes[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, sizes[-1]])],
        initializer=inits,
    )
    return ModelWrapper(helper.make_model(graph))
