"""Integer reference of the I/Q-plane spike encoder (prior-work 001, section 3.2).

Each I/Q sample becomes ONE spike on a G x G grid discretising the I/Q plane, one timestep per sample.

Host side (float, once per frame): normalise the frame (``snn2fpga.data.radioml.iq_normalize``: peak,
rms or none), then quantise each component to a signed 8-bit code over [-r, r)::

    code = clip(floor(v / r * 128), -128, 127)

Hardware side (integers only, reproduced by the on-chip encoder): for a code pair (ci, cq)::

    row = ((ci + 128) * G) >> 8        # bin of I, 0..G-1
    col = ((cq + 128) * G) >> 8        # bin of Q, 0..G-1
    spike[t, 0, row, col] = 1          # a [1, G, G] frame per timestep

so the DMA carries 2 bytes per timestep instead of a G x G frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from snn2fpga.errors import SNN2FPGAError

IQ_CODE_BITS = 8
IQ_CODE_MIN = -(1 << (IQ_CODE_BITS - 1))
IQ_CODE_MAX = (1 << (IQ_CODE_BITS - 1)) - 1


def quantize_iq(iq: npt.ArrayLike, iq_range: float = 1.0) -> npt.NDArray[np.int8]:
    """Normalised I/Q [N, T, 2] (float) -> signed 8-bit codes over [-iq_range, iq_range)."""
    if iq_range <= 0:
        raise SNN2FPGAError(f"iq_range must be positive, got {iq_range}")
    arr = np.asarray(iq, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[-1] != 2:
        raise SNN2FPGAError(f"I/Q input must be [frames, samples, 2], got shape {arr.shape}")
    codes = np.floor(arr / iq_range * (1 << (IQ_CODE_BITS - 1)))
    return np.clip(np.nan_to_num(codes), IQ_CODE_MIN, IQ_CODE_MAX).astype(np.int8)


def iq_bins(codes: npt.ArrayLike, grid: int) -> npt.NDArray[np.int64]:
    """Grid bin 0..grid-1 of each 8-bit code."""
    c = np.asarray(codes).astype(np.int64)
    return ((c - IQ_CODE_MIN) * grid) >> IQ_CODE_BITS


def iq_plane_encode(codes: npt.ArrayLike, grid: int) -> npt.NDArray[np.uint8]:
    """8-bit I/Q codes [B, T, 2] -> one-hot spike frames [T, B, 1, grid, grid]."""
    c = np.asarray(codes)
    if c.ndim != 3 or c.shape[-1] != 2:
        raise SNN2FPGAError(f"I/Q codes must be [frames, samples, 2], got shape {c.shape}")
    if not 2 <= grid <= 256:
        raise SNN2FPGAError(f"I/Q grid must be 2..256 bins, got {grid}")
    if c.size and (c.min() < IQ_CODE_MIN or c.max() > IQ_CODE_MAX):
        raise SNN2FPGAError(f"I/Q codes must lie in {IQ_CODE_MIN}..{IQ_CODE_MAX}")
    batch, steps, _ = c.shape
    bins = iq_bins(c, grid)
    out = np.zeros((steps, batch, 1, grid, grid), dtype=np.uint8)
    t_idx, b_idx = np.meshgrid(np.arange(steps), np.arange(batch), indexing="ij")
    out[t_idx, b_idx, 0, bins[:, :, 0].T, bins[:, :, 1].T] = 1
    return out
