"""NIR Conv2d nodes as our QuantConv2d (square kernel, stride and zero padding; dilation 1, groups 1)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from snn2fpga.nir.semantics import NIRRefusal

PER_NEURON = ("tau", "r", "v_leak", "v_threshold", "v_reset", "threshold")


def _pair(value: Any, what: str, name: str) -> int:
    """One int from NIR's int-or-pair attributes; refuses unequal pairs (ours are square)."""
    arr = np.asarray(value).reshape(-1)
    if arr.size == 0 or not np.all(arr == arr[0]):
        raise NIRRefusal(name, "Conv2d", f"{what} {arr.tolist()} is not square; ours are (the same both ways)")
    return int(arr[0])


def map_conv(name: str, node: Any, shape: list[int] | None
             ) -> tuple[dict[str, Any], np.ndarray, list[int], list[int]]:
    """(our conv layer spec, float weight [O, I, K, K], input shape [C, H, W], output shape [O, Ho, Wo])."""
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 4 or w.shape[2] != w.shape[3]:
        raise NIRRefusal(name, "Conv2d", f"weight shape {w.shape} is not [out, in, K, K]")
    out_c, in_c, k = int(w.shape[0]), int(w.shape[1]), int(w.shape[2])
    bias = getattr(node, "bias", None)
    if bias is not None and np.any(np.asarray(bias, dtype=np.float64) != 0):
        raise NIRRefusal(name, "Conv2d", "its bias is non-zero; our synapses have no bias. Retrain with bias=False")
    if int(node.groups) != 1 or _pair(node.dilation, "dilation", name) != 1:
        raise NIRRefusal(name, "Conv2d", "grouped or dilated convolutions are not supported (groups 1, dilation 1)")
    stride = _pair(node.stride, "stride", name)
    pad = node.padding
    if isinstance(pad, str):
        if pad == "same" and (stride != 1 or k % 2 == 0):
            raise NIRRefusal(name, "Conv2d", "padding 'same' needs stride 1 and an odd kernel here")
        pad = k // 2 if pad == "same" else 0
    padding = _pair(pad, "padding", name)
    if shape is not None and len(shape) == 4 and shape[0] == 1:
        shape = shape[1:]  # a batch dimension of 1 in the Input type
    if shape is not None and len(shape) == 2:
        shape = [1, *shape]
    if shape is None or len(shape) != 3:
        spatial = getattr(node, "input_shape", None)
        if spatial is None or shape is not None:
            raise NIRRefusal(name, "Conv2d", f"its input shape {shape} is not [C, H, W]; type the graph's Input "
                             "node with the map shape")
        shape = [in_c, *(int(s) for s in np.asarray(spatial).reshape(-1))]
    if shape[0] != in_c:
        raise NIRRefusal(name, "Conv2d", f"it takes {in_c} channels but gets maps of shape {shape}")
    if not 1 <= k <= 15 or not 0 <= padding < k or stride < 1:
        raise NIRRefusal(name, "Conv2d", f"kernel {k}, stride {stride}, padding {padding}: ours need kernel 1..15 "
                         "and padding 0..kernel-1")
    ho, wo = ((s + 2 * padding - k) // stride + 1 for s in shape[1:])
    spec = {"type": "conv", "in_channels": in_c, "out_channels": out_c, "kernel": k, "stride": stride,
            "padding": padding, "weight_bits": None, "per_channel": False}
    return spec, w, list(shape), [out_c, ho, wo]


def per_channel(name: str, node: Any, channels: int, positions: int) -> Any:
    """A copy of a neuron node behind a conv with one value per channel: parameters given per neuron
    ([C, H, W]) must be equal over the positions of each channel (ours are per channel)."""
    out = copy.copy(node)
    for attr in PER_NEURON:
        value = getattr(node, attr, None)
        if value is None:
            continue
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
        if arr.size == channels * positions and positions > 1:
            rows = arr.reshape(channels, positions)
            if not np.all(rows == rows[:, :1]):
                raise NIRRefusal(name, type(node).__name__, f"{attr} differs between the positions of a channel; "
                                 "behind a convolution ours is one value per channel")
            arr = rows[:, 0]
        setattr(out, attr, arr)
    return out
