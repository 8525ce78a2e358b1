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


def make_map_model(
    ops: list[tuple],
    *,
    maps: tuple[int, int, int] = (1, 8, 8),
    timesteps: int = 4,
    input_kind: str = "rate",
    neuron: str = "lif",
    readout: str = "li",
    weight_bits: int = 4,
    state_bits: int = 16,
    folding: dict[str, dict[str, int]] | None = None,
    hls: bool = False,
) -> ModelWrapper:
    """A hardware graph over spike maps: ``input -> ops... `` with the input map ``maps`` [C, H, W].

    ``ops``: ("conv", COUT, K, STRIDE, PAD), ("pool", K) or ("dense", OUT), named ``layer<i>`` (conv,
    dense) or ``pool<i>`` by their position i. The first dense after maps reads them (``in_maps``).
    ``input_kind`` "iq" emits a G x G map (G = H = W, C = 1) and makes a first conv event-driven.
    ``readout`` "li": a last dense is a DenseReadout; otherwise every dense is a SpikingDense.
    """
    folding = folding or {}
    domain, suffix = (HLS_DOMAIN, "_hls") if hls else (HW_DOMAIN, "")

    def node(op: str, inputs: list[str], outputs: list[str], name: str, **attrs: object) -> object:
        attrs.update(folding.get(name, {}))
        return helper.make_node(op + suffix, inputs, outputs, name=name, domain=domain, **attrs)

    chans, height, width = maps
    base = {"weight_bits": weight_bits, "state_bits": state_bits, "T": timesteps}
    spiking = {**base, "neuron": neuron, "reset": "subtract"}
    if neuron == "dcll":
        spiking.update(leak="none", kq=1, kp=2, kr=1, rho=4)
    else:
        spiking.update(leak="shift", leak_shift=3)
    if input_kind == "iq":
        first = node("SpikeInput", ["x"], ["s0"], "input", kind="iq", IN=2, T=timesteps, G=height,
                     out_maps=[1, height, width])
    else:
        first = node("SpikeInput", ["x"], ["s0"], "input", kind=input_kind, IN=chans * height * width, T=timesteps,
                     out_maps=[chans, height, width])
    nodes, inits = [first], []
    flat: int | None = None  # features once the maps were read by a dense
    for i, op in enumerate(ops):
        src, dst = f"s{i}", f"s{i + 1}"
        if op[0] == "conv":
            _, cout, k, stride, pad = op
            inits.append(numpy_helper.from_array(np.ones((cout, chans, k, k), np.float32), f"w{i}"))
            nodes.append(node("SpikingConv", [src, f"w{i}"], [dst, f"v{i}"], f"layer{i}", H=height, W=width,
                              CIN=chans, COUT=cout, K=k, STRIDE=stride, PAD=pad,
                              event=int(i == 0 and input_kind == "iq"), threshold=[8] * cout, **spiking))
            chans = cout
            height, width = (height + 2 * pad - k) // stride + 1, (width + 2 * pad - k) // stride + 1
        elif op[0] == "pool":
            k = op[1]
            nodes.append(node("SpikePool", [src], [dst], f"pool{i}", H=height, W=width, C=chans, K=k, T=timesteps))
            height, width = height // k, width // k
        else:
            n_out = op[1]
            n_in = flat if flat is not None else chans * height * width
            extra = {} if flat is not None else {"in_maps": [chans, height, width]}
            inits.append(numpy_helper.from_array(np.ones((n_in, n_out), np.float32), f"w{i}"))
            if i == len(ops) - 1 and readout == "li":
                nodes.append(node("DenseReadout", [src, f"w{i}"], [dst], f"layer{i}", IN=n_in, OUT=n_out,
                                  leak="shift", leak_shift=3, **base, **extra))
            else:
                nodes.append(node("SpikingDense", [src, f"w{i}"], [dst, f"v{i}"], f"layer{i}", IN=n_in, OUT=n_out,
                                  threshold=[8] * n_out, **spiking, **extra))
            flat = n_out
    graph = helper.make_graph(
        nodes, "hw_maps",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, maps[0] * maps[1] * maps[2]])],
        [helper.make_tensor_value_info(f"s{len(ops)}", TensorProto.FLOAT, None)],
        initializer=inits,
    )
    return ModelWrapper(helper.make_model(graph))
