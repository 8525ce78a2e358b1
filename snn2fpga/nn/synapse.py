"""Quantized synapses (Brevitas weights) that feed spiking neurons."""

from __future__ import annotations

from dataclasses import dataclass

import brevitas.nn as qnn
import torch
from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat

from snn2fpga.errors import SNN2FPGAError

MIN_WEIGHT_BITS = 2
MAX_WEIGHT_BITS = 16


@dataclass
class IntCurrent:
    """Synaptic current of the integer (eval/export) path.

    Attributes:
        value: int64 [T, B, C] currents in units of the weight scale (exact, no float rounding).
        scale: float64 [C] weight scale per output channel: real current = value * scale.
    """

    value: torch.Tensor
    scale: torch.Tensor


def exact_float_dtype(max_abs_sum: int, device: torch.device) -> torch.dtype:
    """The float type in which integer sums of +-1-weighted integer weights come out exact.

    On the CPU, float32 BLAS / convolution are exact while every partial sum stays below 2^24, else
    float64 (|sum| <= fan-in * 2^15 << 2^53). On a GPU the library may pick TF32 or FFT/Winograd
    convolutions whose float32 results are off by a fraction, so the integer path uses float64 there;
    the callers round to the nearest integer in both cases.
    """
    if device.type == "cpu" and max_abs_sum < (1 << 24):
        return torch.float32
    return torch.float64


class QuantLinear(qnn.QuantLinear):
    """Fully connected synapse with ``weight_bits``-bit signed integer weights (narrow range).

    Works on sequences [T, B, in_features]. In training mode, or with ``weight_bits=None``
    (quantization off, e.g. a float model before post-training quantization), it returns the float
    current. In eval mode with quantization on it returns an :class:`IntCurrent` holding the exact
    int64 sum of integer weights over the binary input spikes, which the neuron layers consume.

    Args:
        in_features: number of inputs.
        out_features: number of output neurons.
        weight_bits: 2..16, or None for float weights.
        per_channel: one weight scale per output neuron instead of one per layer.
    """

    def __init__(
        self, in_features: int, out_features: int, weight_bits: int | None = 4, per_channel: bool = False
    ) -> None:
        if weight_bits is not None and not MIN_WEIGHT_BITS <= weight_bits <= MAX_WEIGHT_BITS:
            raise SNN2FPGAError(
                f"weight_bits={weight_bits} is not supported: use {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS} "
                "(or None for float weights)"
            )
        quant = None
        kwargs: dict[str, object] = {}
        if weight_bits is not None:
            quant = Int8WeightPerChannelFloat if per_channel else Int8WeightPerTensorFloat
            kwargs["weight_bit_width"] = weight_bits
        super().__init__(in_features, out_features, bias=False, weight_quant=quant, **kwargs)
        self.weight_bits = weight_bits
        self.per_channel = per_channel

    @property
    def quantized(self) -> bool:
        """True when the weights are integers times a scale."""
        return self.weight_bits is not None

    def integer_weight(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(int64 weights [out, in], float64 scale per output channel [out])."""
        if not self.quantized:
            raise SNN2FPGAError("this QuantLinear has quantization off (weight_bits=None); quantize it first")
        with torch.no_grad():
            qw = self.quant_weight()
            w_int = torch.round(qw.value / qw.scale).to(torch.int64)
            scale = qw.scale.detach().to(torch.float64).reshape(-1)
        if scale.numel() == 1:
            scale = scale.expand(self.out_features).clone()
        return w_int, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor | IntCurrent:  # type: ignore[override]
        if self.training or not self.quantized:
            return super().forward(x)
        if x.dim() != 3 or x.shape[-1] != self.in_features:
            raise SNN2FPGAError(
                f"QuantLinear({self.in_features}->{self.out_features}) expects spikes [T, B, "
                f"{self.in_features}], got {tuple(x.shape)}"
            )
        w_int, scale = self.integer_weight()
        spikes = x.detach().to(torch.int64)
        if not torch.all((spikes == 0) | (spikes == 1)):
            raise SNN2FPGAError("the integer path of QuantLinear takes binary spikes (0/1) as input")
        dtype = exact_float_dtype(int(w_int.abs().sum(dim=1).max()), spikes.device)
        current = torch.round(spikes.to(dtype) @ w_int.to(dtype).T).to(torch.int64)
        return IntCurrent(value=current, scale=scale)
