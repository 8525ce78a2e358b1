"""Nodes of each exported stage (see graph.py for the overall layout).

Vectors travel as [T, B, N] (batch axis 1). Spike maps travel as [T*B, C, H, W] (time-major; the
standard Conv / MaxPool ops see T*B images), marked ``tbatch_axis=0,T=<T>`` so that the batch can be
changed; neuron ops carry ``timesteps`` to unfold them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from snn2fpga.export.stages import ExportLayer, StageKind
from snn2fpga.ops import DOMAIN

QONNX_DOMAIN = "qonnx.custom_op.general"
BATCH_DOC = "batch_axis="
TBATCH_DOC = "tbatch_axis="


@dataclass
class GraphParts:
    """Accumulates nodes, initializers and value_infos while the graph is emitted."""

    steps: int
    nodes: list[Any] = field(default_factory=list)
    inits: list[Any] = field(default_factory=list)
    vinfos: list[Any] = field(default_factory=list)

    def vi(self, name: str, elem: int, shape: list[int], batch_axis: int | None = None, tbatch: bool = False) -> None:
        self.vinfos.append(make_vi(name, elem, shape, batch_axis, self.steps if tbatch else None))

    def init(self, name: str, value: np.ndarray) -> None:
        self.inits.append(numpy_helper.from_array(value, name))


def make_vi(name: str, elem: int, shape: list[int], batch_axis: int | None, tbatch_steps: int | None = None
            ) -> onnx.ValueInfoProto:
    """A value_info whose doc_string says where the batch is (plain or folded with time)."""
    vi = helper.make_tensor_value_info(name, elem, shape)
    if tbatch_steps is not None:
        vi.doc_string = f"{TBATCH_DOC}0,T={tbatch_steps}"
    elif batch_axis is not None:
        vi.doc_string = f"{BATCH_DOC}{batch_axis}"
    return vi


def maps_from_vectors(parts: GraphParts, src: str, shape: tuple[int, ...], name: str) -> str:
    """Reshape [T, B, C*H*W] spikes into maps [T*B, C, H, W]."""
    parts.init(f"{name}_shape", np.array([-1, *shape], dtype=np.int64))
    parts.nodes.append(helper.make_node("Reshape", [src, f"{name}_shape"], [name], name=f"{name}_reshape"))
    parts.vi(name, TensorProto.FLOAT, [parts.steps, *shape], tbatch=True)
    return name


def pool_nodes(parts: GraphParts, layer: ExportLayer, src: str) -> str:
    """OR pooling = MaxPool of 0/1 spike maps."""
    out = f"{layer.name}_spikes"
    k = layer.pool
    parts.nodes.append(helper.make_node("MaxPool", [src], [out], name=layer.name, kernel_shape=[k, k],
                                        strides=[k, k]))
    parts.vi(out, TensorProto.FLOAT, [parts.steps, *layer.out_shape], tbatch=True)
    return out


def flatten_nodes(parts: GraphParts, layer: ExportLayer, src: str) -> str:
    """Spike maps [T*B, C, H, W] -> vectors [T, B, C*H*W] (C-major, as torch)."""
    out = f"{layer.name}_spikes"
    parts.init(f"{layer.name}_shape", np.array([parts.steps, -1, layer.out_shape[0]], dtype=np.int64))
    parts.nodes.append(helper.make_node("Reshape", [src, f"{layer.name}_shape"], [out], name=layer.name))
    parts.vi(out, TensorProto.FLOAT, [parts.steps, 1, layer.out_shape[0]], batch_axis=1)
    return out


def _neuron_attrs(layer: ExportLayer) -> tuple[str, dict[str, Any]]:
    from snn2fpga.nn.dcll import DCLL

    assert layer.scale is not None and layer.threshold is not None
    attrs: dict[str, Any] = {"weight_scale": [float(s) for s in layer.scale], "timesteps": 0}
    if isinstance(layer.neuron, DCLL):
        d = layer.dcll
        assert d is not None
        attrs.update(state_bits=d.state_bits, kq=d.kq, kp=d.kp, kr=d.kr, rho=d.rho, frac_bits=d.frac_bits,
                     threshold=[int(t) for t in layer.threshold])
        return "DCLL", attrs
    p = layer.neuron.params  # type: ignore[union-attr]
    attrs.update(leak=p.leak.value, leak_shift=p.leak_shift, beta_q=p.beta_q, beta_frac_bits=p.beta_frac_bits,
                 state_bits=p.state_bits)
    if layer.spiking:
        attrs.update(reset=p.reset.value, threshold=[int(t) for t in layer.threshold])
        return "LIF", attrs
    return "LeakyIntegrator", attrs


def weighted_nodes(parts: GraphParts, layer: ExportLayer, src: str) -> tuple[str, str]:
    """Quant (integer weights, scale 1) -> MatMul / Conv -> neuron op. Returns (spikes, vfinal) names."""
    assert layer.weight is not None and layer.synapse is not None
    n, steps = layer.name, parts.steps
    conv = layer.kind is StageKind.CONV
    weight = layer.weight if conv else layer.weight.T
    parts.init(f"{n}_weight", weight.astype(np.float32))
    parts.init(f"{n}_scale", np.array(1.0, dtype=np.float32))
    parts.init(f"{n}_zeropt", np.array(0.0, dtype=np.float32))
    parts.init(f"{n}_bitwidth", np.array(float(layer.synapse.weight_bits), dtype=np.float32))
    parts.nodes.append(helper.make_node(
        "Quant", [f"{n}_weight", f"{n}_scale", f"{n}_zeropt", f"{n}_bitwidth"], [f"{n}_wq"], name=f"{n}_quant",
        domain=QONNX_DOMAIN, signed=1, narrow=1, rounding_mode="ROUND",
    ))
    parts.vi(f"{n}_wq", TensorProto.FLOAT, list(weight.shape))
    if conv:
        syn = layer.synapse
        k, pad, stride = syn.kernel, syn.conv_padding, syn.conv_stride  # type: ignore[union-attr]
        parts.nodes.append(helper.make_node("Conv", [src, f"{n}_wq"], [f"{n}_current"], name=f"{n}_conv",
                                            kernel_shape=[k, k], pads=[pad] * 4, strides=[stride, stride]))
        parts.vi(f"{n}_current", TensorProto.FLOAT, [steps, *layer.out_shape], tbatch=True)
    else:
        parts.nodes.append(helper.make_node("MatMul", [src, f"{n}_wq"], [f"{n}_current"], name=f"{n}_matmul"))
        parts.vi(f"{n}_current", TensorProto.FLOAT, [steps, 1, *layer.out_shape], batch_axis=1)
    op, attrs = _neuron_attrs(layer)
    if conv:
        attrs["timesteps"] = steps
    outs = [f"{n}_vfinal", f"{n}_sat"]
    if layer.spiking:
        outs.insert(0, f"{n}_spikes")
        if conv:
            parts.vi(f"{n}_spikes", TensorProto.FLOAT, [steps, *layer.out_shape], tbatch=True)
        else:
            parts.vi(f"{n}_spikes", TensorProto.FLOAT, [steps, 1, *layer.out_shape], batch_axis=1)
    parts.nodes.append(helper.make_node(op, [f"{n}_current"], outs, name=f"{n}_{op.lower()}", domain=DOMAIN, **attrs))
    parts.vi(f"{n}_vfinal", TensorProto.INT64, [1, *layer.out_shape], batch_axis=0)
    parts.vi(f"{n}_sat", TensorProto.INT64, [1], batch_axis=0)
    return f"{n}_spikes", f"{n}_vfinal"
