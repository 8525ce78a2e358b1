"""Emit the QONNX graph of an SNN with onnx.helper.

Time is explicit inside the ops: the graph processes whole sequences. One sample (batch 1) at a time::

    global_in  uint8 features [1, N]         (or binary spikes [T, 1, N] when the host encodes)
    SpikeEncoder -> spikes [T, 1, N]
    per layer i:  Quant(W_i integer, scale 1) -> MatMul(spikes, W_i^T) -> current [T, 1, C] (integer)
                  LIF -> spikes [T, 1, C], vfinal [1, C], sat [1]      | LeakyIntegrator -> vfinal, sat
    readout:      scores = vfinal of the LI readout | spike counts (ReduceSum over T)
                  prediction = ArgMax(scores) (first maximum on ties)

The weights' Quant nodes carry the integer weights with scale 1 so that the MatMul sums stay exact
integers in float32; the real per-channel weight scale is the neuron node's ``weight_scale`` attribute.
Every value_info carries its batch axis in ``doc_string`` ("batch_axis=K") so that :func:`set_batch`
can re-shape the saved graph for batched execution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.export.layers import ExportLayer
from snn2fpga.ops import DOMAIN
from snn2fpga.semantics.encoders import INPUT_BITS, EncoderKind

OPSET = 17
QONNX_DOMAIN = "qonnx.custom_op.general"
GRAPH_INPUT = "global_in"
SCORES = "scores"
PREDICTION = "prediction"
METADATA_KEY = "snn2fpga"
BATCH_DOC = "batch_axis="


@dataclass
class GraphMeta:
    """What the graph carries besides its nodes (stored as metadata_props)."""

    timesteps: int
    encoder: EncoderKind | None  # None: the host sends spike trains
    encoder_seed: int
    readout: str
    classes: list[str]
    input_shape: list[int]
    source: str = ""
    dataset: str = ""  # the dataset the model was trained on, when known (build uses its test split)

    def to_dict(self) -> dict[str, Any]:
        return {
            "timesteps": self.timesteps,
            "encoder": self.encoder.value if self.encoder else "none",
            "encoder_seed": self.encoder_seed,
            "input_bits": INPUT_BITS,
            "input_scale": 1.0 / ((1 << INPUT_BITS) - 1),
            "readout": self.readout,
            "classes": self.classes,
            "input_shape": self.input_shape,
            "source": self.source,
            "dataset": self.dataset,
        }


def _vi(name: str, elem: int, shape: list[int], batch_axis: int | None) -> onnx.ValueInfoProto:
    vi = helper.make_tensor_value_info(name, elem, shape)
    if batch_axis is not None:
        vi.doc_string = f"{BATCH_DOC}{batch_axis}"
    return vi


def _layer_nodes(layer: ExportLayer, src: str, steps: int) -> tuple[list[Any], list[Any], list[Any], str, str]:
    """Nodes, initializers and value_infos of one layer; returns its spike and vfinal tensor names."""
    n = layer.name
    out_ch, in_ch = layer.weight.shape
    inits = [
        numpy_helper.from_array(layer.weight.T.astype(np.float32), f"{n}_weight"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), f"{n}_scale"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), f"{n}_zeropt"),
        numpy_helper.from_array(np.array(float(layer.synapse.weight_bits), dtype=np.float32), f"{n}_bitwidth"),
    ]
    nodes = [
        helper.make_node(
            "Quant", [f"{n}_weight", f"{n}_scale", f"{n}_zeropt", f"{n}_bitwidth"], [f"{n}_wq"],
            name=f"{n}_quant", domain=QONNX_DOMAIN, signed=1, narrow=1, rounding_mode="ROUND",
        ),
        helper.make_node("MatMul", [src, f"{n}_wq"], [f"{n}_current"], name=f"{n}_matmul"),
    ]
    p = layer.neuron.params
    attrs: dict[str, Any] = dict(
        leak=p.leak.value, leak_shift=p.leak_shift, beta_q=p.beta_q, beta_frac_bits=p.beta_frac_bits,
        state_bits=p.state_bits, weight_scale=[float(s) for s in layer.scale],
    )
    vinfos = [
        _vi(f"{n}_wq", TensorProto.FLOAT, [in_ch, out_ch], None),
        _vi(f"{n}_current", TensorProto.FLOAT, [steps, 1, out_ch], 1),
        _vi(f"{n}_vfinal", TensorProto.INT64, [1, out_ch], 0),
        _vi(f"{n}_sat", TensorProto.INT64, [1], 0),
    ]
    if layer.neuron.spiking:
        attrs.update(reset=p.reset.value, threshold=[int(t) for t in layer.threshold])
        outs = [f"{n}_spikes", f"{n}_vfinal", f"{n}_sat"]
        nodes.append(helper.make_node("LIF", [f"{n}_current"], outs, name=f"{n}_lif", domain=DOMAIN, **attrs))
        vinfos.append(_vi(f"{n}_spikes", TensorProto.FLOAT, [steps, 1, out_ch], 1))
    else:
        outs = [f"{n}_vfinal", f"{n}_sat"]
        nodes.append(
            helper.make_node("LeakyIntegrator", [f"{n}_current"], outs, name=f"{n}_li", domain=DOMAIN, **attrs)
        )
    return nodes, inits, vinfos, f"{n}_spikes", f"{n}_vfinal"


def build_graph(layers: list[ExportLayer], meta: GraphMeta) -> ModelWrapper:
    """The QONNX model of ``layers`` (batch 1), with datatypes and metadata annotated."""
    steps = meta.timesteps
    n_in = layers[0].weight.shape[1]
    nodes: list[Any] = []
    inits: list[Any] = []
    vinfos: list[Any] = []
    if meta.encoder is not None:
        inp = _vi(GRAPH_INPUT, TensorProto.FLOAT, [1, n_in], 0)
        nodes.append(helper.make_node(
            "SpikeEncoder", [GRAPH_INPUT], ["spikes_in"], name="encoder", domain=DOMAIN,
            kind=meta.encoder.value, timesteps=steps, seed=meta.encoder_seed,
        ))
        vinfos.append(_vi("spikes_in", TensorProto.FLOAT, [steps, 1, n_in], 1))
        src = "spikes_in"
    else:
        inp = _vi(GRAPH_INPUT, TensorProto.FLOAT, [steps, 1, n_in], 1)
        src = GRAPH_INPUT
    vfinal = ""
    for layer in layers:
        l_nodes, l_inits, l_vis, src, vfinal = _layer_nodes(layer, src, steps)
        nodes += l_nodes
        inits += l_inits
        vinfos += l_vis
    n_cls = layers[-1].weight.shape[0]
    if layers[-1].neuron.spiking:
        inits.append(numpy_helper.from_array(np.array([0], dtype=np.int64), "time_axis"))
        nodes.append(helper.make_node("ReduceSum", [src, "time_axis"], [SCORES], name="spike_count", keepdims=0))
        scores_elem = TensorProto.FLOAT
    else:
        nodes.append(helper.make_node("Identity", [vfinal], [SCORES], name="readout"))
        scores_elem = TensorProto.INT64
    nodes.append(helper.make_node("ArgMax", [SCORES], [PREDICTION], name="argmax", axis=1, keepdims=0,
                                  select_last_index=0))
    outputs = [_vi(SCORES, scores_elem, [1, n_cls], 0), _vi(PREDICTION, TensorProto.INT64, [1], 0)]
    graph = helper.make_graph(nodes, "snn2fpga", [inp], outputs, initializer=inits, value_info=vinfos)
    proto = helper.make_model(
        graph, producer_name="snn2fpga",
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(DOMAIN, 1),
                       helper.make_opsetid(QONNX_DOMAIN, 1)],
    )
    model = ModelWrapper(proto)
    _annotate(model, layers, meta)
    return model


def _annotate(model: ModelWrapper, layers: list[ExportLayer], meta: GraphMeta) -> None:
    model.set_tensor_datatype(GRAPH_INPUT, DataType["UINT8"] if meta.encoder else DataType["BINARY"])
    if meta.encoder is not None:
        model.set_tensor_datatype("spikes_in", DataType["BINARY"])
    for layer in layers:
        n, p = layer.name, layer.neuron.params
        model.set_tensor_datatype(f"{n}_wq", DataType[f"INT{layer.synapse.weight_bits}"])
        model.set_tensor_datatype(f"{n}_current", DataType["INT32"])
        model.set_tensor_datatype(f"{n}_vfinal", DataType[f"INT{p.state_bits}"])
        if layer.neuron.spiking:
            model.set_tensor_datatype(f"{n}_spikes", DataType["BINARY"])
    d = meta.to_dict()
    model.set_metadata_prop(METADATA_KEY, json.dumps(d, sort_keys=True))
    for key in ("timesteps", "encoder", "encoder_seed", "readout"):
        model.set_metadata_prop(f"{METADATA_KEY}.{key}", str(d[key]))
    model.set_metadata_prop(f"{METADATA_KEY}.classes", json.dumps(d["classes"]))
    model.set_metadata_prop(f"{METADATA_KEY}.input_shape", json.dumps(d["input_shape"]))


def read_meta(model: ModelWrapper) -> dict[str, Any]:
    """The snn2fpga metadata of an exported graph."""
    raw = model.get_metadata_prop(METADATA_KEY)
    if raw is None:
        raise ValueError("not an snn2fpga graph (metadata missing)")
    return json.loads(raw)


def input_batch_axis(model: ModelWrapper) -> int:
    """Which axis of the graph input is the batch (0 for features, 1 for spike trains)."""
    doc = model.graph.input[0].doc_string
    return int(doc[len(BATCH_DOC):]) if doc.startswith(BATCH_DOC) else 0


def set_batch(model: ModelWrapper, batch: int) -> ModelWrapper:
    """A copy of an exported model whose batch dimension is ``batch`` (for batched execution)."""
    proto = onnx.ModelProto()
    proto.CopyFrom(model.model)
    for vi in [*proto.graph.input, *proto.graph.output, *proto.graph.value_info]:
        if vi.doc_string.startswith(BATCH_DOC):
            axis = int(vi.doc_string[len(BATCH_DOC):])
            vi.type.tensor_type.shape.dim[axis].dim_value = batch
    return ModelWrapper(proto)
