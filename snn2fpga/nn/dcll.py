"""DCLL (DECOLLE) spiking layers with local learning.

A :class:`DCLL` layer wraps a synapse (:class:`QuantConv2d` or :class:`QuantLinear`) and runs the DCLL
neuron of :mod:`snn2fpga.semantics.dcll`.

* Training (float, DECOLLE form): the input spikes are filtered into traces (Q_in = beta Q_in + S_in,
  P_in = alpha P_in + Q_in(old)), the synapse is applied to the P trace, U = W*P_in + R with the
  refractory trace R = gamma R - rho S(previous), spike = U >= threshold with a surrogate gradient.
  The input is detached and the traces carry no gradient, so the gradient stays inside the layer and
  the timestep. A fixed random local readout G (training only) maps the layer's spikes to class
  scores for the layer's local loss. Where it is cheaper the same U is computed with the filter after
  the weights (W*P_in = H (W*S_in): both linear), which is exact up to float rounding: the one-hot
  I/Q plane gathers rows of the synapse's dictionary, and binary maps go through the exact int8
  spike convolution (:mod:`snn2fpga.nn.spike_conv`); the weight gradient is unchanged.
  The kernels are in :mod:`snn2fpga.nn.dcll_float`.
* Integer path (eval after quantization): the same linear filters applied AFTER the weights, to the
  integer current (filter-after-weights; equal in exact arithmetic), exactly as ``run_dcll``
  (:func:`snn2fpga.nn.dcll_int.run_dcll_torch`, equal to it with ``==``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import dcll_native
from snn2fpga.nn.conv import QuantConv2d
from snn2fpga.nn.dcll_float import (
    filtered_spike_conv,
    local_scores,
    local_spikes,
    refractory_scan,
    trace_filter,
    trace_filter_grad,
)
from snn2fpga.nn.dcll_int import run_dcll_torch
from snn2fpga.nn.neurons import LayerTrace
from snn2fpga.nn.spike_conv import spike_conv
from snn2fpga.nn.synapse import IntCurrent, QuantLinear
from snn2fpga.semantics.conv import conv_out_size
from snn2fpga.semantics.dcll import DCLLParams


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
        # Local readout scores [T - grad_start, B, classes] of the last training forward.
        self.local_scores: torch.Tensor = torch.zeros(0)
        # Timesteps before grad_start pass no gradient to the weights: local learning sets its burn-in
        # here, so the weight gradient of the timesteps whose loss it ignores (exactly 0) is not computed.
        # With grad_start > 0 the layer learns from its local readout only: its output spikes carry no
        # gradient (DECOLLE; the next layer detaches them anyway).
        self.grad_start = 0
        # Local learning also sets the batch's labels [B] here: the event-driven kernels then compute the local
        # loss (mean cross-entropy of local_scores) and its weight gradient in the same pass, into local_loss.
        # Elsewhere local_loss is None and local_scores carries the gradient.
        self.local_labels: torch.Tensor | None = None
        self.local_loss: torch.Tensor | None = None
        # How the event-driven kernels return this layer's spikes (dcll_native.LAYOUTS): uint8 stored
        # position-major for a next DCLL layer (its kernel reads them directly), contiguous uint8 for a readout
        # on flattened spikes, else contiguous float 0/1. SNNClassifier sets it from the layer order.
        self.spike_layout = "dcll"

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
        return self._forward_int(x)

    def _one_hot_positions(self, x: torch.Tensor) -> torch.Tensor | None:
        """For a one-input-channel conv (the I/Q plane): the spike position of each (t, b) [T, B], or
        H*W where there is none; None when some (t, b) holds more than one spike or a non-binary value."""
        if not isinstance(self.synapse, QuantConv2d) or self.synapse.in_channels != 1 or x.dim() != 5:
            return None
        if x.shape[3] * x.shape[4] > x.shape[0] * x.shape[1]:
            return None  # a dictionary with more rows than the maps it would serve costs more than it saves
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        count = flat.sum(dim=2)
        if bool((count > 1).any()) or not bool(((flat == 0) | (flat == 1)).all()):
            return None
        pos = flat.argmax(dim=2)
        return torch.where(count > 0, pos, flat.shape[2])

    def _dictionary(self, x: torch.Tensor) -> torch.Tensor | IntCurrent:
        """The synapse applied to every one-hot input map, plus an all-zero row: [H*W + 1, Cout*Ho*Wo]."""
        n = x.shape[3] * x.shape[4]
        basis = torch.eye(n, device=x.device, dtype=x.dtype).reshape(1, n, 1, x.shape[3], x.shape[4])
        out = self.synapse(basis)
        if isinstance(out, IntCurrent):
            rows = out.value.reshape(n, -1)
            return IntCurrent(torch.cat([rows, torch.zeros_like(rows[:1])]), out.scale)
        rows = out.reshape(n, -1)
        return torch.cat([rows, torch.zeros_like(rows[:1])])

    def _forward_float(self, x: torch.Tensor) -> torch.Tensor:
        """The DECOLLE layer in real units; gradients reach the weights only from timesteps >= grad_start."""
        beta, alpha, gamma = (1 - 2.0 ** -self.params.kq, 1 - 2.0 ** -self.params.kp, 1 - 2.0 ** -self.params.kr)
        steps, start = x.shape[0], min(max(self.grad_start, 0), x.shape[0])
        slope = 5.0 / max(self.threshold, 1e-6)
        self.local_loss = None
        native = self._native_local(x, (alpha, beta, gamma, self.rho, self.threshold, slope), start)
        if native is not None:
            spikes, self.local_scores, self.local_loss = native
            return spikes
        x = x.float()  # uint8 spikes of a previous layer's kernel: the torch path takes floats
        pos = self._one_hot_positions(x)
        split = self._spike_conv_float(x, alpha, beta, start) if pos is None else None
        if split is not None:
            early, late = split
        elif pos is not None:
            # One spike per timestep: W * S_in is a row of the synapse's dictionary, and filtering the
            # current equals filtering the input (linear filters, linear W): exact up to float rounding.
            rows = self._dictionary(x)
            assert isinstance(rows, torch.Tensor)
            cur = rows[pos].reshape(steps, x.shape[1], *self._out_map(x))
            u_all = trace_filter_grad(cur, alpha, beta)
            early, late = u_all[:start], u_all[start:]
        else:
            p_in = trace_filter(x, alpha, beta)
            with torch.no_grad():  # no gradient reaches the weights from the burn-in timesteps
                early = self.synapse(p_in[:start])
            late = self.synapse(p_in[start:])
        assert isinstance(early, torch.Tensor) and isinstance(late, torch.Tensor)
        if late.requires_grad and start and self.num_classes:  # local learning: the readout is the only loss
            spikes, self.local_scores = local_scores(early, late, self.local_readout, gamma, self.rho,
                                                     self.threshold, slope)
            return spikes
        if late.requires_grad:
            spikes = local_spikes(early, late, gamma, self.rho, self.threshold, slope)
        else:  # no autograd (e.g. the float eval of a model before post-training quantization)
            spikes = refractory_scan([p for p in (early, late) if p.shape[0]], gamma, self.rho, self.threshold)[1]
        if self.num_classes:
            flat = spikes[start:].reshape(steps - start, spikes.shape[1], -1)
            self.local_scores = flat @ self.local_readout.T  # [T - grad_start, B, classes]
        else:
            self.local_scores = spikes.new_zeros((0, spikes.shape[1], 0))
        return spikes

    def _native_local(self, x: torch.Tensor, coeffs: tuple[float, float, float, float, float, float], start: int
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """(spikes, local scores, local loss) from the event-driven C kernels (:mod:`snn2fpga.nn.dcll_native`)
        for a quantized conv layer learning locally (a burn-in, a local readout, labels, weights that need a
        gradient); None where they do not apply."""
        syn = self.synapse
        if not (isinstance(syn, QuantConv2d) and syn.quantized and start and self.num_classes
                and self.local_labels is not None and torch.is_grad_enabled() and syn.weight.requires_grad):
            return None
        qw = syn.quant_weight()
        scale = qw.scale.detach()
        w_int = torch.round(qw.value.detach() / scale)
        if not dcll_native.applies(x, w_int, syn.bias):
            return None
        return dcll_native.local_dcll(qw.value, x, w_int, scale, self.local_readout, self.local_labels,
                                      syn.conv_stride, syn.conv_padding, coeffs, start, self.spike_layout)

    def _native_int(self, x: torch.Tensor) -> torch.Tensor | None:
        """The integer layer from the event-driven C kernel (spikes, with ``last_trace`` set), or None."""
        syn = self.synapse
        if not (isinstance(syn, QuantConv2d) and syn.quantized):
            return None
        w_int, scale = syn.integer_weight()
        if not dcll_native.applies(x, w_int, syn.bias):
            return None
        theta_c, params = self.integer_params(scale)
        out = dcll_native.int_dcll(x, w_int, theta_c, params, syn.conv_stride, syn.conv_padding,
                                   self.spike_layout)
        if out is None:
            return None
        spikes, u, sats, vmax, layer_out = out
        self.last_trace = LayerTrace(spikes=spikes.numpy(), v_final=u.numpy(), saturations=sats.numpy(),
                                     v_absmax=vmax.numpy())
        return layer_out

    def _binary_conv_input(self, x: torch.Tensor) -> bool:
        syn = self.synapse
        return (isinstance(syn, QuantConv2d) and syn.quantized and x.dim() == 5 and x.device.type == "cpu"
                and bool(((x == 0) | (x == 1)).all()))

    def _spike_conv_float(self, x: torch.Tensor, alpha: float, beta: float, start: int
                          ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """U of binary input maps through the exact int8 spike convolution (filter after the weights), as
        (early, late) at ``start``, or None where that kernel does not apply."""
        if not self._binary_conv_input(x):
            return None
        syn = self.synapse
        assert isinstance(syn, QuantConv2d)
        qw = syn.quant_weight()
        scale = qw.scale.detach()
        w_int = torch.round(qw.value.detach() / scale)
        cur = spike_conv(x.reshape(-1, *x.shape[2:]), w_int, syn.conv_stride, syn.conv_padding)
        if cur is None:
            return None
        cur = cur.reshape(x.shape[0], x.shape[1], *cur.shape[1:])
        scale_b = scale.reshape(-1, 1, 1) if scale.numel() > 1 else scale.reshape(())
        p_late = trace_filter(x, alpha, beta, start=start)  # the weight gradient's input, original order
        return filtered_spike_conv(qw.value, cur, scale_b.to(cur.dtype), p_late, syn.conv_stride,
                                   syn.conv_padding, alpha, beta)

    def _int_current(self, x: torch.Tensor) -> IntCurrent:
        """The synapse's exact integer current of x: a gather from the integer dictionary for one-spike-per-
        timestep maps, else the int8 spike convolution where it applies, else the synapse itself."""
        syn = self.synapse
        pos = self._one_hot_positions(x)
        if pos is not None:  # integer dictionary rows: exact, as the conv of the one-hot maps is
            rows = self._dictionary(x)
            assert isinstance(rows, IntCurrent)
            table = rows.value.to(torch.int32)  # |current| <= sum |W| < 2^31 for <= 16-bit weights, K <= 15
            return IntCurrent(table[pos].reshape(x.shape[0], x.shape[1], *self._out_map(x)), rows.scale)
        if self._binary_conv_input(x):
            assert isinstance(syn, QuantConv2d)
            w_int, scale = syn.integer_weight()
            cur = spike_conv(x.reshape(-1, *x.shape[2:]), w_int, syn.conv_stride, syn.conv_padding, torch.int32)
            if cur is not None:
                return IntCurrent(cur.reshape(x.shape[0], x.shape[1], *cur.shape[1:]), scale)
        out = syn(x)
        assert isinstance(out, IntCurrent)
        return out

    def _out_map(self, x: torch.Tensor) -> tuple[int, int, int]:
        syn = self.synapse
        assert isinstance(syn, QuantConv2d)
        ho = conv_out_size(x.shape[3], syn.kernel, syn.conv_stride, syn.conv_padding)
        wo = conv_out_size(x.shape[4], syn.kernel, syn.conv_stride, syn.conv_padding)
        return syn.out_channels, ho, wo

    def _forward_int(self, x: torch.Tensor) -> torch.Tensor:
        native = self._native_int(x)
        if native is not None:
            return native
        x = x.float()
        cur = self._int_current(x)
        theta_c, params = self.integer_params(cur.scale)
        shape = tuple(cur.value.shape)
        per_channel = int(np.prod(shape[3:])) if len(shape) > 3 else 1
        values = cur.value.reshape(shape[0], shape[1], -1)
        theta = torch.from_numpy(np.repeat(theta_c, per_channel)).to(values.device)
        spikes, u, sats, vmax = run_dcll_torch(values, theta, params)
        self.last_trace = LayerTrace(spikes=spikes.cpu().numpy().reshape(shape),
                                     v_final=u.cpu().numpy().reshape(shape[1:]),
                                     saturations=sats.cpu().numpy(), v_absmax=vmax.cpu().numpy())
        return spikes.reshape(shape).to(torch.float32)
