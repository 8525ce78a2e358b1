"""Integer reference of spiking convolution and spike pooling over binary spike maps.

Layout: spikes [T, B, C, H, W] (uint8 0/1), weights [Cout, Cin, K, K] (integers), NCHW as in PyTorch.

* ``conv_currents``: I[t, b, co, y, x] = sum_{ci, ky, kx} W[co, ci, ky, kx] * S[t, b, ci, y*s + ky - p, x*s + kx - p]
  with zero padding p and stride s (dilation 1, groups 1). Integer, int64, adders only on binary spikes.
  The output size is Ho = (H + 2p - K) // s + 1 (and the same for W).
* ``maxpool_spikes``: max pooling of binary spikes is the OR over each window (window K, stride K by
  default, no padding), still binary, so the next layer keeps adder-only synapses. Sum or average
  pooling would produce non-binary values and is not part of the semantics.
* The neuron update of a conv layer is :func:`snn2fpga.semantics.neuron.run_neurons` on the currents
  flattened to [T, B, Cout*Ho*Wo] with the per-channel threshold repeated over the Ho*Wo positions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from snn2fpga.errors import SNN2FPGAError


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def conv_currents(
    spikes: npt.ArrayLike, weight: npt.ArrayLike, stride: int = 1, padding: int = 0
) -> npt.NDArray[np.int64]:
    """Integer currents [T, B, Cout, Ho, Wo] of a spiking convolution (see module docstring)."""
    s = np.asarray(spikes).astype(np.int64)
    w = np.asarray(weight).astype(np.int64)
    if s.ndim != 5 or w.ndim != 4:
        raise SNN2FPGAError(f"conv expects spikes [T, B, C, H, W] and weights [Co, Ci, K, K], got {s.shape}, {w.shape}")
    steps, batch, cin, height, width = s.shape
    cout, wcin, kh, kw = w.shape
    if wcin != cin or kh != kw:
        raise SNN2FPGAError(f"conv weight {w.shape} does not fit {cin} input channels with a square kernel")
    ho, wo = conv_out_size(height, kh, stride, padding), conv_out_size(width, kw, stride, padding)
    if ho < 1 or wo < 1:
        raise SNN2FPGAError(f"conv kernel {kh} with padding {padding} does not fit a {height}x{width} input")
    padded = np.zeros((steps, batch, cin, height + 2 * padding, width + 2 * padding), dtype=np.int64)
    padded[..., padding : padding + height, padding : padding + width] = s
    out = np.zeros((steps, batch, cout, ho, wo), dtype=np.int64)
    for ky in range(kh):
        for kx in range(kw):
            patch = padded[..., ky : ky + stride * (ho - 1) + 1 : stride, kx : kx + stride * (wo - 1) + 1 : stride]
            out += np.einsum("tbchw,oc->tbohw", patch, w[:, :, ky, kx])
    return out


def maxpool_spikes(spikes: npt.ArrayLike, kernel: int, stride: int | None = None) -> npt.NDArray[np.uint8]:
    """OR over non-overlapping (or strided) windows of binary spike maps [T, B, C, H, W]."""
    s = np.asarray(spikes)
    st = stride or kernel
    steps, batch, chans, height, width = s.shape
    ho, wo = conv_out_size(height, kernel, st, 0), conv_out_size(width, kernel, st, 0)
    if ho < 1 or wo < 1:
        raise SNN2FPGAError(f"pool window {kernel} does not fit a {height}x{width} input")
    out = np.zeros((steps, batch, chans, ho, wo), dtype=np.uint8)
    for ky in range(kernel):
        for kx in range(kernel):
            out |= s[..., ky : ky + st * (ho - 1) + 1 : st, kx : kx + st * (wo - 1) + 1 : st].astype(np.uint8)
    return out
