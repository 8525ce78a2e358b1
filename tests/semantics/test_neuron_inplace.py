"""The in-place reference loop and the blocked QONNX neuron op equal the plain expressions, exactly.

``_plain_run_neurons`` is the reference loop as first written (one new array per expression); the
library's ``run_neurons`` computes in place, and ``LIF.run`` of the QONNX op evaluates blocks of
samples. Random currents up to beyond the state range make every saturation and reset branch fire; the
loop runs in int32 where a bound allows, and both sides of that bound are checked.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops.neuron_ops import _BLOCK_NEURONS, LIF, LeakyIntegrator
from snn2fpga.semantics.neuron import (
    LeakMode,
    NeuronParams,
    NeuronTrace,
    ResetMode,
    _work_dtype,
    leak,
    run_neurons,
)


def _plain_run_neurons(cur: np.ndarray, theta: np.ndarray, p: NeuronParams) -> NeuronTrace:
    cur = cur.astype(np.int64)
    steps, batch, chans = cur.shape
    th = np.broadcast_to(np.asarray(theta, dtype=np.int64), (chans,))
    v = np.zeros((batch, chans), dtype=np.int64)
    spikes = np.zeros((steps, batch, chans), dtype=np.uint8)
    sats = np.zeros(batch, dtype=np.int64)
    vmax = np.zeros(batch, dtype=np.int64)
    for t in range(steps):
        v = leak(v, p) + cur[t]
        vmax = np.maximum(vmax, np.abs(v).max(axis=1, initial=0))
        clamped = np.clip(v, p.state_min, p.state_max)
        sats += np.count_nonzero(clamped != v, axis=1)
        v = clamped
        if p.spiking:
            spk = v >= th
            spikes[t] = spk
            v = v - np.where(spk, th, 0) if p.reset is ResetMode.SUBTRACT else np.where(spk, 0, v)
    return NeuronTrace(spikes=spikes, v_final=v, saturations=sats, v_absmax=vmax)


PARAMS = [
    NeuronParams(LeakMode.SHIFT, 12, ResetMode.SUBTRACT, leak_shift=2),
    NeuronParams(LeakMode.SHIFT, 32, ResetMode.ZERO, leak_shift=32),
    NeuronParams(LeakMode.MULT, 16, ResetMode.SUBTRACT, beta_q=200, beta_frac_bits=8),
    NeuronParams(LeakMode.MULT, 24, ResetMode.ZERO, beta_q=65535, beta_frac_bits=16),
    NeuronParams(LeakMode.NONE, 8, ResetMode.SUBTRACT),
    NeuronParams(LeakMode.NONE, 20, spiking=False),
    NeuronParams(LeakMode.SHIFT, 10, leak_shift=1, spiking=False),
]


def _equal(a: NeuronTrace, b: NeuronTrace) -> None:
    for name in ("spikes", "v_final", "saturations", "v_absmax"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), name


@pytest.mark.parametrize("p", PARAMS, ids=lambda p: f"{p.leak}-{p.state_bits}-{p.reset}-{p.spiking}")
@pytest.mark.parametrize("seed", [0, 1])
def test_in_place_reference_equals_plain_expressions(p, seed):
    rng = np.random.default_rng(seed)
    peak = 3 << (p.state_bits - 1)  # three times the state range: saturates both ways
    cur = rng.integers(-peak, peak + 1, (7, 5, 9))
    theta = rng.integers(1, p.state_max + 1, 9)
    _equal(run_neurons(cur, theta, p), _plain_run_neurons(cur, theta, p))
    zero_chans = np.zeros((3, 2, 0), dtype=np.int64)
    _equal(run_neurons(zero_chans, theta[:0], p), _plain_run_neurons(zero_chans, theta[:0], p))


def _op(kind, p: NeuronParams, theta: np.ndarray, timesteps: int = 0):
    attrs = dict(leak=p.leak.value, leak_shift=p.leak_shift, beta_q=p.beta_q, beta_frac_bits=p.beta_frac_bits,
                 reset=p.reset.value, state_bits=p.state_bits, timesteps=timesteps)
    if kind is LIF:
        attrs["threshold"] = [int(t) for t in theta]
    outs = ["s", "v", "n"] if kind is LIF else ["v", "n"]
    return kind(helper.make_node(kind.__name__, ["i"], outs, domain="snn2fpga.custom_op", **attrs))


@pytest.mark.parametrize("p", PARAMS, ids=lambda p: f"{p.leak}-{p.state_bits}-{p.reset}-{p.spiking}")
def test_blocked_op_equals_one_reference_call(p):
    rng = np.random.default_rng(3)
    chans = 1000
    batch = 3 * (_BLOCK_NEURONS // chans) + 5  # several blocks and a short last one
    peak = 3 << (p.state_bits - 1)
    cur = rng.integers(-peak, peak + 1, (4, batch, chans))
    theta = rng.integers(1, p.state_max + 1, chans)
    op = _op(LIF if p.spiking else LeakyIntegrator, p, theta)
    expected = _plain_run_neurons(cur, theta if p.spiking else np.zeros(chans, np.int64), p)
    _equal(op.run(cur.astype(np.float64)), expected)
    _equal(op.run(cur), expected)


def test_blocked_op_on_folded_maps_equals_reference():
    p = PARAMS[0]
    rng = np.random.default_rng(4)
    steps, batch, c, h, w = 3, 2 * (_BLOCK_NEURONS // (4 * 10 * 10)) + 1, 4, 10, 10
    cur = rng.integers(-3000, 3001, (steps * batch, c, h, w))
    theta = rng.integers(1, p.state_max + 1, c)
    expected = _plain_run_neurons(cur.reshape(steps, batch, -1), np.repeat(theta, h * w), p)
    _equal(_op(LIF, p, theta, timesteps=steps).run(cur.astype(np.float32)), expected)


@pytest.mark.parametrize("bad", [0.5, np.nan, np.inf, 1e30])
def test_a_non_integer_current_in_a_late_block_is_refused(bad):
    p = PARAMS[0]
    chans = 1000
    batch = 2 * (_BLOCK_NEURONS // chans) + 1
    cur = np.zeros((2, batch, chans))
    cur[1, batch - 1, chans - 1] = bad
    with pytest.raises(SNN2FPGAError, match="not integer-valued"):
        _op(LIF, p, np.ones(chans, np.int64)).run(cur)


# The int32 work type is chosen from a bound; either side of the bound the result is the plain int64 one.
BOUNDARY = [
    # (params, largest |current|, expected work dtype)
    (NeuronParams(LeakMode.SHIFT, 31, ResetMode.SUBTRACT, leak_shift=3), (1 << 30) - 1, np.int32),
    (NeuronParams(LeakMode.SHIFT, 31, ResetMode.ZERO, leak_shift=3), 1 << 30, np.int64),
    (NeuronParams(LeakMode.MULT, 16, ResetMode.SUBTRACT, beta_q=65535, beta_frac_bits=16), 1 << 20, np.int32),
    (NeuronParams(LeakMode.MULT, 17, ResetMode.SUBTRACT, beta_q=65535, beta_frac_bits=16), 1 << 20, np.int64),
    (NeuronParams(LeakMode.NONE, 32, spiking=False), 5, np.int64),
]


@pytest.mark.parametrize(("p", "peak", "dtype"), BOUNDARY, ids=lambda x: str(x)[:40])
def test_work_dtype_either_side_of_the_int32_bound_gives_the_plain_result(p, peak, dtype):
    rng = np.random.default_rng(peak % 97)
    cur = rng.integers(-peak, peak + 1, (9, 4, 6))
    cur[0, 0, 0], cur[1, 0, 1] = peak, -peak  # the extremes are present, so the bound is exactly the one named
    assert _work_dtype(cur, p) is dtype
    theta = rng.integers(1, p.state_max + 1, 6)
    _equal(run_neurons(cur, theta, p), _plain_run_neurons(cur, theta, p))


def test_float32_currents_beyond_int32_take_the_int64_path():
    p = NeuronParams(LeakMode.SHIFT, 32, ResetMode.SUBTRACT, leak_shift=4)
    # multiples of 2^10 up to 3 * 2^31 are exact in float32; some of them do not fit int32
    cur = np.random.default_rng(5).integers(-(3 << 21), (3 << 21) + 1, (5, 3, 7)) << 10
    cur[0, 0, 0], cur[0, 0, 1], cur[1, 0, 0] = 1 << 31, -(1 << 31), (1 << 24) + 2
    assert np.array_equal(cur.astype(np.float32).astype(np.int64), cur)
    theta = np.full(7, 1 << 20, dtype=np.int64)
    _equal(_op(LIF, p, theta).run(cur.astype(np.float32)), _plain_run_neurons(cur, theta, p))
