"""The fast integer paths of the PyTorch eval forward equal the int64 reference, exactly.

int8 x int8 -> int32 products, the chunked binary-spike check, the int32 membrane and the cached
integer weights are each compared with ``==`` against the plain int64 computation, on random inputs
and on the worst-case magnitudes that would break them if their bounds were wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import IF, LI, LIF, IntCurrent, QuantLinear
from snn2fpga.nn.neurons import membrane_dtype
from snn2fpga.nn.synapse import _CHECK_CHUNK, SpikeWeights, binary_int8, spike_matmul
from snn2fpga.semantics import run_neurons
from snn2fpga.semantics.neuron import LeakMode, NeuronParams


def _reference(spikes: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return spikes.to(torch.int64) @ w.to(torch.int64).T


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 1, 2), (1, 7, 5), (40, 33, 17), (256, 784, 64)])
def test_int8_product_equals_int64_on_random_and_extreme_weights(m, k, n):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    spikes = torch.from_numpy((rng.random((m, k)) < 0.5).astype(np.int8))
    for w in (torch.from_numpy(rng.integers(-127, 128, (n, k))),
              torch.full((n, k), 127, dtype=torch.int64), torch.full((n, k), -127, dtype=torch.int64)):
        prepared = SpikeWeights.of(w)
        assert prepared.int8_t is not None  # the int8 path is the one under test
        got = prepared.matmul(spikes)
        assert got.dtype == torch.int32
        assert torch.equal(got.to(torch.int64), _reference(spikes, w))
        ones = torch.ones((m, k), dtype=torch.int8)  # every input fires: the largest sums
        assert torch.equal(prepared.matmul(ones).to(torch.int64), _reference(ones, w))


def test_transposed_one_input_weight_is_read_with_the_right_strides():
    # a [OUT, 1] weight transposes to a [1, OUT] view that counts as contiguous with stride (1, 1);
    # the int8 GEMM read it with a wrong leading dimension before _row_major
    w = torch.tensor([[0], [3]])
    spikes = torch.tensor([[0], [1], [1]], dtype=torch.int8)
    assert torch.equal(spike_matmul(spikes, w).to(torch.int64), torch.tensor([[0, 0], [0, 3], [0, 3]]))


def test_wide_weights_and_huge_sums_take_the_exact_float_path():
    rng = np.random.default_rng(1)
    spikes = torch.from_numpy((rng.random((9, 600)) < 0.7).astype(np.int8))
    w16 = torch.from_numpy(rng.integers(-32767, 32768, (6, 600)))  # beyond int8; sums beyond 2^24
    w16[0] = 32767
    prepared = SpikeWeights.of(w16)
    assert prepared.int8_t is None and prepared.bound >= 1 << 24
    assert torch.equal(prepared.matmul(spikes), _reference(spikes, w16))


@pytest.mark.parametrize("bad", [0.5, 1e-45, 1 - 2**-24, 1e-30, 2.0, -1.0, float("nan"), float("inf")])
@pytest.mark.parametrize("where", [0, _CHECK_CHUNK + 5])
def test_binary_check_rejects_every_non_binary_value(bad, where):
    x = torch.zeros(2 * _CHECK_CHUNK + 11)
    x[3] = 1.0
    x[where] = bad
    with pytest.raises(SNN2FPGAError, match="binary spikes"):
        binary_int8(x, "QuantLinear")
    with pytest.raises(SNN2FPGAError, match="binary spikes"):
        binary_int8(x.to(torch.float64), "QuantLinear")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.uint8, torch.int64, torch.bool])
def test_binary_check_accepts_spikes_of_every_dtype(dtype):
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.random((3, 5, _CHECK_CHUNK // 7 + 3)) < 0.4).to(dtype)
    got = binary_int8(x, "QuantLinear")
    assert got.dtype == torch.int8 and torch.equal(got, x.to(torch.int8))


def test_int_mm_path_layer_equals_reference_with_largest_weights():
    torch.manual_seed(0)
    syn = QuantLinear(300, 20, weight_bits=8).eval()
    with torch.no_grad():
        syn.weight.copy_(torch.sign(torch.randn(20, 300)))  # every weight at +-127 after quantization
    w_int, _ = syn.integer_weight()
    assert int(w_int.abs().min()) == 127
    spikes = (torch.rand(4, 6, 300) < 0.9).float()
    cur = syn(spikes)
    assert isinstance(cur, IntCurrent)
    assert torch.equal(cur.value.to(torch.int64), _reference(spikes.reshape(24, 300), w_int).reshape(4, 6, 20))


def test_cached_integer_weights_follow_in_place_changes():
    torch.manual_seed(1)
    syn = QuantLinear(10, 4, weight_bits=4).eval()
    spikes = (torch.rand(2, 3, 10) < 0.5).float()
    first = syn(spikes).value.clone()
    with torch.no_grad():
        syn.weight.mul_(-1.0)  # in place: same storage, new version
    second = syn(spikes).value
    w_int, _ = syn.integer_weight()
    assert torch.equal(second.to(torch.int64), _reference(spikes.reshape(6, 10), w_int).reshape(2, 3, 4))
    assert not torch.equal(first, second)


NEURON_CASES = [
    (lambda sb: LIF(leak_shift=3, threshold=1.0, state_bits=sb), "shift"),
    (lambda sb: LIF(beta=0.9, threshold=1.0, reset="zero", state_bits=sb), "mult"),
    (lambda sb: IF(threshold=1.0, state_bits=sb), "none"),
    (lambda sb: LI(state_bits=sb), "li"),
]


@pytest.mark.parametrize("make,name", NEURON_CASES)
@pytest.mark.parametrize("state_bits", [8, 16, 23, 24, 31, 32])
@pytest.mark.parametrize("record", [True, False])
def test_neuron_int_path_equals_reference_at_the_int32_boundary(make, name, state_bits, record):
    neuron = make(state_bits)
    p = neuron.params
    # the largest current that still lets the membrane run in int32, and one past it (int64)
    edge = (1 << 31) - (1 << (state_bits - 1)) - 1
    rng = np.random.default_rng(state_bits)
    for peak in (max(edge, 1), edge + 1, (1 << 31) - 1, 1 << 40, 1000):
        cur = rng.integers(-peak, peak + 1, (5, 3, 7))
        cur[0, 0, 0], cur[1, 0, 1], cur[1, 0, 0], cur[2, 1, 2] = peak, -peak, peak, -peak
        neuron.record_trace = record
        scale = torch.full((7,), 1.0 / 50)  # theta = 50 in weight-scale units
        out = neuron(IntCurrent(value=torch.from_numpy(cur), scale=scale))
        ref = run_neurons(cur, 50, p)
        expected_dtype = membrane_dtype(p, peak)
        if p.leak is not LeakMode.MULT and peak == edge:
            assert expected_dtype == torch.int32  # the boundary case does run in int32
        if neuron.spiking:
            assert torch.equal(out.to(torch.uint8), torch.from_numpy(ref.spikes))
        else:
            assert torch.equal(out[-1], torch.from_numpy(ref.v_final))
        if record:
            tr = neuron.last_trace
            assert np.array_equal(tr.spikes, ref.spikes) and np.array_equal(tr.v_final, ref.v_final)
            assert np.array_equal(tr.saturations, ref.saturations)
            assert np.array_equal(tr.v_absmax, ref.v_absmax)
        else:
            assert neuron.last_trace is None


def test_membrane_dtype_bounds():
    shift = NeuronParams(leak=LeakMode.SHIFT, state_bits=16, leak_shift=3)
    assert membrane_dtype(shift, (1 << 31) - (1 << 15) - 1) == torch.int32
    assert membrane_dtype(shift, (1 << 31) - (1 << 15)) == torch.int64
    mult = NeuronParams(leak=LeakMode.MULT, state_bits=24, beta_q=200, beta_frac_bits=8)
    assert membrane_dtype(mult, 10) == torch.int64  # beta_q * V may reach 2^31
    mult_ok = NeuronParams(leak=LeakMode.MULT, state_bits=23, beta_q=200, beta_frac_bits=8)
    assert membrane_dtype(mult_ok, 10) == torch.int32


def test_conv_integer_path_equals_reference_with_largest_weights():
    from snn2fpga.nn.conv import QuantConv2d
    from snn2fpga.semantics.conv import conv_currents

    torch.manual_seed(2)
    conv = QuantConv2d(3, 5, 5, stride=1, padding=2, weight_bits=8).eval()
    with torch.no_grad():
        conv.weight.copy_(torch.sign(torch.randn(5, 3, 5, 5)))  # every weight at +-127
    w_int, _ = conv.integer_weight()
    assert int(w_int.abs().min()) == 127
    for density in (0.3, 1.0):  # all-ones input: the largest sums
        spikes = (torch.rand(3, 4, 3, 9, 9) < density).float()
        cur = conv(spikes)
        assert cur.value.dtype == torch.int32
        ref = conv_currents(spikes.numpy().astype(np.uint8), w_int.numpy(), 1, 2)
        assert np.array_equal(cur.value.numpy().astype(np.int64), ref)
    with torch.no_grad():
        conv.weight.mul_(-1.0)  # the cached weights follow an in-place change
    w_neg, _ = conv.integer_weight()
    ref = conv_currents(spikes.numpy().astype(np.uint8), w_neg.numpy(), 1, 2)
    assert np.array_equal(conv(spikes).value.numpy().astype(np.int64), ref)
    bad = spikes.clone()
    bad[2, 3, 1, 8, 8] = 0.5
    with pytest.raises(SNN2FPGAError, match="binary spikes"):
        conv(bad)


@pytest.mark.parametrize("record", [True, False])
def test_neuron_blocks_of_samples_equal_reference(record):
    from snn2fpga.nn.neurons import _BLOCK_NEURONS

    chans = 8000
    batch = 8 * _BLOCK_NEURONS // chans + 3  # beyond the whole-batch size: several blocks, a short last one
    rng = np.random.default_rng(5)
    cur = rng.integers(-40000, 40001, (3, batch, chans))  # saturates a 16-bit state both ways
    neuron = LIF(leak_shift=2, threshold=1.0, reset="zero", state_bits=16)
    neuron.record_trace = record
    out = neuron(IntCurrent(value=torch.from_numpy(cur), scale=torch.full((chans,), 1.0 / 900)))
    ref = run_neurons(cur, 900, neuron.params)
    assert torch.equal(out.to(torch.uint8), torch.from_numpy(ref.spikes))
    if record:
        tr = neuron.last_trace
        assert ref.saturations.any()
        for name in ("spikes", "v_final", "saturations", "v_absmax"):
            assert np.array_equal(getattr(tr, name), getattr(ref, name)), name


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.96875])
def test_leaky_integrator_node_equals_the_loop(beta):
    """The float LI readout as one autograd node: its membranes and its input gradient against the
    per-timestep loop that autograd differentiates (the same recurrence, float32)."""
    from snn2fpga.nn.neurons import _LeakyIntegrate

    gen = torch.Generator().manual_seed(7)  # its own stream: the inputs do not depend on which tests ran before
    cur = torch.randn(40, 3, 5, dtype=torch.float32, generator=gen, requires_grad=True)
    g = torch.randn(40, 3, 5, generator=gen)
    out = _LeakyIntegrate.apply(cur, beta)
    (out * g).sum().backward()
    grad = cur.grad.clone()
    cur.grad = None
    v, ref = torch.zeros(3, 5), []
    for t in range(40):
        v = beta * v + cur[t]
        ref.append(v)
    (torch.stack(ref) * g).sum().backward()
    # float32 rounding of the two evaluation orders: up to 4.8e-6 over 900 random inputs (values up to ~10)
    torch.testing.assert_close(out, torch.stack(ref), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad, cur.grad, rtol=1e-5, atol=1e-5)
