"""Emit the QONNX graph of an SNN with onnx.helper.

Time is explicit inside the ops: the graph processes whole sequences. One sample (batch 1) at a time::

    global_in  uint8 features [1, N]  | I/Q codes [1, T, 2]  | binary spikes [T, 1, N] (host-encoded)
    SpikeEncoder -> spikes [T, 1, N]  | IQPlaneEncoder -> spike maps [T*1, 1, G, G]
    per dense layer:  Quant(W integer, scale 1) -> MatMul(spikes, W^T) -> current [T, 1, C] (integer)
    per conv layer:   Quant(W integer, scale 1) -> Conv(maps, W) -> current [T*1, C, H, W]
                      then LIF -> spikes, vfinal [1, ...], sat [1] | LeakyIntegrator | DCLL
    pool / flatten:   MaxPool (OR of 0/1 maps) / Reshape to [T, 1, C*H*W]
    readout:          scores = vfinal of the LI readout | spike counts (ReduceSum over T)
                      prediction = ArgMax(scores) (first maximum on ties)

The weights' Quant nodes carry the integer weights with scale 1 so that the MatMul/Conv sums stay
exact integers in float32; the real per-channel weight scale is the neuron node's ``weight_scale``
attribute. Every value_info carries its batch axis in ``doc_string`` ("batch_axis=K", or
"tbatch_axis=0,T=<T>" for maps that fold time into the batch) so that :func:`set_batch` can re-shape
the saved graph for batched execution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.graph_stages import (
    BATCH_DOC,
    QONNX_DOMAIN,
    TBATCH_DOC,
    GraphParts,
    flatten_nodes,
    make_vi,
    maps_from_vectors,
    pool_nodes,
    weighted_nodes,
)
from snn2fpga.export.stages import ExportLayer, StageKind
from snn2fpga.ops import DOMAIN
from snn2fpga.semantics.encoders import INPUT_BITS, EncoderKind

OPSET = 17
GRAPH_INPUT = "global_in"
SCORES = "scores"
PREDICTION = "prediction"
METADATA_KEY = "snn2fpga"


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
    grid: int = 0  # iq_plane encoder: bins per axis
    iq_range: float = 1.0  # iq_plane encoder: range of the normalised I/Q plane
    iq_norm: str = "peak"  # iq_plane encoder: per-frame normalisation on the host
    dataset_selection: dict[str, Any] | None = None  # radio datasets: how the split was drawn

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
            "dataset_selection": self.dataset_selection or {},
            **({"grid": self.grid, "iq_range": self.iq_range, "iq_norm": self.iq_norm}
               if self.encoder is EncoderKind.IQ_PLANE else {}),
        }


def build_graph(layers: list[ExportLayer], meta: GraphMeta) -> ModelWrapper:
    """The QONNX model of ``layers`` (batch 1), with datatypes and metadata annotated."""
    steps = meta.timesteps
    parts = GraphParts(steps)
    first_in = layers[0].in_shape
    if meta.encoder is EncoderKind.IQ_PLANE:
        inp = make_vi(GRAPH_INPUT, TensorProto.FLOAT, [1, steps, 2], 0)
        parts.nodes.append(helper.make_node("IQPlaneEncoder", [GRAPH_INPUT], ["spikes_in"], name="encoder",
                                            domain=DOMAIN, grid=meta.grid, timesteps=steps))
        parts.vi("spikes_in", TensorProto.FLOAT, [steps, 1, meta.grid, meta.grid], tbatch=True)
        src = "spikes_in"
        if len(first_in) == 1:  # a dense first layer: the plane flattened, row-major (as torch's flatten)
            parts.init("spikes_in_shape", np.array([steps, -1, meta.grid * meta.grid], dtype=np.int64))
            parts.nodes.append(helper.make_node("Reshape", [src, "spikes_in_shape"], ["spikes_in_flat"],
                                                name="encoder_flatten"))
            parts.vi("spikes_in_flat", TensorProto.FLOAT, [steps, 1, meta.grid * meta.grid], batch_axis=1)
            src = "spikes_in_flat"
    elif meta.encoder is not None:
        n_in = int(np.prod(first_in))
        inp = make_vi(GRAPH_INPUT, TensorProto.FLOAT, [1, n_in], 0)
        parts.nodes.append(helper.make_node(
            "SpikeEncoder", [GRAPH_INPUT], ["spikes_in"], name="encoder", domain=DOMAIN,
            kind=meta.encoder.value, timesteps=steps, seed=meta.encoder_seed,
        ))
        parts.vi("spikes_in", TensorProto.FLOAT, [steps, 1, n_in], batch_axis=1)
        src = "spikes_in"
        if len(first_in) == 3:
            src = maps_from_vectors(parts, src, first_in, "spikes_in_maps")
    else:
        if len(first_in) == 3:
            inp = make_vi(GRAPH_INPUT, TensorProto.FLOAT, [steps, *first_in], None, steps)
        else:
            inp = make_vi(GRAPH_INPUT, TensorProto.FLOAT, [steps, 1, *first_in], 1)
        src = GRAPH_INPUT
    vfinal = ""
    for layer in layers:
        if layer.kind is StageKind.POOL:
            src = pool_nodes(parts, layer, src)
        elif layer.kind is StageKind.FLATTEN:
            src = flatten_nodes(parts, layer, src)
        else:
            src, vfinal = weighted_nodes(parts, layer, src)
    last = layers[-1]
    if last.kind is not StageKind.DENSE:
        raise SNN2FPGAError("the readout must be a dense layer: end the network with SpikeFlatten + QuantLinear + LI")
    n_cls = last.out_shape[0]
    if last.spiking:
        parts.init("time_axis", np.array([0], dtype=np.int64))
        parts.nodes.append(helper.make_node("ReduceSum", [src, "time_axis"], [SCORES], name="spike_count",
                                            keepdims=0))
        scores_elem = TensorProto.FLOAT
    else:
        parts.nodes.append(helper.make_node("Identity", [vfinal], [SCORES], name="readout"))
        scores_elem = TensorProto.INT64
    parts.nodes.append(helper.make_node("ArgMax", [SCORES], [PREDICTION], name="argmax", axis=1, keepdims=0,
                                        select_last_index=0))
    outputs = [make_vi(SCORES, scores_elem, [1, n_cls], 0), make_vi(PREDICTION, TensorProto.INT64, [1], 0)]
    graph = helper.make_graph(parts.nodes, "snn2fpga", [inp], outputs, initializer=parts.inits,
                              value_info=parts.vinfos)
    proto = helper.make_model(
        graph, producer_name="snn2fpga",
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(DOMAIN, 1),
                       helper.make_opsetid(QONNX_DOMAIN, 1)],
    )
    model = ModelWrapper(proto)
    _annotate(model, layers, meta)
    return model


def _annotate(model: ModelWrapper, layers: list[ExportLayer], meta: GraphMeta) -> None:
    in_type = {None: "BINARY", EncoderKind.IQ_PLANE: "INT8"}.get(meta.encoder, "UINT8")
    model.set_tensor_datatype(GRAPH_INPUT, DataType[in_type])
    if meta.encoder is not None:
        model.set_tensor_datatype("spikes_in", DataType["BINARY"])
    for layer in layers:
        n = layer.name
        if not layer.weighted:
            model.set_tensor_datatype(f"{n}_spikes", DataType["BINARY"])
            continue
        assert layer.synapse is not None
        state_bits = layer.dcll.state_bits if layer.dcll else layer.neuron.params.state_bits  # type: ignore[union-attr]
        model.set_tensor_datatype(f"{n}_wq", DataType[f"INT{layer.synapse.weight_bits}"])
        model.set_tensor_datatype(f"{n}_current", DataType["INT32"])
        model.set_tensor_datatype(f"{n}_vfinal", DataType[f"INT{state_bits}"])
        if layer.spiking:
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


def input_batch(model: ModelWrapper, graph_input: np.ndarray) -> int:
    """The batch size of an input for this graph (features [B, ...], spike trains [T, B, ...] or
    spike maps [T*B, C, H, W])."""
    doc = model.graph.input[0].doc_string
    if doc.startswith(TBATCH_DOC):
        return int(graph_input.shape[0]) // int(doc.split(",T=")[1])
    return int(graph_input.shape[int(doc[len(BATCH_DOC):]) if doc.startswith(BATCH_DOC) else 0])


def set_batch(model: ModelWrapper, batch: int) -> ModelWrapper:
    """A copy of an exported model whose batch dimension is ``batch`` (for batched execution)."""
    proto = onnx.ModelProto()
    proto.CopyFrom(model.model)
    for vi in [*proto.graph.input, *proto.graph.output, *proto.graph.value_info]:
        if vi.doc_string.startswith(BATCH_DOC):
            axis = int(vi.doc_string[len(BATCH_DOC):])
            vi.type.tensor_type.shape.dim[axis].dim_value = batch
        elif vi.doc_string.startswith(TBATCH_DOC):
            axis_text, steps_text = vi.doc_string[len(TBATCH_DOC):].split(",T=")
            vi.type.tensor_type.shape.dim[int(axis_text)].dim_value = batch * int(steps_text)
    return ModelWrapper(proto)
