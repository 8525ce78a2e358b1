"""rtl/snn_rate_encoder.sv, snn_latency_encoder.sv, snn_spike_unpack.sv against snn2fpga.semantics.

Each case runs several samples back to back, once never stalled (the documented cycle formula is checked
handshake by handshake) and once with random input gaps and random output ready (the words must not
change). The host words come from the board runtime's packing (snn2fpga_board.host.pack_inputs).
"""

from __future__ import annotations

import numpy as np
import pytest
from snn2fpga_board.host import pack_inputs

from snn2fpga.semantics import EncoderKind, encode
from tests.rtl.harness import StreamResult, build, spike_words

SAMPLES = 3


def features(rng: np.random.Generator, n_in: int) -> np.ndarray:
    """[SAMPLES, n_in] bytes with the extremes 0 and 255 present."""
    q = rng.integers(0, 256, (SAMPLES, n_in))
    q[0, 0], q[1, -1] = 0, 255
    return q.astype(np.uint8)


def check_unstalled(res: StreamResult, words_in: int, words_out: int, banks: int) -> None:
    """Per sample: words_in input words, then words_out output words; the formula of the module headers."""
    assert res.in_cycles[0] == 0
    for k in range(SAMPLES):
        last = res.out_cycles[(k + 1) * words_out - 1]
        if banks >= 2:
            assert last == words_in + words_out - 1 + k * max(words_in, words_out), k
        else:
            assert last == (k + 1) * (words_in + words_out) - 1, k
    assert res.out_cycles[0] == words_in  # latency: the first output right after the last input of sample 0


def run_both(sim, words_in: list[int], expected: list[int], seed: int) -> StreamResult:
    fast = sim.run(words_in, len(expected), seed=seed)
    assert fast.words == expected
    slow = sim.run(words_in, len(expected), seed=seed + 1, p_valid=0.6, p_ready=0.5)
    assert slow.words == expected
    return fast


ENCODER_CASES = [  # (IN, SIMD, T, SEED, BANKS)
    (10, 5, 3, 0, 2),
    (16, 1, 2, 0xDEADBEEF, 1),
    (64, 16, 4, 7, 2),
]


@pytest.mark.parametrize(("n_in", "simd", "steps", "seed", "banks"), ENCODER_CASES)
def test_rate_encoder_matches_reference(n_in, simd, steps, seed, banks):
    sim = build("snn_rate_encoder", {"IN": n_in, "SIMD": simd, "T": steps, "SEED": seed, "BANKS": banks})
    q = features(np.random.default_rng(n_in + steps), n_in)
    expected = spike_words(encode(q, EncoderKind.RATE, steps, seed), simd)
    words_in = [int(w) for w in pack_inputs(q, "features").ravel()]
    res = run_both(sim, words_in, expected, seed=steps)
    check_unstalled(res, -(-n_in // 4), steps * n_in // simd, banks)


LATENCY_CASES = [  # (IN, SIMD, T, BANKS)
    (10, 2, 5, 2),
    (9, 9, 1, 2),
    (8, 4, 300, 1),
]


@pytest.mark.parametrize(("n_in", "simd", "steps", "banks"), LATENCY_CASES)
def test_latency_encoder_matches_reference(n_in, simd, steps, banks):
    sim = build("snn_latency_encoder", {"IN": n_in, "SIMD": simd, "T": steps, "BANKS": banks})
    q = features(np.random.default_rng(n_in * steps), n_in)
    spikes = encode(q, EncoderKind.LATENCY, steps)
    assert spikes.sum() > 0
    words_in = [int(w) for w in pack_inputs(q, "features").ravel()]
    res = run_both(sim, words_in, spike_words(spikes, simd), seed=steps)
    check_unstalled(res, -(-n_in // 4), steps * n_in // simd, banks)


UNPACK_CASES = [  # (IN, SIMD, T, BANKS)
    (40, 8, 3, 2),
    (33, 11, 2, 1),
    (64, 64, 2, 2),
]


@pytest.mark.parametrize(("n_in", "simd", "steps", "banks"), UNPACK_CASES)
def test_spike_unpack_matches_reference(n_in, simd, steps, banks):
    sim = build("snn_spike_unpack", {"IN": n_in, "SIMD": simd, "BANKS": banks})
    rng = np.random.default_rng(n_in)
    spikes = rng.integers(0, 2, (steps, SAMPLES, n_in)).astype(np.uint8)
    words_in = [int(w) for w in pack_inputs(spikes, "spikes").ravel()]
    res = run_both(sim, words_in, spike_words(spikes, simd), seed=n_in)
    iw, folds = -(-n_in // 32), n_in // simd
    # the unpacker's unit is the timestep: every timestep is one "sample" of the formula
    for k in range(steps * SAMPLES):
        last = res.out_cycles[(k + 1) * folds - 1]
        if banks >= 2:
            assert last == iw + folds - 1 + k * max(iw, folds)
        else:
            assert last == (k + 1) * (iw + folds) - 1
