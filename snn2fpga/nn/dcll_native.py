"""Event-driven DCLL conv layers in C (``native/dcll_kernels.c``), compiled once per machine and cached.

A DCLL conv layer's input spike maps are sparse (0.7 to 2 % set), so one sample at a time, with
the per-neuron state in cache:

* the current is a scatter of each set input's K x K x Cout weights, not a dense convolution;
* the whole layer runs in one pass over time: trace filter, refractory scan, spikes, local scores
  and surrogate derivative; then the local cross-entropy and, backwards in time, the weight gradient
  (a gather at the same taps, from the filter's adjoint of dU), while that sample's surrogate
  derivatives are still in cache.

Two entry points:

* :func:`local_dcll` (training with local learning): same math as the torch path of
  :class:`snn2fpga.nn.dcll.DCLL` followed by the local cross-entropy, up to float rounding. The
  currents are exact integer sums in both, times the same scale.
* :func:`int_dcll` (the hardware-exact integer path): equal to :func:`snn2fpga.semantics.dcll.run_dcll`
  with ``==``, saturation counts and peaks included.

The library is built with the C compiler ($CC, else cc/gcc) under ``$SNN2FPGA_CACHE/native``. Without a
compiler, or with ``SNN2FPGA_NATIVE=0``, :func:`library` returns None: the callers then take the
torch path, which computes the same results, slower.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from snn2fpga.cache import cached_file
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn.dcll_int import _INT32_SAFE, _bound
from snn2fpga.nn.spike_conv import _EXACT_F32
from snn2fpga.semantics.dcll import DCLLParams

SOURCE = Path(__file__).with_name("native") / "dcll_kernels.c"
CFLAGS = ("-std=c11", "-O3", "-march=native", "-fPIC", "-shared", "-pthread", "-Wall")
_F32, _I32, _I64, _U8 = (ctypes.POINTER(t) for t in (ctypes.c_float, ctypes.c_int32, ctypes.c_int64, ctypes.c_uint8))
_I, _F, _V = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
_EXACT_I32 = 1 << 31  # weights held by the kernels' int32


def _compiler() -> str | None:
    for cc in (os.environ.get("CC"), "cc", "gcc"):
        if cc and shutil.which(cc):
            return cc
    return None


def _cpu_identity() -> str:
    """The CPU's model and feature flags (part of the cache key: the library is built with -march=native)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    lines = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags", "Features", "CPU part"))]
    return "\n".join(dict.fromkeys(lines))


@functools.cache
def library() -> ctypes.CDLL | None:
    """The compiled kernels, or None when they are switched off (SNN2FPGA_NATIVE=0) or no C compiler exists."""
    if os.environ.get("SNN2FPGA_NATIVE", "1") == "0":
        return None
    cc = _compiler()
    if cc is None:
        return None
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=False).stdout
    h = hashlib.sha256(SOURCE.read_bytes())
    h.update("\0".join([version, *CFLAGS, _cpu_identity()]).encode())

    def build(out_dir: Path) -> Path:
        tmp = Path(tempfile.mkstemp(dir=out_dir, suffix=".so")[1])
        cmd = [cc, *CFLAGS, str(SOURCE), "-o", str(tmp), "-lm"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        if res.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise SNN2FPGAError(f"compiling the DCLL kernels failed (exit {res.returncode}):\n{' '.join(cmd)}\n"
                                f"{res.stderr[-3000:]}\nSet SNN2FPGA_NATIVE=0 to train with the torch kernels")
        return tmp

    lib = ctypes.CDLL(str(cached_file("native", h.hexdigest(), "dcll_kernels.so", build)))
    lib.dcll_train.argtypes = [_V, _I, *[_I] * 7, _F32, _F32, *[_I] * 6, _F32, _I, _I32, *[_F] * 6, _I, _V, _F32,
                               ctypes.POINTER(ctypes.c_double), _F32, _I]
    for f in (lib.dcll_int_forward_i32, lib.dcll_int_forward_i64):
        f.argtypes = [_V, _I, *[_I] * 7, _I32, *[_I] * 6, _I64, *[_I] * 4, ctypes.c_int64, _I, _U8, _F32, _I64,
                      _I64, _I64, _I]
    lib.spike_linear_forward.argtypes = [_V, _I, _I, _I, _F32, _I, _F32, _I]
    lib.spike_linear_backward.argtypes = [_V, _I, _I, _I, _F32, _I, _F32, _I]
    for f in (lib.dcll_train, lib.dcll_int_forward_i32, lib.dcll_int_forward_i64,
              lib.spike_linear_forward, lib.spike_linear_backward):
        f.restype = ctypes.c_int
    return lib


def kernel_threads() -> int:
    """Threads the kernels split a batch over: $SNN2FPGA_KERNEL_THREADS, else the cores this process may run
    on. The samples of a batch are independent, so unlike torch's per-op threads these scale."""
    env = os.environ.get("SNN2FPGA_KERNEL_THREADS")
    if env is not None:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if not 1 <= n <= 64:
            raise SNN2FPGAError(f"SNN2FPGA_KERNEL_THREADS={env!r}: use a whole number of threads, 1..64")
        return n
    try:
        return max(1, min(64, len(os.sched_getaffinity(0))))
    except AttributeError:  # no affinity on this OS
        return max(1, min(64, os.cpu_count() or 1))


def status() -> str:
    """One line for logs: which DCLL kernels run here (builds the library on first use)."""
    if os.environ.get("SNN2FPGA_NATIVE", "1") == "0":
        return "DCLL conv layers: torch kernels (SNN2FPGA_NATIVE=0)"
    if library() is None:
        return "DCLL conv layers: torch kernels (no C compiler; install gcc for the event-driven kernels)"
    return f"DCLL conv layers: event-driven C kernels on {kernel_threads()} thread(s)"


def _ptr(t: torch.Tensor, kind: type) -> ctypes._Pointer:
    return ctypes.cast(t.data_ptr(), kind)


def _maps_ptr(x: torch.Tensor) -> tuple[ctypes.c_void_p, int]:
    """(pointer, 1 for uint8 spikes / 0 for float 0/1) of input maps."""
    return ctypes.c_void_p(x.data_ptr()), int(x.dtype == torch.uint8)


class ConvGeometry:
    """Shapes of one DCLL conv layer on input maps x [T, B, Cin, H, W]."""

    def __init__(self, x: torch.Tensor, w: torch.Tensor, stride: int, padding: int) -> None:
        self.T, self.B, self.Cin, self.H, self.W = (int(v) for v in x.shape)
        self.Cout, self.K = int(w.shape[0]), int(w.shape[2])
        self.stride, self.pad = int(stride), int(padding)
        self.Ho = (self.H + 2 * self.pad - self.K) // self.stride + 1
        self.Wo = (self.W + 2 * self.pad - self.K) // self.stride + 1
        self.N = self.Cout * self.Ho * self.Wo

    def args(self, hwc: bool) -> tuple[int, ...]:
        return self.T, self.B, self.Cin, self.H, self.W, int(hwc)

    def conv_args(self) -> tuple[int, ...]:
        return self.Cout, self.Ho, self.Wo, self.K, self.stride, self.pad

    def position_major(self, cols: torch.Tensor) -> torch.Tensor:
        """[..., Cout*Ho*Wo] in the model's channel-major order -> [..., Ho*Wo*Cout] (the kernels' order)."""
        lead = cols.shape[:-1]
        return cols.reshape(*lead, self.Cout, self.Ho * self.Wo).transpose(-1, -2).reshape(*lead, self.N)

    def output_maps(self, lead: tuple[int, ...], dtype: torch.dtype, position_major: bool) -> torch.Tensor:
        """An uninitialised [*lead, Cout, Ho, Wo] tensor, contiguous or stored position-major ([*lead, Ho, Wo,
        Cout] in memory, which the next DCLL layer reads without a copy)."""
        if not position_major:
            return torch.empty((*lead, self.Cout, self.Ho, self.Wo), dtype=dtype)
        n = len(lead)
        return torch.empty((*lead, self.Ho, self.Wo, self.Cout), dtype=dtype).permute(
            *range(n), n + 2, n, n + 1)


# How the kernels return a layer's spikes [T, B, Cout, Ho, Wo] (DCLL.spike_layout, set from the next layer):
#   "dcll":  uint8 stored position-major ([T, B, Ho, Wo, Cout] in memory), what a next DCLL layer reads directly;
#   "uint8": contiguous uint8, for a readout on flattened spikes (QuantLinear takes uint8 spikes);
#   "float": contiguous float32 0/1, for anything else.
LAYOUTS = ("dcll", "uint8", "float")
_LAYOUT_CODE = {"float": 0, "dcll": 1, "uint8": 2}  # the kernels' hwc_out


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise SNN2FPGAError(f"unknown spike layout {layout!r}: use one of {', '.join(LAYOUTS)}")


def _input_maps(x: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(maps the kernels can read, True when they are position-major) for x [T, B, Cin, H, W]."""
    xd = x.detach()
    if xd.is_contiguous():
        return xd, False
    if xd.permute(0, 1, 3, 4, 2).is_contiguous():
        return xd, True
    return xd.contiguous(), False


def applies(x: torch.Tensor, w_int: torch.Tensor, bias: torch.Tensor | None) -> bool:
    """True when the kernels can run this layer: CPU float32 maps [T, B, Cin, H, W], no bias, and integer
    currents that float32 (training) and int32 (weights) hold exactly."""
    if (library() is None or bias is not None or x.device.type != "cpu" or x.dim() != 5
            or x.dtype not in (torch.float32, torch.uint8)):
        return False
    if w_int.dim() != 4 or x.shape[2] != w_int.shape[1] or w_int.shape[2] != w_int.shape[3]:
        return False
    if x.shape[2] >= 1 << 11 or x.shape[3] * x.shape[4] >= 1 << 20:  # the kernels pack (channel, position)
        return False
    per_out = w_int.detach().abs().sum(dim=(1, 2, 3))
    return x.numel() > 0 and float(per_out.max()) < _EXACT_F32 and float(w_int.detach().abs().max()) < _EXACT_I32


def _weights(w_int: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[Cout, Cin, K, K] -> [Cin, K, K (kx reversed), Cout] contiguous: with stride 1 one kernel row is one
    contiguous run of weights for a contiguous run of outputs (the kernels' ``Taps``)."""
    return w_int.detach().to(dtype).flip(3).permute(1, 2, 3, 0).contiguous()


def _check(rc: int) -> bool:
    if rc == 2:
        raise MemoryError("the DCLL kernels could not allocate their per-sample state")
    return rc == 0


class _LocalDCLL(torch.autograd.Function):
    """(spikes [T, B, Cout, Ho, Wo], local scores [T - start, B, classes], local loss []) of a DCLL conv layer
    trained with local learning: the loss is the mean cross-entropy of the scores against the labels over
    the timesteps from ``start`` and the samples. The kernel computes the weight gradient in the same pass
    (:c:func:`dcll_train`); only the loss carries a gradient, and it reaches the quantized weights w_q only."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, w_q: torch.Tensor, x: torch.Tensor,  # type: ignore[override]
                w_int: torch.Tensor, scale: torch.Tensor, readout: torch.Tensor, labels: torch.Tensor,
                geo: ConvGeometry, coeffs: tuple[float, float, float, float, float, float], start: int,
                layout: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lib = library()
        assert lib is not None
        alpha, beta, gamma, rho, thr, slope = coeffs
        nc, late = int(readout.shape[0]), geo.T - start
        xs, hwc = _input_maps(x)
        spikes = geo.output_maps((geo.T, geo.B), torch.float32 if layout == "float" else torch.uint8,
                                 layout == "dcll")
        scores = torch.empty((late, geo.B, nc), dtype=torch.float32)
        loss = torch.empty(geo.B, dtype=torch.float64)
        gw = torch.zeros((geo.Cin, geo.K, geo.K, geo.Cout), dtype=torch.float32)
        gk = geo.position_major(readout.detach().to(torch.float32)).contiguous()  # [NC, N]
        wt = _weights(w_int, torch.float32)
        sc = scale.detach().to(torch.float32).reshape(-1).expand(geo.Cout).contiguous()
        y = labels.detach().to(torch.int32).contiguous()
        rc = lib.dcll_train(*_maps_ptr(xs), *geo.args(hwc), _LAYOUT_CODE[layout], _ptr(wt, _F32), _ptr(sc, _F32),
                            *geo.conv_args(), _ptr(gk, _F32), nc, _ptr(y, _I32), alpha, beta, gamma, rho, thr, slope,
                            start, ctypes.c_void_p(spikes.data_ptr()), _ptr(scores, _F32),
                            ctypes.cast(loss.data_ptr(), ctypes.POINTER(ctypes.c_double)), _ptr(gw, _F32),
                            kernel_threads())
        if not _check(rc):
            raise SNN2FPGAError("DCLL kernel: the input maps are not binary spikes")  # callers check first
        ctx.grad_w = gw.flip(2).permute(3, 0, 1, 2).contiguous().to(w_q.dtype)  # type: ignore[attr-defined]
        ctx.mark_non_differentiable(spikes, scores)
        return spikes, scores, (loss.sum() / (late * geo.B)).to(torch.float32)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, _grad_spikes: torch.Tensor,  # type: ignore[override]
                 _grad_scores: torch.Tensor, grad_loss: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad_w = ctx.grad_w * grad_loss  # type: ignore[attr-defined]
        return grad_w, None, None, None, None, None, None, None, None, None


def local_dcll(w_q: torch.Tensor, x: torch.Tensor, w_int: torch.Tensor, scale: torch.Tensor, readout: torch.Tensor,
               labels: torch.Tensor, stride: int, padding: int, coeffs: tuple[float, float, float, float, float, float],
               start: int, layout: str = "dcll") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(spikes, local scores, local loss) of a DCLL conv layer trained with local learning (the loss: the mean
    cross-entropy of the scores at the timesteps from ``start`` against ``labels`` [B]), or None when ``x`` is
    not binary or a label lies outside the readout's classes (then the caller takes the torch path).
    ``coeffs`` = (alpha, beta, gamma, rho, threshold, slope); ``w_q`` = ``w_int`` * ``scale`` is what the
    gradient reaches; ``layout`` is how the spikes come back (:data:`LAYOUTS`)."""
    _check_layout(layout)
    geo = ConvGeometry(x, w_int, stride, padding)
    if not 0 < start < geo.T or geo.Ho < 1 or geo.Wo < 1:
        return None
    if labels.shape != (geo.B,) or labels.is_floating_point() or not bool(
            ((labels >= 0) & (labels < readout.shape[0])).all()):
        return None
    try:
        return _LocalDCLL.apply(w_q, x, w_int, scale, readout, labels, geo, coeffs, start, layout)
    except SNN2FPGAError:
        return None


def int_dcll(x: torch.Tensor, w_int: torch.Tensor, theta: np.ndarray, p: DCLLParams, stride: int, padding: int,
             layout: str = "dcll"
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """The integer DCLL conv layer on binary maps x [T, B, Cin, H, W] (float 0/1 or uint8): (spikes uint8
    [T, B, Cout, Ho, Wo], final U int64 [B, Cout, Ho, Wo], saturations int64 [B], |value| peak int64 [B],
    the layer's output: the spikes in ``layout`` (:data:`LAYOUTS`)), equal to ``run_dcll`` on the integer
    current; None when x is not binary."""
    lib = library()
    assert lib is not None
    _check_layout(layout)
    position_major = layout == "dcll"
    geo = ConvGeometry(x, w_int, stride, padding)
    if geo.Ho < 1 or geo.Wo < 1:
        return None
    th = np.broadcast_to(np.asarray(theta, dtype=np.int64), (geo.Cout,))
    if np.any(th < p.state_min) or np.any(th > p.state_max):
        raise SNN2FPGAError(f"DCLL thresholds must lie in the {p.state_bits}-bit state range")
    xs, hwc = _input_maps(x)
    wt = _weights(w_int, torch.int32)
    tht = torch.from_numpy(np.array(th, dtype=np.int64))
    spikes = geo.output_maps((geo.T, geo.B), torch.uint8, position_major)
    spikes_f32 = geo.output_maps((geo.T, geo.B), torch.float32, False) if layout == "float" else None
    u = geo.output_maps((geo.B,), torch.int64, position_major)
    sats = torch.empty(geo.B, dtype=torch.int64)
    peaks = torch.empty(geo.B, dtype=torch.int64)
    max_current = int(w_int.detach().abs().sum(dim=(1, 2, 3)).max()) << p.frac_bits  # every input set
    run = lib.dcll_int_forward_i32 if _bound(p, max_current) < _INT32_SAFE else lib.dcll_int_forward_i64
    f32 = None if spikes_f32 is None else _ptr(spikes_f32, _F32)
    rc = run(*_maps_ptr(xs), *geo.args(hwc), int(position_major), _ptr(wt, _I32), *geo.conv_args(), _ptr(tht, _I64),
             p.state_bits, p.kq, p.kp, p.kr, p.rho, p.frac_bits, _ptr(spikes, _U8), f32, _ptr(u, _I64),
             _ptr(sats, _I64), _ptr(peaks, _I64), kernel_threads())
    return (spikes, u, sats, peaks, spikes if spikes_f32 is None else spikes_f32) if _check(rc) else None


class _SpikeLinear(torch.autograd.Function):
    """x [M, IN] binary spikes (float 0/1 or uint8, no gradient) @ w_q [OUT, IN]^T, summing only the set
    inputs' weight columns; the gradient reaches w_q."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor,  # type: ignore[override]
                w_q: torch.Tensor) -> torch.Tensor:
        lib = library()
        assert lib is not None
        m, n_in = x.shape
        wt = w_q.detach().to(torch.float32).t().contiguous()  # [IN, OUT]: one set input adds one row
        out = torch.empty((m, wt.shape[1]), dtype=torch.float32)
        if not _check(lib.spike_linear_forward(*_maps_ptr(x), m, n_in, _ptr(wt, _F32), wt.shape[1], _ptr(out, _F32),
                                               kernel_threads())):
            raise SNN2FPGAError("spike_linear: the input is not binary spikes")  # callers check first
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor  # type: ignore[override]
                 ) -> tuple[None, torch.Tensor]:
        lib = library()
        assert lib is not None
        (x,) = ctx.saved_tensors  # type: ignore[attr-defined]
        g = grad.detach().to(torch.float32).contiguous()
        gw = torch.zeros((x.shape[1], g.shape[1]), dtype=torch.float32)
        _check(lib.spike_linear_backward(*_maps_ptr(x), x.shape[0], x.shape[1], _ptr(g, _F32), g.shape[1],
                                         _ptr(gw, _F32), kernel_threads()))
        return None, gw.t()


def spike_linear(x: torch.Tensor, w_q: torch.Tensor) -> torch.Tensor | None:
    """``F.linear(x, w_q)`` for binary spikes x [..., IN] (float32 or uint8) that need no gradient, through the
    kernels (the work grows with the set spikes, not with IN); None where they do not apply or x is not
    binary."""
    if (library() is None or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.uint8) or x.requires_grad
            or w_q.device.type != "cpu" or x.shape[-1] != w_q.shape[1] or x.numel() == 0):
        return None
    flat = x.reshape(-1, x.shape[-1]).contiguous()
    try:
        out = _SpikeLinear.apply(flat, w_q)
    except SNN2FPGAError:
        return None
    return out.reshape(*x.shape[:-1], w_q.shape[0])
