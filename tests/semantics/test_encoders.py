"""Input quantization and spike encoders."""

import numpy as np
import pytest

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics import latency_encode, quantize_input, rate_encode, rate_thresholds
from snn2fpga.semantics.encoders import LFSR_MASK


def test_quantize_rounds_half_up_and_clips():
    assert quantize_input([[0.0, 1.0, 0.5, -0.2, 1.7, 1 / 255]]).tolist() == [[0, 255, 128, 0, 255, 1]]


def _reference_lfsr(seed: int, count: int) -> list[int]:
    """Bit-serial Galois LFSR written out independently of the vectorised code path."""
    s = seed or 0xACE1ACE1
    out = []
    for _ in range(count):
        for _ in range(8):
            s = (s >> 1) ^ (LFSR_MASK if s & 1 else 0)
        out.append(s & 0xFF)
    return out


def test_rate_pattern_is_the_documented_lfsr_and_deterministic():
    r = rate_thresholds(1234, 3, 5)
    assert r.ravel().tolist() == _reference_lfsr(1234, 15)
    assert np.array_equal(rate_thresholds(1234, 3, 5), r)
    # pinned values: the HLS encoder must reproduce these bytes
    assert rate_thresholds(0, 1, 4).ravel().tolist() == _reference_lfsr(0, 4)


def test_rate_encoding_extremes_and_mean_rate():
    q = np.array([[0, 255, 128]])
    s = rate_encode(q, 2000, seed=7)
    assert s[:, 0, 0].sum() == 0
    assert s[:, 0, 1].mean() > 0.98
    assert abs(s[:, 0, 2].mean() - 0.5) < 0.05


def test_latency_encoding():
    s = latency_encode(np.array([[0, 255, 128, 1]]), 16)
    assert s.sum(axis=0).tolist() == [[0, 1, 1, 1]]
    assert np.argmax(s[:, 0, 1]) == 0
    assert np.argmax(s[:, 0, 2]) == (127 * 15) // 255
    assert np.argmax(s[:, 0, 3]) == (254 * 15) // 255


@pytest.mark.parametrize("bad", [np.array([[256]]), np.array([[-1]]), np.array([[0.5]]), np.zeros(3)])
def test_encoder_rejects_bad_input(bad):
    with pytest.raises(SNN2FPGAError):
        rate_encode(bad, 4, 0)


def _slow_rate_encode(q: np.ndarray, timesteps: int, seed: int) -> np.ndarray:
    """The rate encoder as it was first written: a Python LFSR per sample, compared element by element."""
    r = np.array(_reference_lfsr(seed & 0xFFFFFFFF, timesteps * q.shape[1]), dtype=np.int64)
    r = r.reshape(timesteps, q.shape[1])
    out = np.zeros((timesteps, q.shape[0], q.shape[1]), dtype=np.uint8)
    for b in range(q.shape[0]):
        for t in range(timesteps):
            for i in range(q.shape[1]):
                out[t, b, i] = 1 if r[t, i] < int(q[b, i]) else 0
    return out


def _slow_latency_encode(q: np.ndarray, timesteps: int) -> np.ndarray:
    out = np.zeros((timesteps, *q.shape), dtype=np.uint8)
    for b, i in np.ndindex(*q.shape):
        v = int(q[b, i])
        if v > 0:
            out[((255 - v) * (timesteps - 1)) // 255, b, i] = 1
    return out


@pytest.mark.parametrize("case", range(12))
def test_vectorised_encoders_give_the_reference_bits(case):
    rng = np.random.default_rng(case)
    seed = [0, 1, 0xFFFFFFFF, 0xACE1ACE1, (1 << 40) + 5][case] if case < 5 else int(rng.integers(0, 1 << 63))
    timesteps, features, batch = int(rng.integers(1, 20)), int(rng.integers(1, 90)), int(rng.integers(1, 5))
    q = rng.integers(0, 256, (batch, features))
    q[0, 0] = 255
    dtype = [np.uint8, np.int64, np.float64][case % 3]  # what callers pass: codes, ints, integral floats
    got = rate_encode(q.astype(dtype), timesteps, seed)
    assert got.dtype == np.uint8 and np.array_equal(got, _slow_rate_encode(q, timesteps, seed))
    assert np.array_equal(latency_encode(q.astype(dtype), timesteps), _slow_latency_encode(q, timesteps))


def test_rate_pattern_long_sequences_and_every_table_length():
    """Lengths across the LFSR table's power-of-two growth, against the bit-serial reference."""
    for timesteps, features in [(1, 1), (1, 1023), (1, 1024), (1, 1025), (16, 784), (3, 3000)]:
        for seed in (7, 0xDEADBEEF):
            got = rate_thresholds(seed, timesteps, features).ravel().tolist()
            assert got == _reference_lfsr(seed, timesteps * features), (timesteps, features, seed)
