"""Hardware-level abstract ops ("what"): the dataflow stages of the FPGA design.

Each op says what a stage computes (shapes, folding attributes, numpy execution = the reference);
its HLS backend in :mod:`snn2fpga.ops.hls` says how (code generation). Domain ``snn2fpga.ops.hw``.
Each op class names in ``hw_facts`` what is true of its hardware (cycles, resources, legal foldings:
:mod:`snn2fpga.hwir.facts`); the abstract op's facts are its HLS backend's, which inherits them, and
a backend that differs names its own.

Stages and their folding:

* ``SpikeInput``: the input stage. ``kind`` rate / latency: on-chip encoder of uint8 features
  [B, IN] -> spikes [T, B, IN]; ``spikes``: unpacks host-encoded spike trains. Its output words are
  ``SIMD`` spikes wide (SIMD = the consumer's SIMD).
* ``SpikingDense``: binary spikes [T, B, IN] x integer weights [IN, OUT] with the fused LIF/IF update;
  ``PE`` neurons and ``SIMD`` synapses per cycle (PE | OUT, SIMD | IN).
* ``DenseReadout``: the same synapse with the non-spiking leaky-integrator readout.
* ``SpikeCounter``: spike counts over T of a spiking last layer ([T, B, C] -> [B, C]).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from onnx import NodeProto
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.facts import StageFacts
from snn2fpga.hwir.hls_dense import DenseReadoutFacts, SpikingDenseFacts
from snn2fpga.hwir.hls_io import SpikeCounterFacts, SpikeInputFacts
from snn2fpga.hwir.spec import Backend
from snn2fpga.ops.base import SpikeOutputOp
from snn2fpga.ops.neuron_ops import _NeuronOp
from snn2fpga.semantics.dcll import DCLLParams, run_dcll
from snn2fpga.semantics.encoders import EncoderKind, encode
from snn2fpga.semantics.iq import iq_plane_encode
from snn2fpga.semantics.neuron import dense_currents

HW_DOMAIN = Backend.HW.domain
INPUT_KINDS = {"rate", "latency", "spikes", "iq"}
HW_NEURON_ATTRS: dict[str, Any] = {
    "neuron": ("s", False, "lif", {"lif", "dcll"}),  # LIF/IF (leak attrs) or DCLL (kq, kp, kr, rho)
    "kq": ("i", False, 0),
    "kp": ("i", False, 0),
    "kr": ("i", False, 0),
    "rho": ("i", False, 0),
    "frac_bits": ("i", False, 0),
}


def run_hw_neurons(op: _NeuronOp, current: np.ndarray) -> Any:
    """The reference neuron update of a hardware node: LIF/IF/LI, or DCLL when ``neuron == "dcll"``."""
    if op.get_nodeattr("neuron") != "dcll":
        return _NeuronOp.run(op, current)
    cur, _, per_channel = op.unfold(current)
    theta = np.repeat(op.thresholds(cur.shape[2] // per_channel), per_channel)
    g = op.get_nodeattr
    return run_dcll(cur, theta, DCLLParams(int(g("state_bits")), int(g("kq")), int(g("kp")), int(g("kr")),
                                           int(g("rho")), int(g("frac_bits"))))


class SpikeInput(SpikeOutputOp):
    """Input stage: on-chip encoder (rate/latency) or unpacking of host-encoded spikes."""

    hw_facts: ClassVar[type[StageFacts]] = SpikeInputFacts

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {
            "kind": ("s", True, "rate", INPUT_KINDS),
            "IN": ("i", True, 1),
            "T": ("i", True, 1),
            "seed": ("i", False, 0),
            "SIMD": ("i", False, 1),
            "G": ("i", False, 0),  # kind iq: grid bins per axis
            "out_maps": ("ints", False, []),  # [C, H, W] when a convolution consumes the spikes
        }

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        x = context[node.input[0]]
        kind = self.get_nodeattr("kind")
        steps, seed = int(self.get_nodeattr("T")), int(self.get_nodeattr("seed"))
        if kind == "iq":
            grid = int(self.get_nodeattr("G"))
            spikes = iq_plane_encode(np.rint(x).astype(np.int64), grid).reshape(-1, 1, grid, grid)
        elif kind == "spikes":
            spikes = np.asarray(x)
        else:
            spikes = encode(x, EncoderKind(kind), steps, seed)
        maps = [int(d) for d in self.get_nodeattr("out_maps")]
        if maps and spikes.ndim == 3:
            spikes = spikes.reshape(-1, *maps)
        context[node.output[0]] = np.asarray(spikes, dtype=np.float32)

    def verify_node(self) -> list[str]:
        msgs = []
        if self.get_nodeattr("kind") != "iq" and int(self.get_nodeattr("IN")) % int(self.get_nodeattr("SIMD")):
            msgs.append("SIMD must divide IN")
        return msgs


class _DenseBase(_NeuronOp):
    """Synapse + neuron update of one layer, folded by PE (neurons) and SIMD (synapses)."""

    def get_nodeattr_types(self) -> dict[str, Any]:
        attrs = dict(super().get_nodeattr_types())
        attrs.update({
            "IN": ("i", True, 1),
            "OUT": ("i", True, 1),
            "T": ("i", True, 1),
            "PE": ("i", False, 1),
            "SIMD": ("i", False, 1),
            "weight_bits": ("i", True, 4),
            **HW_NEURON_ATTRS,
            # [C, H, W] when the input is a spike map (flattened C-major here; streamed NHWC in hardware)
            "in_maps": ("ints", False, []),
        })
        return attrs

    def run(self, current: np.ndarray) -> Any:
        return run_hw_neurons(self, current)

    def folds(self) -> tuple[int, int]:
        """(NF, SF): neuron folds OUT/PE and synapse folds IN/SIMD."""
        return int(self.get_nodeattr("OUT")) // int(self.get_nodeattr("PE")), int(
            self.get_nodeattr("IN")
        ) // int(self.get_nodeattr("SIMD"))

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        spikes = np.asarray(context[node.input[0]])
        if spikes.ndim == 4:  # a flattened spike map [T*B, C, H, W] -> [T, B, C*H*W]
            steps = int(self.get_nodeattr("T"))
            spikes = spikes.reshape(steps, spikes.shape[0] // steps, -1)
        weight = np.asarray(context[node.input[1]])  # [IN, OUT] integer-valued
        currents = dense_currents(spikes.astype(np.uint8), np.rint(weight).astype(np.int64).T)
        trace = self.run(currents.astype(np.float64))
        outs = list(node.output)
        if self.spiking:
            context[outs.pop(0)] = trace.spikes.astype(np.float32)
        context[outs[0]] = trace.v_final
        if len(outs) > 1:
            context[outs[1]] = trace.saturations

    def verify_node(self) -> list[str]:
        msgs = super().verify_node()
        n_in, n_out = int(self.get_nodeattr("IN")), int(self.get_nodeattr("OUT"))
        if n_in % int(self.get_nodeattr("SIMD")):
            msgs.append(f"SIMD={self.get_nodeattr('SIMD')} does not divide IN={n_in}")
        if n_out % int(self.get_nodeattr("PE")):
            msgs.append(f"PE={self.get_nodeattr('PE')} does not divide OUT={n_out}")
        return msgs


class SpikingDense(_DenseBase):
    """Spiking fully connected layer with the fused LIF/IF update."""

    hw_facts: ClassVar[type[StageFacts]] = SpikingDenseFacts

    spiking = True


class DenseReadout(_DenseBase):
    """Fully connected synapse feeding the non-spiking leaky-integrator readout."""

    hw_facts: ClassVar[type[StageFacts]] = DenseReadoutFacts

    spiking = False

    def make_shape_compatible_op(self, model: Any) -> NodeProto:
        shape = model.get_tensor_shape(self.onnx_node.input[0])
        return self.make_const_shape_op([shape[1], int(self.get_nodeattr("OUT"))])


class SpikeCounter(CustomOp):
    """Spike counts over the T timesteps of a sample: [T, B, C] -> [B, C]."""

    hw_facts: ClassVar[type[StageFacts]] = SpikeCounterFacts

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {"C": ("i", True, 1), "T": ("i", True, 1), "SIMD": ("i", False, 1)}

    def make_shape_compatible_op(self, model: Any) -> NodeProto:
        shape = model.get_tensor_shape(self.onnx_node.input[0])
        return self.make_const_shape_op(shape[1:])

    def infer_node_datatype(self, model: Any) -> None:
        model.set_tensor_datatype(self.onnx_node.output[0], DataType["INT32"])

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        context[node.output[0]] = np.asarray(context[node.input[0]]).sum(axis=0).astype(np.float32)

    def verify_node(self) -> list[str]:
        return []


HW_OPS: tuple[type[CustomOp], ...] = (SpikeInput, SpikingDense, DenseReadout, SpikeCounter)


def check_legal_folding(op: CustomOp) -> None:
    """Raise a clear error when a node's PE/SIMD are illegal."""
    msgs = op.verify_node()
    if msgs:
        raise SNN2FPGAError(f"node {op.onnx_node.name}: illegal folding: {'; '.join(msgs)}")

__all__ = ["DenseReadout", "SpikeCounter", "SpikeInput", "SpikingDense"]
