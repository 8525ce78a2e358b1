"""Abstract QONNX custom ops for the neuron state updates.

Both ops take the synaptic current of a whole sequence [T, B, C] (an integer-valued float32 tensor, the
output of a MatMul of binary spikes with integer weights) and run the integer reference of
:mod:`snn2fpga.semantics.neuron` with state reset at the sample start. Every integer parameter is an
attribute. Outputs:

* ``LIF``: spikes [T, B, C] (float32 0/1), final membrane [B, C] (int64), saturations [B] (int64).
  ``leak="none"`` is an IF neuron.
* ``LeakyIntegrator`` (non-spiking readout): final membrane [B, C] (int64), saturations [B] (int64).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics.dcll import DCLLParams, run_dcll
from snn2fpga.semantics.neuron import (
    LeakMode,
    NeuronParams,
    NeuronTrace,
    ResetMode,
    integer_valued,
    run_neurons,
)

_LEAKS = {m.value for m in LeakMode}
_BLOCK_NEURONS = 1 << 15  # (sample, neuron) pairs per block of LIF.run: 256 KiB per int64 state array
_RESETS = {m.value for m in ResetMode}


class _NeuronOp(CustomOp):
    """Shared attributes and execution of the neuron update ops."""

    spiking = True

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {
            "leak": ("s", True, "none", _LEAKS),
            "leak_shift": ("i", False, 0),
            "beta_q": ("i", False, 0),
            "beta_frac_bits": ("i", False, 0),
            "reset": ("s", False, "subtract", _RESETS),
            "state_bits": ("i", True, 16),
            "threshold": ("ints", False, []),
            # real weight scale per output channel: real current = integer current * scale
            "weight_scale": ("floats", False, []),
            # T when the current is a map [T*B, C, H, W] (time folded into the batch); 0 for [T, B, C]
            "timesteps": ("i", False, 0),
        }

    def neuron_params(self) -> NeuronParams:
        """The layer parameters as the reference's dataclass."""
        return NeuronParams(
            leak=LeakMode(self.get_nodeattr("leak")),
            state_bits=int(self.get_nodeattr("state_bits")),
            reset=ResetMode(self.get_nodeattr("reset")),
            leak_shift=int(self.get_nodeattr("leak_shift")),
            beta_q=int(self.get_nodeattr("beta_q")),
            beta_frac_bits=int(self.get_nodeattr("beta_frac_bits")),
            spiking=self.spiking,
        )

    def thresholds(self, channels: int) -> np.ndarray:
        th = np.asarray(self.get_nodeattr("threshold"), dtype=np.int64)
        if self.spiking and th.shape != (channels,):
            raise SNN2FPGAError(
                f"node {self.onnx_node.name}: {th.size} thresholds for {channels} neurons"
            )
        return th if self.spiking else np.zeros(channels, dtype=np.int64)

    def make_shape_compatible_op(self, model: Any) -> NodeProto:
        node = self.onnx_node
        if self.spiking:
            return helper.make_node("Identity", [node.input[0]], [node.output[0]])
        return self.make_const_shape_op(model.get_tensor_shape(node.output[0]))

    def infer_node_datatype(self, model: Any) -> None:
        node = self.onnx_node
        state = DataType[f"INT{int(self.get_nodeattr('state_bits'))}"]
        outs = list(node.output)
        if self.spiking:
            model.set_tensor_datatype(outs.pop(0), DataType["BINARY"])
        model.set_tensor_datatype(outs[0], state)
        if len(outs) > 1:
            model.set_tensor_datatype(outs[1], DataType["INT64"])

    def _flat(self, current: np.ndarray) -> tuple[np.ndarray, int]:
        """The current as [T, B, C*H*W] (a view, values unchecked) and the positions per channel."""
        cur = np.asarray(current)
        steps = int(self.get_nodeattr("timesteps"))
        if cur.ndim == 4 and steps > 0 and cur.shape[0] % steps == 0:
            return cur.reshape(steps, cur.shape[0] // steps, -1), cur.shape[2] * cur.shape[3]
        if cur.ndim == 3:
            return cur, 1
        raise SNN2FPGAError(
            f"node {self.onnx_node.name}: current must be [T, B, C] or [T*B, C, H, W] with timesteps set, "
            f"got {cur.shape}"
        )

    def _integers(self, flat: np.ndarray) -> np.ndarray:
        """``flat`` as an integer array (:func:`integer_valued`), or an SNN2FPGAError naming the node."""
        as_int = integer_valued(flat)
        if as_int is None:
            raise SNN2FPGAError(
                f"node {self.onnx_node.name}: the synaptic current is not integer-valued; the neuron ops "
                "need integer weights and binary spikes upstream"
            )
        return as_int

    def unfold(self, current: np.ndarray) -> tuple[np.ndarray, tuple[int, ...], int]:
        """Integer current (int32 or int64) as [T, B, C*H*W]; also the original shape and the positions per channel."""
        flat, per_channel = self._flat(current)
        return self._integers(flat), np.asarray(current).shape, per_channel

    def run(self, current: np.ndarray) -> NeuronTrace:
        """Execute the reference on an integer-valued current [T, B, C] (or a folded map).

        Samples are independent, so the reference runs on blocks of samples (about
        ``_BLOCK_NEURONS`` neurons each, so that every per-timestep array stays in the CPU cache)
        and the traces are put together: the same integers as one call on the whole batch.
        """
        flat, per_channel = self._flat(current)
        steps, batch, chans = flat.shape
        theta = np.repeat(self.thresholds(chans // per_channel), per_channel)
        params = self.neuron_params()
        rows = max(1, _BLOCK_NEURONS // max(chans, 1))
        if rows >= batch:
            return run_neurons(self._integers(flat), theta, params)
        spikes = np.empty((steps, batch, chans), dtype=np.uint8)
        v_final = np.empty((batch, chans), dtype=np.int64)
        sats = np.empty(batch, dtype=np.int64)
        vmax = np.empty(batch, dtype=np.int64)
        for b0 in range(0, batch, rows):
            part = run_neurons(self._integers(flat[:, b0:b0 + rows]), theta, params)
            spikes[:, b0:b0 + rows] = part.spikes
            v_final[b0:b0 + rows] = part.v_final
            sats[b0:b0 + rows] = part.saturations
            vmax[b0:b0 + rows] = part.v_absmax
        return NeuronTrace(spikes=spikes, v_final=v_final, saturations=sats, v_absmax=vmax)

    def execute_node(self, context: dict[str, np.ndarray], graph: Any) -> None:
        node = self.onnx_node
        cur = np.asarray(context[node.input[0]])
        trace = self.run(cur)
        outs = list(node.output)
        if self.spiking:
            context[outs.pop(0)] = trace.spikes.astype(np.float32).reshape(cur.shape)
        batch = trace.v_final.shape[0]
        context[outs[0]] = trace.v_final.reshape(batch, *cur.shape[1:]) if cur.ndim == 4 else trace.v_final
        if len(outs) > 1:
            context[outs[1]] = trace.saturations

    def verify_node(self) -> list[str]:
        msgs = []
        try:
            self.neuron_params()
        except SNN2FPGAError as exc:
            msgs.append(str(exc))
        return msgs


class DCLL(_NeuronOp):
    """DCLL neuron update over a sequence (semantics.dcll): outputs spikes, final U, saturations."""

    spiking = True

    def get_nodeattr_types(self) -> dict[str, Any]:
        return {
            "state_bits": ("i", True, 24),
            "kq": ("i", True, 1),
            "kp": ("i", True, 1),
            "kr": ("i", True, 1),
            "rho": ("i", False, 0),
            "frac_bits": ("i", False, 0),
            "threshold": ("ints", False, []),
            "weight_scale": ("floats", False, []),
            "timesteps": ("i", False, 0),
        }

    def dcll_params(self) -> DCLLParams:
        g = self.get_nodeattr
        return DCLLParams(int(g("state_bits")), int(g("kq")), int(g("kp")), int(g("kr")), int(g("rho")),
                          int(g("frac_bits")))

    def run(self, current: np.ndarray) -> NeuronTrace:
        cur, shape, per_channel = self.unfold(current)
        theta = np.repeat(self.thresholds(cur.shape[2] // per_channel), per_channel)
        return run_dcll(cur, theta, self.dcll_params())

    def verify_node(self) -> list[str]:
        try:
            self.dcll_params()
        except SNN2FPGAError as exc:
            return [str(exc)]
        return []


class LIF(_NeuronOp):
    """Spiking LIF/IF neuron update over a sequence (see module docstring)."""

    spiking = True


class LeakyIntegrator(_NeuronOp):
    """Non-spiking leaky-integrator readout over a sequence (see module docstring)."""

    spiking = False
