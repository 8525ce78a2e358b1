"""The event-driven C kernels of DCLL conv layers (snn2fpga/nn/dcll_native.py) against independent paths.

* Integer path: == the numpy reference ``run_dcll`` on the current of a float64 ``F.conv2d`` (exact
  integers), spikes, final states, saturation counts and peaks, over strides, paddings, kernel sizes,
  channel counts, both state types (int32 / int64) and both input layouts.
* Training path: the same layer through the torch kernels (SNN2FPGA's dense path, itself tested
  against the per-timestep DECOLLE loop in test_dcll_fast.py): identical spikes, local scores and
  weight gradients equal up to float32 rounding.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import dcll_native
from snn2fpga.nn.conv import QuantConv2d
from snn2fpga.nn.dcll import DCLL
from snn2fpga.semantics.dcll import DCLLParams, run_dcll

pytestmark = pytest.mark.skipif(dcll_native.library() is None, reason="no C compiler for the DCLL kernels")


def _maps(steps: int, batch: int, c: int, h: int, w: int, density: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(steps, batch, c, h, w, generator=g) < density).float()


def _reference(x: torch.Tensor, w_int: torch.Tensor, theta: np.ndarray, p: DCLLParams, stride: int, pad: int):
    steps, batch = x.shape[:2]
    cur = F.conv2d(x.reshape(-1, *x.shape[2:]).double(), w_int.double(), stride=stride, padding=pad)
    shape = (steps, batch, *cur.shape[1:])
    per = int(np.prod(cur.shape[2:]))
    ref = run_dcll(cur.round().long().numpy().reshape(steps, batch, -1), np.repeat(theta, per), p)
    return ref, shape


@pytest.mark.parametrize(("cin", "cout", "k", "stride", "pad", "hw", "bits", "wmax", "layout"), [
    (1, 8, 7, 1, 3, (16, 16), 24, 127, "chw"),  # the radio network's first layer
    (8, 8, 7, 1, 3, (16, 16), 24, 127, "hwc"),  # its later layers, position-major input
    (3, 5, 3, 2, 1, (9, 11), 12, 60, "chw"),  # stride 2, odd sizes, saturating 12-bit state
    (2, 4, 5, 1, 0, (8, 8), 32, 30000, "hwc"),  # 16-bit weights, 32-bit state: the int64 kernel
    (4, 16, 1, 1, 0, (5, 5), 16, 100, "chw"),  # 1x1 kernel
])
def test_integer_kernel_equals_reference(cin, cout, k, stride, pad, hw, bits, wmax, layout):
    rng = np.random.default_rng(cin * 100 + k)
    x = _maps(20, 3, cin, *hw, 0.15, seed=k)
    if layout == "hwc":
        x = x.permute(0, 1, 3, 4, 2).contiguous().permute(0, 1, 4, 2, 3)
        assert not x.is_contiguous()
    w_int = torch.from_numpy(rng.integers(-wmax, wmax + 1, (cout, cin, k, k)))
    p = DCLLParams(bits, kq=1, kp=2, kr=1, rho=int(rng.integers(0, 300)), frac_bits=4)
    theta = rng.integers(0, min(p.state_max, 40 * wmax << 4), cout)
    theta[0] = 0  # U == theta happens (U = 0 before any input): >= is exercised
    ref, shape = _reference(x, w_int, theta, p, stride, pad)
    for out in dcll_native.LAYOUTS:  # position-major uint8 (for a next DCLL layer), contiguous uint8 or float
        spikes, u, sats, peaks, layer_out = dcll_native.int_dcll(x, w_int, theta, p, stride, pad, out)
        assert tuple(spikes.shape) == shape and spikes.is_contiguous() == (out != "dcll")
        # the layer's output: the uint8 spikes themselves, or contiguous floats
        assert layer_out is spikes if out != "float" else (layer_out.dtype == torch.float32
                                                           and layer_out.is_contiguous())
        assert torch.equal(layer_out.float(), spikes.float())
        assert np.array_equal(spikes.numpy().reshape(ref.spikes.shape), ref.spikes)
        assert np.array_equal(u.numpy().reshape(ref.v_final.shape), ref.v_final)
        assert np.array_equal(sats.numpy(), ref.saturations) and np.array_equal(peaks.numpy(), ref.v_absmax)
    assert ref.spikes.any() and not ref.spikes.all()
    if bits == 12:
        assert ref.saturations.sum() > 0  # the clamps and their counts are exercised


def test_integer_kernel_picks_int64_when_int32_could_overflow(monkeypatch):
    """Weights whose all-inputs current bound passes 2^30 take the int64 kernel; the int32 one is not called."""
    calls: list[str] = []
    lib = dcll_native.library()

    class Spy:
        def __getattr__(self, name: str):
            f = getattr(lib, name)
            return lambda *a: (calls.append(name), f(*a))[1]

    monkeypatch.setattr(dcll_native, "library", lambda: Spy())
    x = _maps(6, 2, 2, 6, 6, 0.3, seed=1)
    p = DCLLParams(32, frac_bits=8)
    for wmax, name in ((100, "dcll_int_forward_i32"), (30000, "dcll_int_forward_i64")):
        w = torch.full((3, 2, 3, 3), wmax)
        ref, _ = _reference(x, w, np.full(3, 1 << 20), p, 1, 1)
        spikes = dcll_native.int_dcll(x, w, np.full(3, 1 << 20), p, 1, 1)[0]
        assert calls[-1] == name
        assert np.array_equal(spikes.numpy().reshape(ref.spikes.shape), ref.spikes)


def test_kernels_refuse_non_binary_maps():
    x = _maps(4, 2, 1, 6, 6, 0.2, seed=2)
    x[2, 1, 0, 3, 3] = 2.0
    w = torch.ones(2, 1, 3, 3, dtype=torch.int64)
    assert dcll_native.int_dcll(x, w, np.zeros(2, dtype=np.int64), DCLLParams(16), 1, 1) is None
    readout = torch.randn(3, 2 * 6 * 6)
    args = (w.float() * 0.1, x, w.float(), torch.tensor(0.1), readout)
    coeffs = (0.5, 0.5, 0.5, 0.1, 0.2, 25.0)
    assert dcll_native.local_dcll(*args, torch.tensor([0, 2]), 1, 1, coeffs, 2) is None
    x[2, 1, 0, 3, 3] = 1.0  # binary again: the kernels apply, but not to labels outside the readout's classes
    assert dcll_native.local_dcll(*args, torch.tensor([0, 2]), 1, 1, coeffs, 2) is not None
    for bad in (torch.tensor([0, 3]), torch.tensor([-1, 0]), torch.tensor([0.0, 1.0]), torch.tensor([0, 1, 2])):
        assert dcll_native.local_dcll(*args, bad, 1, 1, coeffs, 2) is None


def _layer(cin: int, cout: int, k: int, stride: int, seed: int) -> DCLL:
    torch.manual_seed(seed)
    syn = QuantConv2d(cin, cout, k, stride=stride, padding=k // 2, weight_bits=8)
    size = (12 + 2 * (k // 2) - k) // stride + 1
    return DCLL(syn, cout * size * size, num_classes=5, threshold=0.05, rho=0.3, seed=seed)


def _train_step(layer: DCLL, x: torch.Tensor, start: int
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(spikes, local scores, weight gradient, local loss) of one local-learning step, as `local_losses` runs
    it: the kernels compute the loss (mean cross-entropy) themselves; the torch path leaves it to the scores."""
    layer.train()
    layer.synapse.weight.grad = None
    layer.grad_start = start
    layer.local_labels = torch.arange(x.shape[1]) % layer.num_classes
    spikes = layer(x)
    scores = layer.local_scores
    loss = layer.local_loss
    if loss is None:
        loss = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), layer.local_labels.repeat(scores.shape[0]))
    loss.backward()
    return spikes.detach(), scores.detach(), layer.synapse.weight.grad.clone(), loss.detach()


@pytest.mark.parametrize(("cin", "cout", "k", "stride", "layout", "out"), [
    (1, 8, 7, 1, "one-hot", "dcll"), (4, 8, 5, 1, "chw", "float"), (4, 8, 5, 1, "chw", "uint8"),
    (3, 6, 3, 2, "hwc", "dcll"), (8, 16, 3, 1, "hwc", "dcll")])
def test_training_kernel_equals_torch_path(cin, cout, k, stride, layout, out, monkeypatch):
    if layout == "one-hot":
        x = torch.zeros(24, 4, 1, 12, 12)
        pos = torch.randint(0, 144, (24, 4), generator=torch.Generator().manual_seed(3))
        x.reshape(24, 4, 144).scatter_(2, pos[..., None], 1.0)
    else:
        x = _maps(24, 4, cin, 12, 12, 0.08, seed=cin)
        if layout == "hwc":
            x = x.permute(0, 1, 3, 4, 2).contiguous().permute(0, 1, 4, 2, 3)
    native_layer = _layer(cin, cout, k, stride, seed=cin + k)
    native_layer.spike_layout = out
    torch_layer = copy.deepcopy(native_layer)
    calls: list[int] = []
    real = dcll_native.local_dcll
    monkeypatch.setattr(dcll_native, "local_dcll", lambda *a, **kw: (calls.append(1), real(*a, **kw))[1])
    s_n, sc_n, g_n, loss_n = _train_step(native_layer, x, start=6)
    assert calls and native_layer.local_loss is not None, "the native kernel was not used"
    monkeypatch.setattr(dcll_native, "library", lambda: None)
    s_t, sc_t, g_t, loss_t = _train_step(torch_layer, x, start=6)
    assert torch_layer.local_loss is None
    torch.testing.assert_close(loss_n, loss_t, rtol=1e-5, atol=1e-6)
    assert torch.equal(s_n.float(), s_t)
    # for a next DCLL layer: uint8 stored position-major; for a readout: contiguous uint8; else contiguous floats
    assert (s_n.dtype, s_n.is_contiguous()) == {"dcll": (torch.uint8, False), "uint8": (torch.uint8, True),
                                                 "float": (torch.float32, True)}[out]
    assert 0 < s_t.mean() < 0.5
    torch.testing.assert_close(sc_n, sc_t, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(g_n, g_t, rtol=1e-4, atol=1e-6 * float(g_t.abs().max()))
    assert g_n.abs().sum() > 0


@pytest.mark.parametrize("threads", ["1", "3"])
def test_threads_split_the_batch_without_changing_results(threads, monkeypatch):
    """The samples are split over threads: the integer path is identical (==) for any thread count, and the
    training path gives the same spikes and scores, and the weight gradient up to the order of its sum."""
    x = _maps(16, 5, 3, 10, 10, 0.1, seed=9)
    w = torch.from_numpy(np.random.default_rng(9).integers(-90, 91, (4, 3, 5, 5)))
    p = DCLLParams(16, rho=50, frac_bits=4)
    theta = np.array([0, 300, 900, 2000])
    monkeypatch.setenv("SNN2FPGA_KERNEL_THREADS", "1")
    one = dcll_native.int_dcll(x, w, theta, p, 1, 2)
    layer = _layer(3, 4, 5, 1, seed=9)
    x12 = _maps(16, 5, 3, 12, 12, 0.1, seed=9)
    ref = _train_step(layer, x12, start=4)
    monkeypatch.setenv("SNN2FPGA_KERNEL_THREADS", threads)
    many = dcll_native.int_dcll(x, w, theta, p, 1, 2)
    for a, b in zip(one, many, strict=True):
        assert torch.equal(a, b)
    got = _train_step(layer, x12, start=4)
    assert torch.equal(ref[0], got[0]) and torch.equal(ref[1], got[1])
    torch.testing.assert_close(ref[2], got[2], rtol=1e-4, atol=1e-5 * float(ref[2].abs().max()))
    torch.testing.assert_close(ref[3], got[3], rtol=1e-12, atol=0)  # per-sample losses, summed in order


@pytest.mark.parametrize("value", ["0", "-2", "many", "65"])
def test_bad_thread_count_is_refused(value, monkeypatch):
    monkeypatch.setenv("SNN2FPGA_KERNEL_THREADS", value)
    with pytest.raises(SNN2FPGAError, match="SNN2FPGA_KERNEL_THREADS"):
        dcll_native.kernel_threads()


def test_spike_linear_equals_dense_product():
    """The readout after DCLL layers: forward and weight gradient of the spike kernel == F.linear's (float)."""
    x = _maps(12, 6, 1, 1, 300, 0.2, seed=4).reshape(12, 6, 300)
    w = torch.randn(11, 300, requires_grad=True)
    g = torch.randn(12, 6, 11)
    out = dcll_native.spike_linear(x, w)
    (out * g).sum().backward()
    gw = w.grad.clone()
    w.grad = None
    ref = F.linear(x, w)
    (ref * g).sum().backward()
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gw, w.grad, rtol=1e-5, atol=1e-5)
    bad = x.clone()
    bad[3, 2, 7] = 0.5
    assert dcll_native.spike_linear(bad, w) is None  # not spikes: the caller takes F.linear
    x8 = x.to(torch.uint8)  # the uint8 spikes of a DCLL layer's kernel: the same product and gradient
    w.grad = None
    out8 = dcll_native.spike_linear(x8, w)
    (out8 * g).sum().backward()
    assert torch.equal(out8, out) and torch.equal(w.grad, gw)
    w.grad = None
    bad8 = x8.clone()
    bad8[3, 2, 7] = 2
    assert dcll_native.spike_linear(bad8, w) is None
    assert dcll_native.spike_linear(x.requires_grad_(), w) is None  # an input that needs a gradient


def test_dcll_model_readout_takes_the_spike_kernel():
    from snn2fpga.nn import SNNClassifier
    from snn2fpga.nn.archs import dcll_radioml_spec
    from snn2fpga.nn.synapse import QuantLinear

    model = SNNClassifier(dcll_radioml_spec(16, ["a", "b", "c"], grid=8, channels=(4, 4), kernel=3, padding=1))
    readouts = [m for m in model.layers if isinstance(m, QuantLinear)]
    dcll = [m for m in model.layers if isinstance(m, DCLL)]
    assert [m.spike_input for m in readouts] == [True]
    assert [m.spike_layout for m in dcll] == ["dcll", "uint8"]


def test_kernels_switched_off_or_without_compiler_fall_back_to_torch(monkeypatch):
    monkeypatch.setenv("SNN2FPGA_NATIVE", "0")
    dcll_native.library.cache_clear()
    try:
        assert dcll_native.library() is None and "torch kernels (SNN2FPGA_NATIVE=0)" in dcll_native.status()
        monkeypatch.delenv("SNN2FPGA_NATIVE")
        monkeypatch.setattr(dcll_native, "_compiler", lambda: None)
        dcll_native.library.cache_clear()
        assert dcll_native.library() is None and "no C compiler" in dcll_native.status()
        x = _maps(6, 2, 1, 6, 6, 0.2, seed=5)
        assert not dcll_native.applies(x, torch.ones(2, 1, 3, 3), None)  # the layer takes the torch path
    finally:
        dcll_native.library.cache_clear()


def test_a_failing_compiler_is_reported_with_the_way_out(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "false")  # exists, always fails
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path))
    dcll_native.library.cache_clear()
    try:
        with pytest.raises(SNN2FPGAError, match="(?s)compiling the DCLL kernels failed.*SNN2FPGA_NATIVE=0"):
            dcll_native.library()
    finally:
        dcll_native.library.cache_clear()


def test_unknown_spike_layout_is_refused():
    x = _maps(4, 2, 1, 6, 6, 0.2, seed=6)
    w = torch.ones(2, 1, 3, 3, dtype=torch.int64)
    with pytest.raises(SNN2FPGAError, match="unknown spike layout 'hwc'.*dcll, uint8, float"):
        dcll_native.int_dcll(x, w, np.zeros(2, dtype=np.int64), DCLLParams(16), 1, 1, "hwc")
