"""Hardware ops over spike maps: spiking convolution (LIF/IF or DCLL neurons) and OR pooling.

In the graph, maps are [T*B, C, H, W] (time folded into the batch) and execution is the integer
reference; in hardware they are streamed per timestep in raster order with channels innermost (NHWC),
``SIMD`` channels per word. A convolution fed by the I/Q encoder runs event-driven (``event = 1``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from qonnx.custom_op.base import CustomOp

from snn2fpga.hwir.facts import StageFacts
from snn2fpga.hwir.hls_maps import SpikePoolFacts, SpikingConvFacts
from snn2fpga.ops.base import SpikeOutputOp, StoredShapeOp
from snn2fpga.ops.hw import HW_NEURON_ATTRS, run_hw_neurons
from snn2fpga.ops.neuron_ops import _NeuronOp
from snn2fpga.semantics.conv import conv_currents, conv_out_size, maxpool_spikes


class SpikingConv(StoredShapeOp, _NeuronOp):
    """Spiking convolution (square kernel K, stride, zero padding) with fused LIF/IF or DCLL neurons.

    Folding: PE output channels and SIMD input channels per cycle (PE | COUT, SIMD | CIN).
    """

    spiking = True
    hw_facts: ClassVar[type[StageFacts]] = SpikingConvFacts

    def get_nodeattr_types(self) -> dict[str, Any]:
        attrs = dict(super().get_nodeattr_types())
        attrs.update({
            "H": ("i", True, 1), "W": ("i", True, 1), "CIN": ("i", True, 1), "COUT": ("i", True, 1),
            "K": ("i", True, 1), "STRIDE": ("i", False, 1), "PAD": ("i", False, 0), "T": ("i", True, 1),
            "PE": ("i", False, 1), "SIMD": ("i", False, 1), "weight_bits": ("i", True, 4),
            "event": ("i", False, 0),  # 1: one input spike per timestep from the I/Q encoder (CIN == 1)
            **HW_NEURON_ATTRS,
        })
        return attrs

    def out_hw(self) -> tuple[int, int]:
        g = self.get_nodeattr
        k, s, p = int(g("K")), int(g("STRIDE")), int(g("PAD"))
        return conv_out_size(int(g("H")), k, s, p), conv_out_size(int(g("W")), k, s, p)

    def run(self, current: np.ndarray) -> Any:
        return run_hw_neurons(self, current)

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        steps = int(self.get_nodeattr("T"))
        maps = np.asarray(context[node.input[0]])
        spikes = maps.reshape(steps, maps.shape[0] // steps, *maps.shape[1:]).astype(np.uint8)
        weight = np.rint(np.asarray(context[node.input[1]])).astype(np.int64)  # [COUT, CIN, K, K]
        cur = conv_currents(spikes, weight, int(self.get_nodeattr("STRIDE")), int(self.get_nodeattr("PAD")))
        folded = cur.reshape(-1, *cur.shape[2:])
        trace = self.run(folded.astype(np.float64))
        outs = list(node.output)
        context[outs[0]] = trace.spikes.astype(np.float32).reshape(folded.shape)
        context[outs[1]] = trace.v_final.reshape(cur.shape[1:])
        if len(outs) > 2:
            context[outs[2]] = trace.saturations

    def verify_node(self) -> list[str]:
        g = self.get_nodeattr
        msgs = []
        if int(g("CIN")) % int(g("SIMD")):
            msgs.append(f"SIMD={g('SIMD')} does not divide CIN={g('CIN')}")
        if int(g("COUT")) % int(g("PE")):
            msgs.append(f"PE={g('PE')} does not divide COUT={g('COUT')}")
        if int(g("event")) and int(g("CIN")) != 1:
            msgs.append("the event-driven convolution needs CIN == 1")
        return msgs


class SpikePool(SpikeOutputOp):
    """OR pooling of spike maps over K x K windows with stride K. Folding: SIMD channels per word."""

    hw_facts: ClassVar[type[StageFacts]] = SpikePoolFacts

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {"H": ("i", True, 1), "W": ("i", True, 1), "C": ("i", True, 1), "K": ("i", True, 2),
                "T": ("i", True, 1), "SIMD": ("i", False, 1)}

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        steps = int(self.get_nodeattr("T"))
        maps = np.asarray(context[node.input[0]])
        spikes = maps.reshape(steps, maps.shape[0] // steps, *maps.shape[1:])
        out = maxpool_spikes(spikes, int(self.get_nodeattr("K")))
        context[node.output[0]] = out.reshape(-1, *out.shape[2:]).astype(np.float32)

    def verify_node(self) -> list[str]:
        return [] if int(self.get_nodeattr("C")) % int(self.get_nodeattr("SIMD")) == 0 else ["SIMD must divide C"]


HW_MAP_OPS: tuple[type[CustomOp], ...] = (SpikingConv, SpikePool)
