"""Quantized synapses (Brevitas weights) that feed spiking neurons."""

from __future__ import annotations

from dataclasses import dataclass

import brevitas.nn as qnn
import torch
from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.dcll_native import spike_linear

MIN_WEIGHT_BITS = 2
MAX_WEIGHT_BITS = 16


@dataclass
class IntCurrent:
    """Synaptic current of the integer (eval/export) path.

    Attributes:
        value: int32 or int64 [T, B, C] currents in units of the weight scale (exact, no float rounding;
            int32 only where every sum provably fits, see :func:`spike_matmul`).
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


_INT8_MAX = 127
_INT32_LIMIT = 1 << 31


_CHECK_CHUNK = 1 << 17  # elements per step of the binary check: its temporaries stay in the cache


def check_binary(spikes: torch.Tensor, layer: str, int8_out: torch.Tensor | None = None) -> None:
    """Raise an SNN2FPGAError naming ``layer`` unless every value of ``spikes`` is 0 or 1.

    Cheaper than comparing every element with 0 and 1 (bool tensors are slow): all values lie in
    [0, 1] (one min/max pass; a NaN fails it), and for a float tensor sum(x * (1 - x)) == 0. Every term
    of that sum is >= 0, and > 0 for every float x strictly between 0 and 1 (1 - x is at least 2^-24
    once it differs from 1, and equals 1 only for x < 2^-24, where the product is x itself), so no
    rounding can cancel a non-binary value: the sum is 0 exactly when every value is 0 or 1. The sum
    is made chunk by chunk, so the input is read from memory once; ``int8_out`` (same shape, int8), if
    given, receives the values on the way.
    """
    x = spikes.detach()
    if x.dtype is torch.bool or not x.numel():
        if int8_out is not None:
            int8_out.copy_(x)
        return
    lo, hi = torch.aminmax(x)
    binary = bool(lo >= 0) and bool(hi <= 1)
    if binary and x.is_floating_point():
        flat = x.reshape(-1)
        out_flat = int8_out.view(-1) if int8_out is not None else None
        acc_type = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
        buf = torch.empty(min(_CHECK_CHUNK, flat.numel()), dtype=acc_type, device=x.device)
        acc = torch.zeros((), dtype=acc_type, device=x.device)
        for i in range(0, flat.numel(), _CHECK_CHUNK):
            chunk = flat[i:i + _CHECK_CHUNK].to(acc_type)
            rest = torch.neg(chunk, out=buf[:chunk.numel()]).add_(1)
            acc += torch.dot(chunk, rest)
            if out_flat is not None:
                out_flat[i:i + _CHECK_CHUNK] = chunk
        binary = float(acc) == 0.0
    elif binary and int8_out is not None:
        int8_out.copy_(x)
    if not binary:
        raise SNN2FPGAError(f"the integer path of {layer} takes binary spikes (0/1) as input")


def binary_int8(spikes: torch.Tensor, layer: str) -> torch.Tensor:
    """Binary spikes (any real dtype holding 0/1) as int8, checked by :func:`check_binary`."""
    out = torch.empty(spikes.shape, dtype=torch.int8, device=spikes.device)
    check_binary(spikes, layer, out)
    return out


def _row_major(m: torch.Tensor) -> torch.Tensor:
    """A 2-D tensor with exactly row-major strides (stride(0) == columns). ``.contiguous()`` is not
    enough: a transposed [1, N] view counts as contiguous with stride(0) == 1, and the int8 GEMM then
    reads it with a wrong leading dimension (garbage results, seen with one-input layers)."""
    if m.stride() == (m.shape[1], 1):
        return m
    return torch.empty(m.shape, dtype=m.dtype, device=m.device).copy_(m)


@dataclass(frozen=True)
class SpikeWeights:
    """Integer weights W [OUT, IN] prepared for exact products with binary spikes.

    On the CPU, with every weight in int8 and every possible sum (at most the row sum of |W|, since
    spikes are 0/1) below 2^31, a product is one int8 x int8 -> int32 matrix product: integer
    arithmetic, exact, and several times faster than a float32 GEMM (VNNI). Otherwise it runs in the
    float type of :func:`exact_float_dtype` and is rounded to int64.

    Attributes:
        w_int: int64 [OUT, IN] weights.
        bound: the largest possible |sum|, max over outputs of sum_j |W[c, j]|.
        int8_t: int8 [IN, OUT] (transposed, contiguous) for the int8 path, else None.
    """

    w_int: torch.Tensor
    bound: int
    int8_t: torch.Tensor | None

    @classmethod
    def of(cls, w_int: torch.Tensor) -> SpikeWeights:
        w_abs = w_int.abs()
        bound = int(w_abs.sum(dim=1).max()) if w_int.numel() else 0
        peak = int(w_abs.max()) if w_int.numel() else 0
        # torch._int_mm is private API (torch >= 2.2 on the CPU): without it, the float path
        fits = (w_int.device.type == "cpu" and peak <= _INT8_MAX and bound < _INT32_LIMIT
                and hasattr(torch, "_int_mm"))
        return cls(w_int, bound, _row_major(w_int.to(torch.int8).T) if fits else None)

    def matmul(self, spikes: torch.Tensor) -> torch.Tensor:
        """Currents I = S @ W^T, int32 or int64 [M, OUT], of binary spikes S [M, IN] (int8 0/1)."""
        if self.int8_t is not None and spikes.device.type == "cpu":
            return torch._int_mm(_row_major(spikes.to(torch.int8)), self.int8_t)
        dtype = exact_float_dtype(self.bound, spikes.device)
        return torch.round(spikes.to(dtype) @ self.w_int.to(spikes.device, dtype).T).to(torch.int64)


def spike_matmul(spikes: torch.Tensor, w_int: torch.Tensor) -> torch.Tensor:
    """Exact integer currents I = S @ W^T of binary spikes S [M, IN] and integer W [OUT, IN] (see
    :class:`SpikeWeights`)."""
    return SpikeWeights.of(w_int).matmul(spikes)


def state_key(module: torch.nn.Module) -> tuple[object, ...]:
    """Identity of a module's state: every parameter and buffer's storage, version counter, dtype,
    plus the training flag. An optimizer step, ``load_state_dict`` or ``.to()`` changes it, so values
    derived from the state (integer weights) can be cached against it."""
    tensors = [*module.parameters(), *module.buffers()]
    return (module.training, *((t.data_ptr(), t._version, t.dtype, t.device) for t in tensors))


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
        # Training on binary spikes that need no gradient (the readout after DCLL layers, which learn
        # locally): the float product runs through the event-driven kernel. SNNClassifier sets it.
        self.spike_input = False
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
            if self.spike_input and self.training and self.quantized and torch.is_grad_enabled():
                out = spike_linear(x, self.quant_weight().value)
                if out is not None:
                    return out
            return super().forward(x.float() if x.dtype == torch.uint8 else x)  # uint8: spikes of a DCLL kernel
        if x.dim() != 3 or x.shape[-1] != self.in_features:
            raise SNN2FPGAError(
                f"QuantLinear({self.in_features}->{self.out_features}) expects spikes [T, B, "
                f"{self.in_features}], got {tuple(x.shape)}"
            )
        weights, scale = self._eval_weights()
        steps, batch = x.shape[:2]
        spikes = binary_int8(x, "QuantLinear").reshape(steps * batch, self.in_features)
        current = weights.matmul(spikes).reshape(steps, batch, self.out_features)
        return IntCurrent(value=current, scale=scale)

    def _eval_weights(self) -> tuple[SpikeWeights, torch.Tensor]:
        """The prepared integer weights and scale, recomputed only when the layer's state changed
        (Brevitas re-quantizes the weights on every call otherwise)."""
        key = state_key(self)
        cache = getattr(self, "_weights_cache", None)
        if cache is None or cache[0] != key:
            w_int, scale = self.integer_weight()
            cache = (key, SpikeWeights.of(w_int), scale)
            self._weights_cache = cache
        return cache[1], cache[2].clone()
