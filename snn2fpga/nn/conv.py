"""Spiking convolution (Brevitas weights), spike max pooling (OR) and flatten, on sequences.

Shapes: spike maps [T, B, C, H, W]. The integer path of :class:`QuantConv2d` returns an
:class:`IntCurrent` of shape [T, B, Cout, Ho, Wo], exact (sums of integers in a float type that holds
them exactly, rounded to int32, or int64 when a sum could reach 2^31).
"""

from __future__ import annotations

import brevitas.nn as qnn
import torch
import torch.nn.functional as F
from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat
from torch import nn

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.synapse import (
    MAX_WEIGHT_BITS,
    MIN_WEIGHT_BITS,
    IntCurrent,
    check_binary,
    exact_float_dtype,
    state_key,
)

MAX_KERNEL = 15


class QuantConv2d(qnn.QuantConv2d):
    """2-D convolution synapse with ``weight_bits``-bit integer weights over binary spike maps.

    Square kernel, stride and zero padding; dilation 1 and groups 1 (the hardware's kernel). Works on
    [T, B, Cin, H, W] sequences by folding time into the batch.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
        weight_bits: int | None = 4, per_channel: bool = False,
    ) -> None:
        if weight_bits is not None and not MIN_WEIGHT_BITS <= weight_bits <= MAX_WEIGHT_BITS:
            raise SNN2FPGAError(f"weight_bits={weight_bits} is not supported: use {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS}")
        if not 1 <= kernel_size <= MAX_KERNEL or stride < 1 or not 0 <= padding < kernel_size:
            raise SNN2FPGAError(
                f"QuantConv2d(kernel={kernel_size}, stride={stride}, padding={padding}) is not supported: use "
                f"kernel 1..{MAX_KERNEL}, stride >= 1 and zero padding 0..kernel-1 (dilation 1, groups 1)"
            )
        quant = None
        kwargs: dict[str, object] = {}
        if weight_bits is not None:
            quant = Int8WeightPerChannelFloat if per_channel else Int8WeightPerTensorFloat
            kwargs["weight_bit_width"] = weight_bits
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False,
                         weight_quant=quant, **kwargs)
        self.weight_bits = weight_bits
        self.per_channel = per_channel
        self.kernel = kernel_size
        self.conv_stride = stride
        self.conv_padding = padding

    @property
    def quantized(self) -> bool:
        return self.weight_bits is not None

    def integer_weight(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(int64 weights [out, in, K, K], float64 scale per output channel [out])."""
        if not self.quantized:
            raise SNN2FPGAError("this QuantConv2d has quantization off (weight_bits=None); quantize it first")
        with torch.no_grad():
            qw = self.quant_weight()
            w_int = torch.round(qw.value / qw.scale).to(torch.int64)
            scale = qw.scale.detach().to(torch.float64).reshape(-1)
        if scale.numel() == 1:
            scale = scale.expand(self.out_channels).clone()
        return w_int, scale

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() != 5 or x.shape[2] != self.in_channels:
            raise SNN2FPGAError(
                f"QuantConv2d({self.in_channels}->{self.out_channels}) expects spike maps [T, B, "
                f"{self.in_channels}, H, W], got {tuple(x.shape)}"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor | IntCurrent:  # type: ignore[override]
        self._check(x)
        steps, batch = x.shape[:2]
        flat = x.reshape(steps * batch, *x.shape[2:])
        if self.training or not self.quantized:
            out = super().forward(flat)
            return out.reshape(steps, batch, *out.shape[1:])
        weight, bound, scale = self._eval_weights(flat.device)
        check_binary(flat, "QuantConv2d")
        cur = F.conv2d(flat.detach().to(weight.dtype), weight, stride=self.conv_stride, padding=self.conv_padding)
        # round: a GPU's convolution may be off by a fraction (exact_float_dtype); int32 holds every sum < 2^31
        cur = cur.round_().to(torch.int32 if bound < 1 << 31 else torch.int64)
        return IntCurrent(value=cur.reshape(steps, batch, *cur.shape[1:]), scale=scale)

    def _eval_weights(self, device: torch.device) -> tuple[torch.Tensor, int, torch.Tensor]:
        """(integer weights in the exact float type, the largest possible |sum|, scale), recomputed only
        when the layer's state changed (Brevitas re-quantizes the weights on every call otherwise)."""
        key = (state_key(self), device)
        cache = getattr(self, "_weights_cache", None)
        if cache is None or cache[0] != key:
            w_int, scale = self.integer_weight()
            bound = int(w_int.abs().sum(dim=(1, 2, 3)).max()) if w_int.numel() else 0
            cache = (key, w_int.to(device, exact_float_dtype(bound, device)), bound, scale)
            self._weights_cache = cache
        return cache[1], cache[2], cache[3].clone()


class SpikeMaxPool(nn.Module):
    """Max pooling of binary spike maps = OR over each K x K window (stride K): exact and still binary."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        if kernel_size < 1:
            raise SNN2FPGAError(f"pool kernel must be >= 1, got {kernel_size}")
        self.kernel = kernel_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise SNN2FPGAError(f"SpikeMaxPool expects spike maps [T, B, C, H, W], got {tuple(x.shape)}")
        steps, batch = x.shape[:2]
        out = F.max_pool2d(x.reshape(steps * batch, *x.shape[2:]), self.kernel, self.kernel)
        return out.reshape(steps, batch, *out.shape[1:])


class SpikeFlatten(nn.Module):
    """[T, B, C, H, W] -> [T, B, C*H*W] (C-major, as torch.flatten)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise SNN2FPGAError(f"SpikeFlatten expects spike maps [T, B, C, H, W], got {tuple(x.shape)}")
        return x.reshape(x.shape[0], x.shape[1], -1)
