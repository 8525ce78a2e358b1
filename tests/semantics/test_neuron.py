"""The integer reference on hand-computed cases."""

import numpy as np
import pytest

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics import LeakMode, NeuronParams, ResetMode, dense_currents, leak, predict, run_neurons


def p(**kw):
    base = dict(leak=LeakMode.NONE, state_bits=8)
    base.update(kw)
    return NeuronParams(**base)


def test_shift_leak_floors_toward_minus_infinity():
    v = np.array([7, -7, -1, 1, 0], dtype=np.int64)
    # 7 - (7 >> 2) = 7 - 1 = 6 ; -7 - (-7 >> 2) = -7 - (-2) = -5 ; -1 - (-1) = 0 ; 1 - 0 = 1
    assert leak(v, p(leak=LeakMode.SHIFT, leak_shift=2)).tolist() == [6, -5, 0, 1, 0]


def test_mult_leak_is_floor_of_fixed_point_product():
    v = np.array([10, -10, 3], dtype=np.int64)
    # beta = 200/256: 2000 >> 8 = 7 ; -2000 >> 8 = -8 ; 600 >> 8 = 2
    assert leak(v, p(leak=LeakMode.MULT, beta_q=200, beta_frac_bits=8)).tolist() == [7, -8, 2]


def test_subtract_and_zero_reset():
    cur = np.array([[[5]], [[5]], [[5]]], dtype=np.int64)  # T=3, B=1, C=1
    sub = run_neurons(cur, [7], p(reset=ResetMode.SUBTRACT))
    # V: 5 -> 10 (fire, 3) -> 8 (fire, 1)
    assert sub.spikes[:, 0, 0].tolist() == [0, 1, 1]
    assert sub.v_final.tolist() == [[1]]
    zero = run_neurons(cur, [7], p(reset=ResetMode.ZERO))
    # V: 5 -> 10 (fire, 0) -> 5
    assert zero.spikes[:, 0, 0].tolist() == [0, 1, 0]
    assert zero.v_final.tolist() == [[5]]


def test_threshold_is_inclusive():
    tr = run_neurons(np.array([[[7]]]), [7], p())
    assert tr.spikes.tolist() == [[[1]]]


def test_saturation_clamps_and_counts():
    cur = np.full((4, 2, 1), 100, dtype=np.int64)
    cur[:, 1] = -100
    tr = run_neurons(cur, [127], p(spiking=False))
    # 8-bit state: 100 -> 127 (clamped) -> 127 ... ; -100 -> -128 (clamped) ...
    assert tr.v_final.tolist() == [[127], [-128]]
    assert tr.saturations.tolist() == [3, 3]
    assert tr.v_absmax.tolist() == [227, 228]


def test_li_readout_never_spikes_and_tie_breaks_low():
    cur = np.array([[[3, 3, 1]]], dtype=np.int64)
    tr = run_neurons(cur, 0, p(spiking=False))
    assert tr.spikes.sum() == 0
    assert predict(tr.v_final).tolist() == [0]


def test_dense_currents_are_int64_sums():
    s = np.array([[[1, 0, 1]]], dtype=np.uint8)
    w = np.array([[2, 5, -3], [-8, 1, 7]])
    assert dense_currents(s, w).tolist() == [[[-1, -1]]]


@pytest.mark.parametrize(
    "kw",
    [dict(state_bits=1), dict(state_bits=33), dict(leak=LeakMode.SHIFT, leak_shift=0),
     dict(leak=LeakMode.MULT, beta_q=256, beta_frac_bits=8), dict(leak=LeakMode.MULT, beta_q=1, beta_frac_bits=0)],
)
def test_bad_parameters_are_rejected(kw):
    with pytest.raises(SNN2FPGAError):
        p(**kw)


def test_threshold_outside_state_range_is_rejected():
    with pytest.raises(SNN2FPGAError, match="state range"):
        run_neurons(np.zeros((1, 1, 1)), [128], p())


@pytest.mark.parametrize("wmax", [127, 1 << 20, 1 << 44])  # BLAS path, BLAS path, int64 path (bound >= 2^53)
def test_dense_currents_equal_integer_sums_on_either_path(wmax):
    rng = np.random.default_rng(wmax % 1000)
    s = (rng.random((3, 4, 600)) < 0.5).astype(np.uint8)
    s[0, 0] = 1  # an all-ones row: the largest sums
    w = rng.integers(-wmax, wmax + 1, (5, 600), dtype=np.int64)
    w[0], w[1] = wmax, -wmax
    expected = np.einsum("tbj,cj->tbc", s.astype(object), w.astype(object))  # Python integers, no overflow
    got = dense_currents(s, w)
    assert got.dtype == np.int64 and np.array_equal(got, expected.astype(np.int64))
    assert got[0, 0, 0] == 600 * wmax and got[0, 0, 1] == -600 * wmax


@pytest.mark.parametrize("bad", [0.5, -2.25, np.nan, np.inf])
def test_a_fractional_current_is_refused_not_truncated(bad):
    cur = np.zeros((2, 1, 3))
    cur[1, 0, 2] = bad
    with pytest.raises(SNN2FPGAError, match="integer-valued"):
        run_neurons(cur, [5, 5, 5], p())
    assert run_neurons(cur[:1], [5, 5, 5], p()).v_final.dtype == np.int64  # integer-valued floats are taken
