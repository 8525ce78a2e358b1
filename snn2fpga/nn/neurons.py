"""Spiking neuron layers (LIF, IF) and the leaky-integrator readout (LI).

Each layer runs a whole sequence: input [T, B, C] -> output [T, B, C].

* Training / float path (input is a float tensor): V = beta * V + I; spike = V >= threshold with a
  surrogate gradient; reset by subtraction or to zero (the reset is detached, as in snnTorch).
* Opt-in learnable parameters (:mod:`snn2fpga.nn.learnable`): ``learn_threshold`` makes the threshold a
  per-channel parameter, ``learn_leak`` the multiplicative beta (a shift leak k starts as beta = 1 - 2^-k
  and becomes a MULT leak); both map onto the integers below, so no new hardware is needed.
* Integer path (input is an :class:`IntCurrent`, i.e. eval mode after a quantized synapse): exactly the
  integer semantics of :mod:`snn2fpga.semantics.neuron`, in torch int64, with the threshold mapped to
  weight-scale units: theta[c] = round(threshold / scale[c]). After each integer run the layer keeps
  ``last_trace`` (spikes, final membrane, saturation counts, |V| peak) for verification/calibration.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.learnable import LearnableBeta, LearnableThreshold, quantize_beta
from snn2fpga.nn.surrogate import spike_fn
from snn2fpga.nn.synapse import IntCurrent
from snn2fpga.semantics.neuron import (
    MAX_BETA_FRAC_BITS,
    LeakMode,
    NeuronParams,
    ResetMode,
    check_thresholds,
)

DEFAULT_BETA_FRAC_BITS = 8
_BLOCK_NEURONS = 1 << 15  # (sample, neuron) pairs per block of the integer update: per-step tensors stay cached


@dataclass
class LayerTrace:
    """What the integer path of one neuron layer produced for the last batch (numpy, exact)."""

    spikes: np.ndarray  # uint8 [T, B, C] (or [T, B, C, H, W] after a convolution)
    v_final: np.ndarray  # int64 [B, C] (or [B, C, H, W])
    saturations: np.ndarray  # int64 [B]
    v_absmax: np.ndarray  # int64 [B]


def membrane_dtype(p: NeuronParams, max_abs_current: int) -> torch.dtype:
    """int32 when no intermediate of the integer update can leave int32, else int64.

    After the clamp |V| <= 2^(state_bits-1); the SHIFT leak never grows |V|, the MULT leak's product
    beta_q * V stays below 2^(F + state_bits - 1); adding the current gives at most
    2^(state_bits-1) + max|I|; the subtract reset only lowers a V >= theta > 0. So int32 is exact when
    both bounds stay below 2^31 (int32 halves the memory traffic of every per-step operation).
    """
    limit = 1 << 31
    product = (1 << (p.beta_frac_bits + p.state_bits - 1)) if p.leak is LeakMode.MULT else 0
    if product < limit and (1 << (p.state_bits - 1)) + max_abs_current < limit:
        return torch.int32
    return torch.int64


class _NeuronBase(nn.Module):
    """Shared leak/threshold/state handling of LIF, IF and LI."""

    spiking: bool = True

    def __init__(
        self,
        beta: float | None,
        leak_shift: int | None,
        threshold: float,
        reset: ResetMode | str,
        state_bits: int,
        beta_frac_bits: int,
        surrogate_slope: float = 5.0,
        learn_threshold: bool = False,
        channels: int | None = None,
        learn_leak: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if beta is not None and leak_shift is not None:
            raise SNN2FPGAError("give either beta (multiplicative leak) or leak_shift (shift leak), not both")
        if beta is not None and not 0.0 <= beta < 1.0:
            raise SNN2FPGAError(f"beta={beta} must lie in [0, 1)")
        if threshold <= 0:
            raise SNN2FPGAError(f"threshold={threshold} must be positive")
        if learn_threshold and not self.spiking:
            raise SNN2FPGAError(f"{name} does not spike, so it has no threshold to learn: "
                                "learn_threshold applies to LIF and IF layers")
        if learn_leak and beta is None and leak_shift is None:
            raise SNN2FPGAError(f"{name} has no leak to learn (IF integrates without decay): learn_leak needs a "
                                "leaky layer (LIF with beta or leak_shift); use LIF, or drop learn_leak")
        if learn_leak and leak_shift is not None:
            # a learned decay is a multiplicative leak: start from the shift leak's beta 1 - 2^-k, with F >= k
            # fractional bits so that beta_q = 2^F - 2^(F-k) is exactly that beta (the hardware then uses a
            # multiplier, one DSP per neuron lane, instead of the shift's adders)
            beta_frac_bits = min(max(beta_frac_bits, leak_shift), MAX_BETA_FRAC_BITS)
            beta, leak_shift = 1.0 - 2.0 ** -leak_shift, None
        if leak_shift is not None:
            leak, beta_q = LeakMode.SHIFT, 0
        elif beta is not None:
            leak, beta_q = LeakMode.MULT, quantize_beta(beta, beta_frac_bits)
        else:
            leak, beta_q = LeakMode.NONE, 0
        self._params = NeuronParams(
            leak=leak,
            state_bits=state_bits,
            reset=ResetMode(reset),
            leak_shift=leak_shift or 0,
            beta_q=beta_q,
            beta_frac_bits=beta_frac_bits if leak is LeakMode.MULT else 0,
            spiking=self.spiking,
        )
        # The float path uses the user's beta exactly (so quantization-off equals snnTorch);
        # the integer path uses its fixed-point/shift version. A learned beta is used quantized in both.
        self.beta_float = float(beta) if beta is not None else self._params.beta
        self.threshold = float(threshold)  # the configured value (the initial one when learned)
        self.learned_threshold = LearnableThreshold(channels, self.threshold) if learn_threshold else None  # type: ignore[arg-type]
        self.learned_beta = LearnableBeta(self.beta_float, self._params.beta_frac_bits) if learn_leak else None
        self.surrogate_slope = surrogate_slope
        self.last_trace: LayerTrace | None = None
        # Off while only predictions are wanted (SNNClassifier.predict): then no trace is copied out.
        self.record_trace = True

    @property
    def params(self) -> NeuronParams:
        """The layer's integer parameters; with a learned leak, beta_q is the current parameter's."""
        if self.learned_beta is None:
            return self._params
        return dataclasses.replace(self._params, beta_q=self.learned_beta.beta_q())

    @property
    def learns_threshold(self) -> bool:
        return self.learned_threshold is not None

    @property
    def learns_leak(self) -> bool:
        return self.learned_beta is not None

    def float_thresholds(self) -> np.ndarray:
        """The thresholds in real units as float64: [C] when learned, else the one value [1]."""
        if self.learned_threshold is not None:
            return self.learned_threshold.values()
        return np.array([self.threshold], dtype=np.float64)

    def extra_repr(self) -> str:
        p = self.params
        beta = f"{p.beta:.4g} (learned)" if self.learned_beta is not None else f"{self.beta_float:.4g}"
        thr = self.float_thresholds()
        threshold = (f"{thr.min():.4g}..{thr.max():.4g} (learned, {thr.size} channels)"
                     if self.learned_threshold is not None else f"{self.threshold:g}")
        return (f"leak={p.leak.value}, beta={beta}, threshold={threshold}, reset={p.reset.value}, "
                f"state_bits={p.state_bits}")

    def integer_thresholds(self, scale: torch.Tensor) -> np.ndarray:
        """theta[c] = round(threshold[c] / scale[c]) (round half up), as int64 [C]; a per-tensor scale or
        a single threshold is broadcast over the channels."""
        s = np.asarray(scale.detach().cpu().numpy(), dtype=np.float64).reshape(-1)
        thr = self.float_thresholds()
        if thr.size > 1 and s.size not in (1, thr.size):
            raise SNN2FPGAError(f"{type(self).__name__}: {thr.size} learned thresholds but {s.size} weight scales; "
                                "the layer's channel count must match its synapse's output channels")
        return np.floor(thr / s + 0.5).astype(np.int64)

    def forward(self, x: torch.Tensor | IntCurrent) -> torch.Tensor:
        if isinstance(x, IntCurrent):
            return self._forward_int(x)
        if x.dim() not in (3, 5):
            raise SNN2FPGAError(
                f"{type(self).__name__} expects currents [T, B, C] or [T, B, C, H, W], got {tuple(x.shape)}"
            )
        return self._forward_float(x)

    def _forward_float(self, cur: torch.Tensor) -> torch.Tensor:
        if not self.spiking and self.learned_beta is None:  # a fixed leaky integrator: one autograd node
            return _LeakyIntegrate.apply(cur, float(self.beta_float))
        v = torch.zeros_like(cur[0])
        beta: float | torch.Tensor = self.beta_float if self.learned_beta is None else self.learned_beta()
        threshold: float | torch.Tensor = self.threshold
        if self.learned_threshold is not None:
            if cur.shape[2] != self.learned_threshold.channels:
                raise SNN2FPGAError(f"{type(self).__name__} learns {self.learned_threshold.channels} thresholds "
                                    f"but its input has {cur.shape[2]} channels")
            # [C] -> broadcast over [B, C] or [B, C, H, W]
            threshold = self.learned_threshold().reshape(-1, *([1] * (cur.dim() - 3)))
        # the surrogate's width follows the threshold but is not a path for its gradient
        slope = self.surrogate_slope / (threshold.detach() if isinstance(threshold, torch.Tensor) else threshold)
        out = []
        for t in range(cur.shape[0]):
            v = beta * v + cur[t]
            if not self.spiking:
                out.append(v)
                continue
            spk = spike_fn(v - threshold, slope)
            fired = spk.detach()
            if self._params.reset is ResetMode.SUBTRACT:
                v = v - fired * threshold
            else:
                v = v * (1.0 - fired)
            out.append(spk)
        return torch.stack(out)

    def _forward_int(self, cur: IntCurrent) -> torch.Tensor:
        p = self.params
        theta_np = self.integer_thresholds(cur.scale)
        check_thresholds(theta_np, p, type(self).__name__)
        shape = tuple(cur.value.shape)
        steps, batch = shape[0], shape[1]
        c = cur.value.reshape(steps, batch, -1)
        chans = c.shape[2]
        per_channel = int(np.prod(shape[3:])) if len(shape) > 3 else 1  # conv: Ho*Wo positions per channel
        lo, hi = torch.aminmax(c) if c.numel() else (torch.tensor(0), torch.tensor(0))
        dtype = membrane_dtype(p, max(-int(lo), int(hi)))
        c = c.to(dtype)
        dev = c.device
        theta = torch.from_numpy(np.repeat(theta_np, per_channel)).to(dev, dtype)
        record = self.record_trace
        v = torch.empty(batch, chans, dtype=dtype, device=dev)
        sats = torch.zeros(batch, dtype=torch.int64, device=dev)
        vmax = torch.zeros(batch, dtype=dtype, device=dev)
        # spiking: the float 0/1 spikes the next layer takes; LI: the membrane after every step
        out = torch.empty(steps, batch, chans, dtype=torch.float32 if self.spiking else dtype, device=dev)
        # Samples are independent: on the CPU, blocks of samples whose per-step tensors fit the cache
        small = batch * chans <= 8 * _BLOCK_NEURONS  # fits the cache hierarchy well enough as it is
        rows = max(batch, 1) if small or dev.type != "cpu" else max(1, _BLOCK_NEURONS // chans)
        for b0 in range(0, batch, rows):
            b1 = min(batch, b0 + rows)
            v[b0:b1] = self._run_block(c[:, b0:b1], theta, out[:, b0:b1], sats[b0:b1], vmax[b0:b1], record)
        self.last_trace = None
        if record:
            spikes = out.to(torch.uint8) if self.spiking else torch.zeros(out.shape, dtype=torch.uint8)
            self.last_trace = LayerTrace(
                spikes=spikes.cpu().numpy().reshape(shape),
                v_final=v.to(torch.int64).cpu().numpy().reshape(shape[1:]).copy(),
                saturations=sats.cpu().numpy(), v_absmax=vmax.to(torch.int64).cpu().numpy(),
            )
        if self.spiking:
            return out.reshape(shape)
        return out.to(torch.int64).reshape(shape)

    def _run_block(self, c: torch.Tensor, theta: torch.Tensor, out: torch.Tensor, sats: torch.Tensor,
                   vmax: torch.Tensor, record: bool) -> torch.Tensor:
        """The integer update of a block of samples over all steps: currents c [T, b, C]; writes the
        spikes (or membranes) into ``out`` [T, b, C] and, when recording, the clamp counts and |V| peaks
        into ``sats`` / ``vmax`` [b] (views, updated in place). Returns the final membrane [b, C]."""
        p = self.params
        v = torch.zeros(c.shape[1:], dtype=c.dtype, device=c.device)
        for t in range(c.shape[0]):
            if p.leak is LeakMode.SHIFT:
                v = v - torch.bitwise_right_shift(v, p.leak_shift)
            elif p.leak is LeakMode.MULT:
                v = torch.bitwise_right_shift(v * p.beta_q, p.beta_frac_bits)
            v = v + c[t]
            if record and v.shape[1]:  # before the clamp: the demanded |V| and the clamps
                hi, lo = v.amax(dim=1), v.amin(dim=1)
                torch.maximum(vmax, torch.maximum(hi, lo.neg()), out=vmax)
                # counting is slow (bool sums); most steps clamp nothing, which the row extremes show
                if bool(hi.max() > p.state_max) or bool(lo.min() < p.state_min):
                    sats += ((v > p.state_max).to(sats.dtype) + (v < p.state_min).to(sats.dtype)).sum(dim=1)
            v = v.clamp_(p.state_min, p.state_max)
            if self.spiking:
                fired = v >= theta
                out[t] = fired
                if p.reset is ResetMode.SUBTRACT:
                    v = torch.where(fired, v - theta, v)
                else:
                    v = v.masked_fill_(fired, 0)
            else:
                out[t] = v
        return v


class LIF(_NeuronBase):
    """Leaky integrate-and-fire neurons.

    Args:
        beta: decay per timestep for the multiplicative leak ((beta_q * V) >> F, beta_q = round(beta 2^F)).
        leak_shift: k of the shift leak V - (V >> k) (beta = 1 - 2^-k, no multiplier); give this or beta.
        threshold: firing threshold in real units (the integer path divides by the weight scale).
        reset: "subtract" or "zero".
        state_bits: signed membrane width, 2..32.
        beta_frac_bits: F, fractional bits of the fixed-point beta.
        learn_threshold: learn one threshold per channel (needs ``channels``), initialised to ``threshold``.
        channels: output channels of the synapse before this layer (for ``learn_threshold``).
        learn_leak: learn beta (a MULT leak; a ``leak_shift`` k starts at beta = 1 - 2^-k with F >= k).
    """

    def __init__(
        self,
        beta: float | None = None,
        leak_shift: int | None = None,
        threshold: float = 1.0,
        reset: ResetMode | str = ResetMode.SUBTRACT,
        state_bits: int = 16,
        beta_frac_bits: int = DEFAULT_BETA_FRAC_BITS,
        learn_threshold: bool = False,
        channels: int | None = None,
        learn_leak: bool = False,
    ) -> None:
        if beta is None and leak_shift is None:
            raise SNN2FPGAError("LIF needs a leak: give beta (e.g. 0.9) or leak_shift (e.g. 3); IF has no leak")
        super().__init__(beta, leak_shift, threshold, reset, state_bits, beta_frac_bits,
                         learn_threshold=learn_threshold, channels=channels, learn_leak=learn_leak)


class IF(_NeuronBase):
    """Integrate-and-fire neurons (no leak; ``learn_threshold`` as for :class:`LIF`)."""

    def __init__(
        self, threshold: float = 1.0, reset: ResetMode | str = ResetMode.SUBTRACT, state_bits: int = 16,
        learn_threshold: bool = False, channels: int | None = None, learn_leak: bool = False,
    ) -> None:
        super().__init__(None, None, threshold, reset, state_bits, 0,
                         learn_threshold=learn_threshold, channels=channels, learn_leak=learn_leak)


class _LeakyIntegrate(torch.autograd.Function):
    """v(t) = beta v(t-1) + I(t) over currents I [T, ...] (v(-1) = 0), returning v [T, ...]: the float LI
    of :meth:`_NeuronBase._forward_float` as one node instead of two per timestep. The backward is the
    same recurrence run backwards in time, g_I(t) = g_v(t) + beta g_I(t+1), which is what autograd
    computes through the loop."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, cur: torch.Tensor,  # type: ignore[override]
                beta: float) -> torch.Tensor:
        ctx.beta = beta  # type: ignore[attr-defined]
        out = torch.empty_like(cur)
        if cur.shape[0]:
            out[0].copy_(cur[0])  # v(-1) = 0
        for t in range(1, cur.shape[0]):
            torch.add(cur[t], out[t - 1], alpha=beta, out=out[t])
        return out

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor  # type: ignore[override]
                 ) -> tuple[torch.Tensor, None]:
        beta = ctx.beta  # type: ignore[attr-defined]
        g = grad.contiguous()
        out = torch.empty_like(g)
        if g.shape[0]:
            out[-1].copy_(g[-1])
        for t in range(g.shape[0] - 2, -1, -1):
            torch.add(g[t], out[t + 1], alpha=beta, out=out[t])
        return out, None


class LI(_NeuronBase):
    """Non-spiking leaky-integrator readout: its final membrane is the class score.

    Output: membrane trace [T, B, C] (float in training, int64 in the integer path). ``learn_leak``
    learns its beta when it has a leak; it has no threshold to learn.
    """

    spiking = False

    def __init__(
        self,
        beta: float | None = None,
        leak_shift: int | None = None,
        state_bits: int = 16,
        beta_frac_bits: int = DEFAULT_BETA_FRAC_BITS,
        learn_threshold: bool = False,
        learn_leak: bool = False,
    ) -> None:
        super().__init__(beta, leak_shift, 1.0, ResetMode.SUBTRACT, state_bits, beta_frac_bits,
                         learn_threshold=learn_threshold, learn_leak=learn_leak)


NEURON_TYPES: tuple[type[_NeuronBase], ...] = (LIF, IF, LI)
