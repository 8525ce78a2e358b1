"""Integer reference of the input quantizer and the spike encoders.

Input features x in [0, 1] become ``INPUT_BITS``-bit integers q = clip(floor(x * 255 + 0.5), 0, 255)
on the host. The encoders then work on q only (integers), so the on-chip encoder of the HLS flow
reproduces them bit for bit:

* ``rate``: spike[t, i] = R[t, i] < q[i], where R is a fixed pseudo-random byte sequence from a 32-bit
  Galois LFSR (polynomial x^32 + x^22 + x^2 + x + 1, right-shifting, mask 0x80200003), seeded with the
  encoder seed at every sample start and stepped 8 times per byte, bytes taken in (t, i) row-major
  order. A feature at 255 fires with probability 255/256; at 0 it never fires.
* ``latency``: one spike per feature with q > 0, at t = ((255 - q) * (T - 1)) // 255 (brighter = earlier).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from snn2fpga.errors import SNN2FPGAError

INPUT_BITS = 8
INPUT_MAX = (1 << INPUT_BITS) - 1
LFSR_MASK = 0x80200003
LFSR_STEPS_PER_BYTE = 8
LFSR_ZERO_SEED = 0xACE1ACE1  # an all-zero LFSR never leaves zero; seed 0 maps here


class EncoderKind(StrEnum):
    """How input intensities become spike trains."""

    RATE = "rate"
    LATENCY = "latency"
    IQ_PLANE = "iq_plane"  # radio I/Q samples, one spike per sample on a grid (semantics.iq)


def quantize_input(x: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Host-side quantization of features in [0, 1] to 8-bit integers (round half up, clipped)."""
    arr = np.asarray(x, dtype=np.float64)
    return np.clip(np.floor(arr * INPUT_MAX + 0.5), 0, INPUT_MAX).astype(np.uint8)


def lfsr_seed_state(seed: int) -> int:
    """The LFSR state at every sample start for an encoder seed."""
    state = seed & 0xFFFFFFFF
    return state if state else LFSR_ZERO_SEED


def _lfsr_step_bytes(state: int) -> int:
    """The state after one byte's worth (``LFSR_STEPS_PER_BYTE`` steps) of the Galois LFSR."""
    for _ in range(LFSR_STEPS_PER_BYTE):
        lsb = state & 1
        state >>= 1
        if lsb:
            state ^= LFSR_MASK
    return state


_STATE_BITS = 32
_BASIS_MIN_LENGTH = 1024


@lru_cache(maxsize=1)
def _basis_bytes(length: int) -> npt.NDArray[np.uint32]:
    """States S[n, j] (uint32) of the LFSR n + 1 bytes after starting from the single bit 1 << j.

    The Galois LFSR is linear over GF(2), so the state n + 1 bytes after any start s is the XOR of
    S[n, j] over the bits j set in s: one table of 32 columns serves every seed. It is built by
    doubling (the states [K, 2K) are the transition M^K applied to the states [0, K), and the
    columns of M^K are row K - 1), i.e. log2(length) rounds of 32 vectorised XORs instead of
    8 * length Python steps per seed.
    """
    table = np.array([[_lfsr_step_bytes(1 << j) for j in range(_STATE_BITS)]], dtype=np.uint32)
    while table.shape[0] < length:
        jump = table[-1]  # column i: M^K e_i
        upper = np.zeros_like(table)
        for i in range(_STATE_BITS):
            upper ^= ((table >> np.uint32(i)) & np.uint32(1)) * jump[i]
        table = np.concatenate([table, upper])
    return table[:length]


@lru_cache(maxsize=256)
def _rate_thresholds_cached(seed: int, timesteps: int, features: int) -> bytes:
    length = timesteps * features
    # one table for every length up to a power of two: training reseeds per batch, T and N stay
    basis = _basis_bytes(max(_BASIS_MIN_LENGTH, 1 << max(0, length - 1).bit_length()))[:length]
    state = lfsr_seed_state(seed)
    bits = [j for j in range(_STATE_BITS) if state >> j & 1]
    out = np.bitwise_xor.reduce(basis[:, bits], axis=1) if bits else np.zeros(length, dtype=np.uint32)
    return (out & np.uint32(0xFF)).astype(np.uint8).tobytes()


def rate_thresholds(seed: int, timesteps: int, features: int) -> npt.NDArray[np.uint8]:
    """The [T, N] pseudo-random byte pattern R of the rate encoder (cached per seed, T and N)."""
    raw = _rate_thresholds_cached(int(seed), int(timesteps), int(features))
    return np.frombuffer(raw, dtype=np.uint8).reshape(timesteps, features)


def _check_q(q: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Quantized features [B, N] checked to be integers 0..255, as uint8 (uint8 input passes uncopied)."""
    arr = np.asarray(q)
    if arr.ndim != 2:
        raise SNN2FPGAError(f"encoder input must be [batch, features] integers, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.floor(arr) == arr):
            raise SNN2FPGAError("encoder input must hold integers 0..255 (quantize_input() makes them)")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() > INPUT_MAX):
        raise SNN2FPGAError(f"encoder input must lie in 0..{INPUT_MAX}, got {arr.min()}..{arr.max()}")
    return arr.astype(np.uint8)


def rate_encode(q: npt.ArrayLike, timesteps: int, seed: int) -> npt.NDArray[np.uint8]:
    """Rate-code quantized features [B, N] into spikes [T, B, N]."""
    qi = _check_q(q)
    r = rate_thresholds(seed, timesteps, qi.shape[1])
    return (r[:, None, :] < qi[None, :, :]).view(np.uint8)


def latency_encode(q: npt.ArrayLike, timesteps: int) -> npt.NDArray[np.uint8]:
    """Latency-code quantized features [B, N] into spikes [T, B, N] (one spike per nonzero feature)."""
    qi = _check_q(q).astype(np.int64)
    t_fire = ((INPUT_MAX - qi) * (timesteps - 1)) // INPUT_MAX
    steps = np.arange(timesteps, dtype=np.int64)[:, None, None]
    return ((steps == t_fire[None]) & (qi[None] > 0)).astype(np.uint8)


def encode(q: npt.ArrayLike, kind: EncoderKind, timesteps: int, seed: int = 0) -> npt.NDArray[np.uint8]:
    """Encode quantized features with the named encoder."""
    if timesteps < 1:
        raise SNN2FPGAError(f"timesteps must be >= 1, got {timesteps}")
    if kind is EncoderKind.RATE:
        return rate_encode(q, timesteps, seed)
    if kind is EncoderKind.LATENCY:
        return latency_encode(q, timesteps)
    raise SNN2FPGAError("the iq_plane encoder takes I/Q codes: use snn2fpga.semantics.iq.iq_plane_encode")
