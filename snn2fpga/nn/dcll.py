"""DCLL (DECOLLE) spiking layers with local learning.

A :class:`DCLL` layer wraps a synapse (:class:`QuantConv2d` or :class:`QuantLinear`) and runs the DCLL
neuron of :mod:`snn2fpga.semantics.dcll`.

* Training (float, DECOLLE form): the input spikes are filtered into traces (Q_in = beta Q_in + S_in,
  P_in = alpha P_in + Q_in(old)), the synapse is applied to the P trace, U = W*P_in + R with the
  refractory trace R = gamma R - rho S(previous), spike = U >= threshold with a surrogate gradient.
  The input is detached and the traces carry no gradient, so the gradient stays inside the layer and
  the timestep. A fixed random local readout G (training only) maps the layer's spikes to class
  scores for the layer's local loss.
* Integer path (eval after quantization): the same linear filters applied AFTER the weights, to the
  integer current (filter-after-weights; equal in exact arithmetic), exactly as ``run_dcll``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.conv import QuantConv2d
from snn2fpga.nn.neurons import LayerTrace
from snn2fpga.nn.surrogate import spike_fn
from snn2fpga.nn.synapse import IntCurrent, QuantLinear
from snn2fpga.semantics.dcll import DCLLParams, run_dcll


class DCLL(nn.Module):
    """A synapse + DCLL neurons + (training-only) local readout.

    Args:
        synapse: the QuantConv2d or QuantLinear feeding the neurons.
        out_features: neurons per sample after the synapse (C*Ho*Wo for a conv), for the local readout.
        num_classes: classes of the local readout (0: none).
        kq, kp, kr: trace leak shifts (beta = 1 - 2^-kq, alpha = 1 - 2^-kp, gamma = 1 - 2^-kr).
        threshold: firing threshold of U in real units.
        rho: refractory kick in real units.
        state_bits: width of Q, P, R, U in the integer path.
        frac_bits: fractional bits of the integer state below the weight scale (the leaks' resolution).
        seed: seed of the fixed random local readout.
    """

    def __init__(
        self, synapse: QuantConv2d | QuantLinear, out_features: int, num_classes: int = 0, kq: int = 1, kp: int = 1,
        kr: int = 1, threshold: float = 1.0, rho: float = 0.5, state_bits: int = 24, seed: int = 0,
        frac_bits: int = 8,
    ) -> None:
        super().__init__()
        if not isinstance(synapse, (QuantConv2d, QuantLinear)):
            raise SNN2FPGAError(f"DCLL wraps a QuantConv2d or QuantLinear synapse, not {type(synapse).__name__}")
        self.synapse = synapse
        self.params = DCLLParams(state_bits=state_bits, kq=kq, kp=kp, kr=kr, rho=0, frac_bits=frac_bits)
        self.threshold = float(threshold)
        self.rho = float(rho)
        self.out_features = out_features
        self.num_classes = num_classes
        self.seed = seed
        g = torch.Generator().manual_seed(seed)
        readout = torch.randn(num_classes, out_features, generator=g) / math.sqrt(max(out_features, 1))
        self.register_buffer("local_readout", readout, persistent=False)
        self.last_trace: LayerTrace | None = None
        self.local_scores: list[torch.Tensor] = []

    @property
    def spiking(self) -> bool:
        return True

    def integer_params(self, scale: torch.Tensor) -> tuple[np.ndarray, DCLLParams]:
        """(theta [C] = round(threshold 2^f / scale), the DCLLParams with rho = round(rho 2^f / scale)),
        f = frac_bits: the state's units are 2^-f of the weight scale."""
        p = self.params
        s = np.asarray(scale.detach().cpu().numpy(), dtype=np.float64).reshape(-1) / float(1 << p.frac_bits)
        theta = np.floor(self.threshold / s + 0.5).astype(np.int64)
        rho = int(np.floor(self.rho / s.max() + 0.5))
        return theta, DCLLParams(p.state_bits, p.kq, p.kp, p.kr, min(rho, (1 << (p.state_bits - 1)) - 1),
                                 p.frac_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training or not self.synapse.quantized:
            return self._forward_float(x.detach())
        cur = self.synapse(x)
        assert isinstance(cur, IntCurrent)
        return self._forward_int(cur)

    def _forward_float(self, x: torch.Tensor) -> torch.Tensor:
        beta, alpha, gamma = (1 - 2.0 ** -self.params.kq, 1 - 2.0 ** -self.params.kp, 1 - 2.0 ** -self.params.kr)
        with torch.no_grad():
            q = torch.zeros_like(x[0])
            p = torch.zeros_like(x[0])
            traces = []
            for t in range(x.shape[0]):
                p = alpha * p + q
                q = beta * q + x[t]
                traces.append(p)
            p_in = torch.stack(traces)
        u_syn = self.synapse(p_in)
        assert isinstance(u_syn, torch.Tensor)
        # R and the spikes that drive it carry no gradient: compute the refractory trace first
        # (sequential, no graph), then the spikes of all timesteps at once with the surrogate.
        with torch.no_grad():
            u_val = u_syn.detach()
            r = torch.zeros_like(u_val[0])
            s_prev = torch.zeros_like(u_val[0])
            refr = []
            for t in range(u_val.shape[0]):
                r = gamma * r - self.rho * s_prev
                refr.append(r)
                s_prev = (u_val[t] + r >= self.threshold).to(u_val.dtype)
            r_all = torch.stack(refr)
        spikes = spike_fn(u_syn + r_all - self.threshold, 5.0 / max(self.threshold, 1e-6))
        if self.num_classes:
            flat = spikes.reshape(spikes.shape[0], spikes.shape[1], -1)
            self.local_scores = list(flat @ self.local_readout.T)  # per timestep [B, classes]
        else:
            self.local_scores = []
        return spikes

    def _forward_int(self, cur: IntCurrent) -> torch.Tensor:
        theta_c, params = self.integer_params(cur.scale)
        shape = tuple(cur.value.shape)
        per_channel = int(np.prod(shape[3:])) if len(shape) > 3 else 1
        values = cur.value.cpu().numpy().reshape(shape[0], shape[1], -1)
        trace = run_dcll(values, np.repeat(theta_c, per_channel), params)
        self.last_trace = LayerTrace(spikes=trace.spikes.reshape(shape), v_final=trace.v_final.reshape(shape[1:]),
                                     saturations=trace.saturations, v_absmax=trace.v_absmax)
        return torch.from_numpy(trace.spikes.reshape(shape)).to(cur.value.device, torch.float32)
