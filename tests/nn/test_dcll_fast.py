"""The fast DCLL paths against their definitions: the integer recurrence (==, saturation included),
the trace filter and its adjoint, the refractory scan, the int8 spike convolution, and a whole layer
(float training path against the per-timestep DECOLLE loop; integer path against the reference)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import dcll_native
from snn2fpga.nn.conv import QuantConv2d
from snn2fpga.nn.dcll import DCLL
from snn2fpga.nn.dcll_float import refractory_scan, trace_filter, trace_filter_grad
from snn2fpga.nn.dcll_int import run_dcll_torch
from snn2fpga.nn.spike_conv import spike_conv
from snn2fpga.nn.surrogate import spike_fn
from snn2fpga.nn.synapse import IntCurrent, QuantLinear
from snn2fpga.semantics.dcll import DCLLParams, run_dcll


@pytest.mark.parametrize(("bits", "scale", "rho", "kq", "kp", "kr", "frac"), [
    (24, 40, 3, 1, 1, 1, 8),  # no saturation: the unclamped int32 path
    (12, 40, 3, 1, 2, 1, 4),  # saturates: the clamped rerun
    (32, 3000, 7, 2, 3, 2, 16),  # int64 (the bound does not fit int32)
    (8, 5, 0, 1, 1, 3, 0),
])
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"))])
def test_integer_recurrence_equals_reference(bits, scale, rho, kq, kp, kr, frac, device):
    rng = np.random.default_rng(bits + scale)
    cur = rng.integers(-scale, scale + 1, (40, 3, 17))
    p = DCLLParams(bits, kq, kp, kr, rho, frac)
    theta = rng.integers(0, min(p.state_max, 50 * scale << frac), 17)
    ref = run_dcll(cur, theta, p)
    spikes, u, sats, vmax = run_dcll_torch(torch.from_numpy(cur).to(device), torch.from_numpy(theta).to(device), p)
    assert spikes.device.type == device
    assert np.array_equal(spikes.cpu().numpy(), ref.spikes)
    assert np.array_equal(u.cpu().numpy(), ref.v_final)
    assert np.array_equal(sats.cpu().numpy(), ref.saturations)
    assert np.array_equal(vmax.cpu().numpy(), ref.v_absmax)
    if bits == 12:
        assert ref.saturations.sum() > 0  # the case really saturates
    if bits == 24:
        assert ref.saturations.sum() == 0 and ref.spikes.any()


def test_integer_recurrence_refuses_thresholds_out_of_range():
    p = DCLLParams(8)
    with pytest.raises(SNN2FPGAError, match="8-bit state range"):
        run_dcll_torch(torch.zeros(2, 1, 3, dtype=torch.int64), torch.tensor([1000, 0, 0]), p)


def _naive_trace(x: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    q, p, out = torch.zeros_like(x[0]), torch.zeros_like(x[0]), []
    for t in range(x.shape[0]):
        p = alpha * p + q
        q = beta * q + x[t]
        out.append(p)
    return torch.stack(out)


def test_trace_filter_and_its_adjoint():
    x = torch.rand(30, 4, 5, dtype=torch.float64)
    ref = _naive_trace(x, 0.5, 0.75)
    assert torch.allclose(trace_filter(x, 0.5, 0.75), ref, rtol=1e-12, atol=0)
    assert torch.allclose(trace_filter(x, 0.5, 0.75, start=7), ref[7:], rtol=1e-12, atol=0)
    inplace = x.clone()
    assert trace_filter(inplace, 0.5, 0.75, inplace=True) is inplace
    assert torch.allclose(inplace, ref, rtol=1e-12, atol=0)
    assert torch.allclose(trace_filter(x, 0.5, 0.75, reverse=True), _naive_trace(x.flip(0), 0.5, 0.75).flip(0))
    xg = x.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: trace_filter_grad(v, 0.5, 0.75), (xg,))


def test_refractory_scan_is_the_loop():
    u = torch.rand(50, 6, 7) * 0.4
    r, s_prev, z_ref = torch.zeros(6, 7), torch.zeros(6, 7), []
    for t in range(50):
        r = 0.5 * r - 0.3 * s_prev
        z_ref.append(u[t] + r - 0.1)
        s_prev = (u[t] + r >= 0.1).float()
    z, spikes = refractory_scan([u[:20], u[20:]], 0.5, 0.3, 0.1)
    assert torch.equal(z, torch.stack(z_ref))
    assert torch.equal(spikes, (torch.stack(z_ref) >= 0).float()) and 0 < spikes.mean() < 1


def test_spike_conv_is_exact():
    g = torch.Generator().manual_seed(1)
    s = (torch.rand(9, 3, 12, 12, generator=g) < 0.2).float()
    w = torch.randint(-127, 128, (5, 3, 5, 5), generator=g)
    out = spike_conv(s, w, 1, 2)
    if out is None:
        pytest.skip("no oneDNN int8 convolution in this torch build")
    ref = F.conv2d(s.double(), w.double(), padding=2)
    assert torch.equal(out, ref.float())
    assert torch.equal(spike_conv(s, w, 1, 2, torch.int32), ref.to(torch.int32))
    assert spike_conv(s, w * 2, 1, 2) is None  # 9-bit weights: not for the int8 kernel


def _layer(seed: int = 0) -> DCLL:
    torch.manual_seed(seed)
    return DCLL(QuantConv2d(1, 4, 5, padding=2, weight_bits=8), 4 * 8 * 8, num_classes=3, threshold=0.05, rho=0.3)


def _one_hot(steps: int, batch: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(steps, batch, 1, 8, 8)
    pos = torch.randint(0, 64, (steps, batch), generator=g)
    x.reshape(steps, batch, 64).scatter_(2, pos[..., None], 1.0)
    x[3, 0] = 0  # a timestep without a spike
    return x


def _decolle_reference(layer: DCLL, x: torch.Tensor) -> torch.Tensor:
    """The per-timestep float DCLL of the original implementation (conv on the filtered input)."""
    p_in = _naive_trace(x, 0.5, 0.5)
    u = layer.synapse(p_in)
    r, s_prev, refr = torch.zeros_like(u[0]), torch.zeros_like(u[0]), []
    for t in range(u.shape[0]):
        r = 0.5 * r - layer.rho * s_prev
        refr.append(r)
        s_prev = (u[t].detach() + r >= layer.threshold).float()
    return spike_fn(u + torch.stack(refr) - layer.threshold, 5.0 / layer.threshold)


@pytest.mark.parametrize("native", [True, False], ids=["C-kernels", "torch"])
@pytest.mark.parametrize(("second", "start", "int8"), [(False, 6, True), (True, 6, True), (False, 0, True),
                                                      (True, 0, True), (True, 6, False)])
def test_float_layer_matches_decolle_loop(second, start, int8, native, monkeypatch):
    """Same spikes, same local scores and the same weight gradient (float rounding) as the loop, through
    the event-driven C kernels and through the torch path: the one-hot dictionary path (first layer), the
    int8 spike-conv path (a layer on spikes) and the float synapse path that a GPU takes (no int8 kernel)."""
    if not native:
        monkeypatch.setattr(dcll_native, "library", lambda: None)
    if not int8:
        monkeypatch.setattr("snn2fpga.nn.dcll.spike_conv", lambda *_a, **_k: None)
    x = _one_hot(24, 3, 2)
    if second:
        x = (torch.rand(24, 3, 1, 8, 8, generator=torch.Generator().manual_seed(4)) < 0.2).float()
        x[:, :, 0, 0, 0] = 1  # two spikes per map: not the one-hot path
    fast, ref = _layer(), _layer()
    fast.train(), ref.train()
    fast.grad_start = start
    labels = torch.tensor([2, 0, 1])
    fast.local_labels = labels
    spikes = fast(x)
    ref_spikes = _decolle_reference(ref, x)
    assert torch.equal(spikes.float(), ref_spikes.detach()) and spikes.any()
    ref_scores = ref_spikes.reshape(24, 3, -1) @ ref.local_readout.T
    assert torch.allclose(fast.local_scores, ref_scores[start:], atol=1e-5)
    # the local loss: from the kernels in the pass that computes its weight gradient, else from the scores
    assert (fast.local_loss is not None) == (native and start > 0)
    late = ref_scores[start:]
    ref_loss = F.cross_entropy(late.reshape(-1, late.shape[-1]), labels.repeat(late.shape[0]))
    if fast.local_loss is None:
        loss = fast.local_scores
        loss = F.cross_entropy(loss.reshape(-1, loss.shape[-1]), labels.repeat(loss.shape[0]))
    else:
        loss = fast.local_loss
    torch.testing.assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6)
    (3 * loss).backward()  # the gradient of the loss scales through the kernels' precomputed weight gradient
    (3 * ref_loss).backward()
    gf, gr = fast.synapse.weight.grad, ref.synapse.weight.grad
    assert gr.abs().max() > 0 and torch.allclose(gf, gr, rtol=1e-4, atol=1e-5 * float(gr.abs().max()))


@pytest.mark.parametrize("native", [True, False], ids=["C-kernels", "torch"])
@pytest.mark.parametrize("int8", [True, False])
def test_integer_layer_equals_reference(int8, native, monkeypatch):
    """The C kernels, and the torch path's dictionary (one-hot), int8 and synapse paths, give the reference's
    spikes, state and counts exactly."""
    if not native:
        monkeypatch.setattr(dcll_native, "library", lambda: None)
    if not int8:
        monkeypatch.setattr("snn2fpga.nn.dcll.spike_conv", lambda *_a, **_k: None)
    torch.manual_seed(0)
    first = _layer().eval()
    second = DCLL(QuantConv2d(4, 4, 3, padding=1, weight_bits=8), 4 * 8 * 8, threshold=0.02).eval()
    dense = DCLL(QuantLinear(4 * 8 * 8, 5, weight_bits=6), 5, threshold=0.02).eval()
    x = _one_hot(30, 4, 7)
    with torch.no_grad():
        h1 = first(x)
        h2 = second(h1)
        h3 = dense(h2.reshape(30, 4, -1))
        for layer, inp, out in ((first, x, h1), (second, h1, h2), (dense, h2.reshape(30, 4, -1), h3)):
            cur = layer.synapse(inp)
            assert isinstance(cur, IntCurrent)
            theta, params = layer.integer_params(cur.scale)
            shape = tuple(cur.value.shape)
            per = int(np.prod(shape[3:])) if len(shape) > 3 else 1
            ref = run_dcll(cur.value.numpy().reshape(shape[0], shape[1], -1), np.repeat(theta, per), params)
            assert np.array_equal(out.numpy().reshape(ref.spikes.shape), ref.spikes)
            tr = layer.last_trace
            assert np.array_equal(tr.v_final.reshape(ref.v_final.shape), ref.v_final)
            assert np.array_equal(tr.saturations, ref.saturations) and np.array_equal(tr.v_absmax, ref.v_absmax)
    assert h1.any() and h2.any()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_dcll_training_on_cuda_without_a_gpu_is_refused(tmp_path):
    from snn2fpga.commands import TrainOptions, run_train

    opt = TrainOptions(dataset="radioml-synth", output=tmp_path / "m.pt", arch="dcll-radioml", device="cuda",
                       synth_frames=2, frame_length=16, channels=(2,), grid=4, kernel=3, epochs=1)
    with pytest.raises(SNN2FPGAError, match="--device cuda asks for a GPU"):
        run_train(opt, log=lambda _m: None)
