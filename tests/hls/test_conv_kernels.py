"""C-simulation of the conv / pool / DCLL / I/Q kernels (hls/snn_conv.h, snn_neurons.h, snn_iq.h).

Every case compiles hls/tb/tb_conv.cpp with a generated config (g++ against the ap_types headers; see
conv_harness.py for caching), feeds it random vectors and compares, with integer equality, the spikes,
the final membranes (U for DCLL), the saturation counts and the events with snn2fpga.semantics
(conv_currents, maxpool_spikes, run_neurons, run_dcll, iq_plane_encode), and the C-sim cycle counters
with the cycle models documented in the headers. Configs are drawn at random (seeded) over the legal
space plus hand-picked corners; data vary across samples and draws so that few binaries are compiled.
"""

from __future__ import annotations

import subprocess
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from snn2fpga.semantics import LeakMode, ResetMode, dense_currents
from snn2fpga.semantics.conv import conv_currents, conv_out_size, maxpool_spikes
from snn2fpga.semantics.iq import iq_bins, iq_plane_encode
from tests.hls.conv_harness import (
    ConvCfg,
    DcllDenseCfg,
    IqCfg,
    NeuronCfg,
    PoolCfg,
    build_conv_testbenches,
    compile_cmd,
    iq_words,
    kernel_weights,
    nhwc,
)
from tests.hls.tb_harness import config_header, format_ints, index_cases, need_toolchain, run_testbench

SAMPLES = 4  # samples per draw; sample 0 is all-ones spikes / extreme codes
DRAWS = 2  # independent data draws (weights, thresholds, inputs) per case

SHIFT, MULT, NONE = LeakMode.SHIFT, LeakMode.MULT, LeakMode.NONE
SUB, ZERO = ResetMode.SUBTRACT, ResetMode.ZERO


def _rng(name: str, draw: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), draw])


def _wrange(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _weights(shape: tuple[int, ...], bits: int, rng: np.random.Generator, saturate: bool) -> np.ndarray:
    lo, hi = _wrange(bits)
    if not saturate:
        return rng.integers(lo, hi + 1, shape)
    # Large same-signed weights, every third output channel negative: membranes hit both rails.
    mag = rng.integers(max(1, hi // 2), hi + 1, shape)
    down = (np.arange(shape[0]) % 3 == 2).reshape(-1, *([1] * (len(shape) - 1)))
    return np.where(down, -mag - 1, mag)


def _thresholds(n: int, fan_in: int, weight_bits: int, state_bits: int, neuron: NeuronCfg,
                rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    lo, top = _wrange(state_bits)
    typical = max(2, int(np.sqrt(fan_in) * (1 << (weight_bits - 1)) * scale))
    if neuron.kind == "dcll":  # any value in the state range; U grows over the first timesteps
        theta = np.clip(rng.integers(-typical, 6 * typical + 1, n), lo, top)
        theta[0] = top
        theta[-1] = lo if n > 2 else theta[-1]
        theta[n // 2] = 0
        return theta
    theta = rng.integers(1, min(top, 3 * typical) + 1, n)
    theta[0] = top
    theta[-1] = max(1, top - 1)
    theta[n // 2] = 1
    return theta


def _spike_maps(timesteps: int, c: int, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    p = rng.uniform(0.05, 0.9, SAMPLES)
    p[0] = 1.0
    return (rng.random((timesteps, SAMPLES, c, h, w)) < p[None, :, None, None, None]).astype(np.uint8)


def _codes(timesteps: int, rng: np.random.Generator) -> np.ndarray:
    codes = rng.integers(-128, 128, (SAMPLES, timesteps, 2))
    codes[0, 0::2, 0], codes[0, 1::2, 0], codes[0, :, 1] = -128, 127, 127  # extremes
    if SAMPLES > 1:
        codes[1] = rng.normal(0, 30, (timesteps, 2)).clip(-128, 127).astype(np.int64)  # centred, like I/Q
    return codes


def _got(exe: Path, case_id: int, text: str, tmp_path: Path, width: int) -> np.ndarray:
    lines, _ = run_testbench(exe, case_id, text, tmp_path)
    got = np.array(lines, dtype=np.int64)
    assert got.shape == (SAMPLES, width), f"testbench output shape {got.shape}, expected {(SAMPLES, width)}"
    return got


def _stream_spikes(spikes: np.ndarray) -> np.ndarray:
    """Reference spike maps [T, B, C, H, W] -> [B, T*H*W*C] in stream order."""
    return nhwc(spikes).reshape(spikes.shape[1], -1)


@dataclass(frozen=True)
class ConvCase:
    """conv_neuron alone, fed random spike maps."""

    name: str
    cfg: ConvCfg
    saturate: bool = False

    def runner(self) -> str:
        return "tb_conv"

    def cpp(self, prefix: str) -> tuple[str, str]:
        return self.cfg.cpp(f"{prefix}_cfg"), f"{prefix}_cfg"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        w = _weights((cfg.cout, cfg.cin, cfg.k, cfg.k), cfg.weight_bits, rng, self.saturate)
        theta = _thresholds(cfg.cout, cfg.k * cfg.k * cfg.cin, cfg.weight_bits, cfg.state_bits, cfg.neuron, rng)
        s = _spike_maps(cfg.timesteps, cfg.cin, cfg.h, cfg.w, rng)
        tr = cfg.reference(s, w, theta)
        text = format_ints([SAMPLES], kernel_weights(w), theta, *nhwc(s))
        n_spk = cfg.timesteps * cfg.neurons
        got = _got(exe, case_id, text, tmp_path, 2 + n_spk + cfg.neurons)
        assert np.array_equal(got[:, 2:2 + n_spk], _stream_spikes(tr.spikes)), "spikes differ"
        assert np.array_equal(got[:, 2 + n_spk:], tr.v_final), "final membranes differ"
        assert np.array_equal(got[:, 1], tr.saturations), "saturation counts differ"
        assert np.all(got[:, 0] == cfg.cycles_conv()), "cycle model differs"
        if self.saturate:
            assert tr.saturations[0] > 0, "the saturating case did not saturate"


@dataclass(frozen=True)
class EventConvCase:
    """iq_encoder -> conv_event_neuron, fed random 8-bit I/Q codes."""

    name: str
    enc: IqCfg
    cfg: ConvCfg  # H = W = G, CIN = 1

    def runner(self) -> str:
        return "tb_conv_event"

    def cpp(self, prefix: str) -> tuple[str, str]:
        chain = f"struct {prefix}_ch {{\n    typedef {prefix}_enc ENC;\n    typedef {prefix}_l L;\n}};\n"
        return self.enc.cpp(f"{prefix}_enc") + self.cfg.cpp(f"{prefix}_l") + chain, f"{prefix}_ch"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        w = _weights((cfg.cout, 1, cfg.k, cfg.k), cfg.weight_bits, rng, False)
        # One input spike per timestep: low thresholds, or the layer hardly fires.
        theta = _thresholds(cfg.cout, 1, cfg.weight_bits, cfg.state_bits, cfg.neuron, rng, scale=0.25)
        codes = _codes(cfg.timesteps, rng)
        frames = iq_plane_encode(codes, self.enc.grid)
        tr = cfg.reference(frames, w, theta)
        text = format_ints([SAMPLES], kernel_weights(w), theta, *iq_words(codes))
        t, n_spk = cfg.timesteps, cfg.timesteps * cfg.neurons
        got = _got(exe, case_id, text, tmp_path, 3 + t + n_spk + cfg.neurons)
        bins = iq_bins(codes, self.enc.grid)
        assert np.array_equal(got[:, 3:3 + t], bins[..., 0] * 256 + bins[..., 1]), "events differ"
        assert np.array_equal(got[:, 3 + t:3 + t + n_spk], _stream_spikes(tr.spikes)), "spikes differ"
        assert np.array_equal(got[:, 3 + t + n_spk:], tr.v_final), "final membranes differ"
        assert np.array_equal(got[:, 2], tr.saturations), "saturation counts differ"
        assert np.all(got[:, 0] == self.enc.cycles_events()), "iq_encoder cycle model differs"
        assert np.all(got[:, 1] == cfg.cycles_event()), "conv_event_neuron cycle model differs"


@dataclass(frozen=True)
class PoolCase:
    """maxpool_or alone, fed random spike maps."""

    name: str
    cfg: PoolCfg

    def runner(self) -> str:
        return "tb_maxpool"

    def cpp(self, prefix: str) -> tuple[str, str]:
        return self.cfg.cpp(f"{prefix}_cfg"), f"{prefix}_cfg"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        s = _spike_maps(cfg.timesteps, cfg.c, cfg.h, cfg.w, rng)
        s[:, 1] &= (rng.random(s[:, 1].shape) < 0.15).astype(np.uint8)  # sparse: windows with no spike
        expected = maxpool_spikes(s, cfg.k)
        got = _got(exe, case_id, format_ints([SAMPLES], *nhwc(s)), tmp_path,
                   2 + cfg.timesteps * cfg.ho * cfg.wo * cfg.c)
        assert np.array_equal(got[:, 2:], _stream_spikes(expected)), "pooled spikes differ"
        assert np.all(got[:, 0] == cfg.cycles()), "cycle model differs"


@dataclass(frozen=True)
class DenseDcllCase:
    """dense_dcll alone, fed random spikes."""

    name: str
    cfg: DcllDenseCfg
    saturate: bool = False

    def runner(self) -> str:
        return "tb_dense_dcll"

    def cpp(self, prefix: str) -> tuple[str, str]:
        return self.cfg.cpp(f"{prefix}_cfg"), f"{prefix}_cfg"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        w = _weights((cfg.n_out, cfg.n_in), cfg.weight_bits, rng, self.saturate)
        theta = _thresholds(cfg.n_out, cfg.n_in, cfg.weight_bits, cfg.state_bits, cfg.neuron, rng)
        s = _spike_maps(cfg.timesteps, cfg.n_in, 1, 1, rng)[..., 0, 0]  # [T, B, IN]
        tr = cfg.neuron.run(dense_currents(s, w), theta, cfg.state_bits)
        text = format_ints([SAMPLES], w, theta, *s.transpose(1, 0, 2))
        n_spk = cfg.timesteps * cfg.n_out
        got = _got(exe, case_id, text, tmp_path, 2 + n_spk + cfg.n_out)
        assert np.array_equal(got[:, 2:2 + n_spk], tr.spikes.transpose(1, 0, 2).reshape(SAMPLES, -1))
        assert np.array_equal(got[:, 2 + n_spk:], tr.v_final), "final U differs"
        assert np.array_equal(got[:, 1], tr.saturations), "saturation counts differ"
        assert np.all(got[:, 0] == cfg.cycles()), "cycle model differs"
        if self.saturate:
            assert tr.saturations[0] > 0, "the saturating case did not saturate"


@dataclass(frozen=True)
class IqFrameCase:
    """iq_frame_encoder alone, fed random codes."""

    name: str
    cfg: IqCfg

    def runner(self) -> str:
        return "tb_iq_frame"

    def cpp(self, prefix: str) -> tuple[str, str]:
        return self.cfg.cpp(f"{prefix}_cfg"), f"{prefix}_cfg"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        codes = _codes(cfg.timesteps, rng)
        expected = iq_plane_encode(codes, cfg.grid)  # [T, B, 1, G, G]
        got = _got(exe, case_id, format_ints([SAMPLES], *iq_words(codes)), tmp_path,
                   2 + cfg.timesteps * cfg.grid * cfg.grid)
        assert np.array_equal(got[:, 2:], _stream_spikes(expected)), "frames differ"
        assert np.all(got[:, 0] == cfg.cycles_frames()), "cycle model differs"


@dataclass(frozen=True)
class DcllChainCase:
    """iq_encoder -> conv_event_neuron -> maxpool_or -> conv_neuron -> dense_dcll (all DCLL)."""

    name: str
    enc: IqCfg
    l1: ConvCfg
    pool: PoolCfg
    l2: ConvCfg
    l3: DcllDenseCfg

    def runner(self) -> str:
        return "tb_dcll_chain"

    def cpp(self, prefix: str) -> tuple[str, str]:
        parts = [self.enc.cpp(f"{prefix}_enc"), self.l1.cpp(f"{prefix}_l1"), self.pool.cpp(f"{prefix}_p"),
                 self.l2.cpp(f"{prefix}_l2"), self.l3.cpp(f"{prefix}_l3")]
        chain = (f"struct {prefix}_ch {{\n    typedef {prefix}_enc ENC;\n    typedef {prefix}_l1 L1;\n"
                 f"    typedef {prefix}_p P;\n    typedef {prefix}_l2 L2;\n    typedef {prefix}_l3 L3;\n}};\n")
        return "".join(parts) + chain, f"{prefix}_ch"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        l1, pool, l2, l3, rng = self.l1, self.pool, self.l2, self.l3, _rng(self.name, draw)
        t = l1.timesteps
        w1 = _weights((l1.cout, 1, l1.k, l1.k), l1.weight_bits, rng, False)
        th1 = np.clip(rng.integers(1, 6, l1.cout), *_wrange(l1.state_bits))  # low: let activity through
        w2 = _weights((l2.cout, l2.cin, l2.k, l2.k), l2.weight_bits, rng, False)
        th2 = np.clip(rng.integers(-2, 8, l2.cout), *_wrange(l2.state_bits))
        w3 = _weights((l3.n_out, l3.n_in), l3.weight_bits, rng, False)
        th3 = _thresholds(l3.n_out, l3.n_in, l3.weight_bits, l3.state_bits, l3.neuron, rng)
        codes = _codes(t, rng)
        r1 = l1.reference(iq_plane_encode(codes, self.enc.grid), w1, th1)
        pooled = maxpool_spikes(r1.spikes, pool.k)
        r2 = l2.reference(pooled, w2, th2)
        flat = nhwc(r2.spikes).transpose(1, 0, 2)  # [T, B, HO*WO*C]: the dense layer's NHWC input order
        r3 = l3.neuron.run(dense_currents(flat, w3), th3, l3.state_bits)
        text = format_ints([SAMPLES], kernel_weights(w1), th1, kernel_weights(w2), th2, w3, th3,
                           *iq_words(codes))
        sizes = [t * l1.neurons, t * pool.ho * pool.wo * pool.c, t * l2.neurons, t * l3.n_out, l3.n_out]
        got = _got(exe, case_id, text, tmp_path, 8 + sum(sizes))
        cycles = [self.enc.cycles_events(), l1.cycles_event(), pool.cycles(), l2.cycles_conv(), l3.cycles()]
        assert np.all(got[:, :5] == np.array(cycles)), "cycle models differ"
        for col, tr in zip((5, 6, 7), (r1, r2, r3), strict=True):
            assert np.array_equal(got[:, col], tr.saturations), "saturation counts differ"
        cuts = np.cumsum([8, *sizes])
        expected = [_stream_spikes(r1.spikes), _stream_spikes(pooled), _stream_spikes(r2.spikes),
                    r3.spikes.transpose(1, 0, 2).reshape(SAMPLES, -1), r3.v_final]
        for what, lo, hi, exp in zip(("L1 spikes", "pool spikes", "L2 spikes", "L3 spikes", "L3 final U"),
                                     cuts[:-1], cuts[1:], expected, strict=True):
            assert np.array_equal(got[:, lo:hi], exp), f"{what} differ"
        assert r2.spikes.any() and r3.spikes.any(), "the chain is silent: the test would prove little"


# ---------------------------------------------------------------------------------------------------
# Configs: hand-picked corners + seeded random draws over the legal space.
# ---------------------------------------------------------------------------------------------------


def _divisor(n: int, rng: np.random.Generator) -> int:
    return int(rng.choice([d for d in range(1, n + 1) if n % d == 0]))


def _random_neuron(rng: np.random.Generator, kind: str, state_bits: int) -> NeuronCfg:
    if kind == "dcll":
        kq, kp, kr = (int(rng.integers(1, min(4, state_bits) + 1)) for _ in range(3))
        rho = int(rng.integers(0, min(50, (1 << (state_bits - 1)) - 1) + 1))
        frac = int(rng.integers(0, max(0, min(8, state_bits - 4)) + 1))
        return NeuronCfg("dcll", kq=kq, kp=kp, kr=kr, rho=rho, frac=frac)
    leak = [NONE, SHIFT, MULT][int(rng.integers(3))]
    frac = int(rng.integers(1, 17))
    return NeuronCfg("lif", leak=leak, leak_shift=int(rng.integers(1, state_bits + 1)) if leak is SHIFT else 0,
                     beta_q=int(rng.integers(0, 1 << frac)) if leak is MULT else 0,
                     beta_frac_bits=frac if leak is MULT else 0, reset=[SUB, ZERO][int(rng.integers(2))])


def random_conv(rng: np.random.Generator, kind: str, event_grid: int = 0, extreme: bool = False) -> ConvCfg:
    """A legal random conv config (H, W 3..12, CIN 1..4, COUT 1..8, K 1..5, STRIDE 1..2, PAD 0..3, weights
    2..8 bits, state 8..24 bits; ``extreme``: state 2, 3, 31 or 32 bits and weights up to 16 bits)."""
    while True:
        h, w = (event_grid, event_grid) if event_grid else (int(rng.integers(3, 13)), int(rng.integers(3, 13)))
        k, stride, pad = int(rng.integers(1, 6)), int(rng.integers(1, 3)), int(rng.integers(0, 4))
        if conv_out_size(h, k, stride, pad) >= 1 and conv_out_size(w, k, stride, pad) >= 1:
            break
    cin = 1 if event_grid else int(rng.integers(1, 5))
    cout = int(rng.integers(1, 9))
    state_bits = int(rng.choice([2, 3, 31, 32])) if extreme else int(rng.integers(8, 25))
    weight_bits = int(rng.integers(2, 17 if extreme else 9))
    return ConvCfg(h, w, cin, cout, k, stride, pad, _divisor(cin, rng), _divisor(cout, rng), _divisor(cout, rng),
                   int(rng.integers(1, 7)), weight_bits, state_bits, _random_neuron(rng, kind, state_bits))


def random_pool(rng: np.random.Generator) -> PoolCfg:
    k = int(rng.integers(1, 5))
    h, w = int(rng.integers(k, 13)), int(rng.integers(k, 13))
    c = int(rng.integers(1, 9))
    return PoolCfg(h, w, c, k, _divisor(c, rng), int(rng.integers(1, 7)))


def random_dense_dcll(rng: np.random.Generator) -> DcllDenseCfg:
    simd, pe, out_simd = (int(rng.choice([1, 2, 3, 4])) for _ in range(3))
    n_in = simd * int(rng.integers(1, 9))
    n_out = int(np.lcm(pe, out_simd)) * int(rng.integers(1, 4))
    kq, kp, kr = (int(rng.integers(1, 5)) for _ in range(3))
    return DcllDenseCfg(n_in, n_out, simd, pe, out_simd, int(rng.integers(1, 9)), int(rng.integers(2, 9)),
                        int(rng.integers(8, 25)), kq, kp, kr, int(rng.integers(0, 51)), frac=int(rng.integers(0, 5)))


def _event_case(name: str, rng: np.random.Generator, kind: str) -> EventConvCase:
    grid = int(rng.integers(3, 13))
    cfg = random_conv(rng, kind, event_grid=grid)
    return EventConvCase(name, IqCfg(cfg.timesteps, grid), cfg)


DCLL = NeuronCfg("dcll", kq=2, kp=3, kr=1, rho=17, frac=4)
_R = np.random.default_rng(7)

CONV_CASES = [
    # LIF shift, 3x3 pad 1 stride 1, SIMD 2 of 4 channels, PE 3 of 6, OUT_SIMD 2.
    ConvCase("conv_lif_shift_k3p1", ConvCfg(7, 9, 4, 6, 3, 1, 1, 2, 3, 2, 4, 4, 12,
                                            NeuronCfg(leak=SHIFT, leak_shift=2))),
    # DCLL, stride 2, pad 2, 5x5 kernel, non-square map.
    ConvCase("conv_dcll_k5s2p2", ConvCfg(9, 6, 2, 4, 5, 2, 2, 1, 2, 4, 6, 5, 16, DCLL)),
    # IF (no leak), reset to zero, 8-bit state and weights, all-ones input: saturates.
    ConvCase("conv_if_zero_saturate", ConvCfg(5, 5, 3, 3, 3, 1, 1, 3, 1, 3, 3, 8, 8,
                                              NeuronCfg(reset=ZERO)), saturate=True),
    # DCLL with an 8-bit state and 8-bit weights: Q, P, R and U clamp.
    ConvCase("conv_dcll_saturate", ConvCfg(4, 4, 2, 3, 2, 1, 0, 2, 3, 1, 5, 8, 8,
                                           NeuronCfg("dcll", kq=1, kp=4, kr=4, rho=50)), saturate=True),
    # K = 1 with pad 3: border pixels see only padding; MULT leak; 1x1 conv with PE = COUT.
    ConvCase("conv_lif_mult_k1p3", ConvCfg(3, 4, 2, 5, 1, 2, 3, 2, 5, 5, 3, 3, 10,
                                           NeuronCfg(leak=MULT, beta_q=200, beta_frac_bits=8, reset=ZERO))),
    # Kernel as large as the padded input: a single output pixel.
    ConvCase("conv_dcll_single_pixel", ConvCfg(3, 3, 1, 8, 5, 1, 1, 1, 4, 8, 6, 6, 24,
                                               NeuronCfg("dcll", kq=4, kp=1, kr=2, rho=0))),
    *(ConvCase(f"conv_random{i}", random_conv(_R, ["lif", "dcll"][i % 2])) for i in range(6)),
]
MISC_CASES = [
    EventConvCase("event_dcll_g8_k3p1", IqCfg(6, 8), ConvCfg(8, 8, 1, 4, 3, 1, 1, 1, 2, 4, 6, 6, 16, DCLL)),
    EventConvCase("event_lif_g16_k5s2p2", IqCfg(5, 16),
                  ConvCfg(16, 16, 1, 6, 5, 2, 2, 1, 3, 2, 5, 4, 10, NeuronCfg(leak=SHIFT, leak_shift=1))),
    EventConvCase("event_if_zero_odd_t", IqCfg(3, 5), ConvCfg(5, 5, 1, 2, 2, 2, 0, 1, 1, 1, 3, 8, 8,
                                                             NeuronCfg(reset=ZERO))),
    *(_event_case(f"event_random{i}", _R, ["dcll", "lif"][i % 2]) for i in range(2)),
    PoolCase("pool_k2_even", PoolCfg(8, 6, 4, 2, 2, 3)),
    PoolCase("pool_k3_floor", PoolCfg(7, 11, 3, 3, 1, 2)),  # rows/cols beyond HO*K, WO*K are dropped
    PoolCase("pool_k1_identity", PoolCfg(3, 4, 6, 1, 6, 2)),
    *(PoolCase(f"pool_random{i}", random_pool(_R)) for i in range(2)),
    DenseDcllCase("dense_dcll_basic", DcllDenseCfg(24, 12, 4, 3, 6, 6, 4, 12, 2, 2, 3, 9, frac=3)),
    DenseDcllCase("dense_dcll_saturate_8bit", DcllDenseCfg(10, 6, 1, 1, 2, 8, 8, 8, 1, 1, 1, 50), saturate=True),
    DenseDcllCase("dense_dcll_32bit_k_max", DcllDenseCfg(16, 4, 16, 4, 4, 5, 8, 32, 32, 32, 32, 2**31 - 1)),
    *(DenseDcllCase(f"dense_dcll_random{i}", random_dense_dcll(_R)) for i in range(2)),
    IqFrameCase("iq_frame_g8_simd1", IqCfg(5, 8, 1)),
    IqFrameCase("iq_frame_g6_simd4_odd_t", IqCfg(3, 6, 4)),
    IqFrameCase("iq_frame_g256", IqCfg(2, 256, 256)),
    DcllChainCase(
        "chain_dcll", IqCfg(6, 8),
        ConvCfg(8, 8, 1, 4, 3, 1, 1, 1, 2, 2, 6, 4, 14, NeuronCfg("dcll", kq=1, kp=1, kr=2, rho=3)),
        PoolCfg(8, 8, 4, 2, 2, 6),
        ConvCfg(4, 4, 4, 6, 3, 1, 0, 2, 3, 3, 6, 4, 14, NeuronCfg("dcll", kq=1, kp=2, kr=1, rho=5)),
        DcllDenseCfg(24, 5, 3, 5, 5, 6, 4, 16, 2, 2, 2, 8)),
]
DEFAULT_GROUPS = [CONV_CASES, MISC_CASES]


@pytest.fixture(scope="module")
def default_testbenches() -> dict[str, tuple[Path, int]]:
    return index_cases(build_conv_testbenches(DEFAULT_GROUPS, need_toolchain()), DEFAULT_GROUPS)


@pytest.mark.parametrize("case", [c for group in DEFAULT_GROUPS for c in group], ids=lambda c: c.name)
def test_conv_kernel_matches_reference(case, default_testbenches, tmp_path) -> None:
    exe, case_id = default_testbenches[case.name]
    for draw in range(DRAWS):
        case.check(exe, case_id, tmp_path, draw)


@pytest.fixture(scope="module")
def hw_loop_testbenches() -> dict[str, tuple[Path, int]]:
    return index_cases(build_conv_testbenches(DEFAULT_GROUPS, need_toolchain(), ("-DSNN_CSIM_HW_LOOPS",)),
                       DEFAULT_GROUPS)


@pytest.mark.parametrize("case", [c for group in DEFAULT_GROUPS for c in group], ids=lambda c: c.name)
def test_synthesised_loops_match_reference(case, hw_loop_testbenches, tmp_path) -> None:
    """The same cases with -DSNN_CSIM_HW_LOOPS: the unrolled synapse loops and ap_int arithmetic that
    Vitis HLS synthesises, not C-simulation's fast paths, also equal the reference."""
    exe, case_id = hw_loop_testbenches[case.name]
    for draw in range(DRAWS):
        case.check(exe, case_id, tmp_path, draw)


def test_reference_conventions() -> None:
    """The layout helpers agree with a direct loop over the kernel's weight order and stream order."""
    rng = np.random.default_rng(0)
    w = rng.integers(-8, 8, (3, 2, 3, 3))
    s = (rng.random((1, 1, 2, 4, 5)) < 0.5).astype(np.uint8)
    cur = conv_currents(s, w, 1, 1)
    kw, stream = kernel_weights(w), nhwc(s)[0, 0]
    for co, oy, ox in np.ndindex(3, 4, 5):
        acc = 0
        for ky, kx, ci in np.ndindex(3, 3, 2):
            iy, ix = oy + ky - 1, ox + kx - 1
            if 0 <= iy < 4 and 0 <= ix < 5:
                acc += kw[co, (ky * 3 + kx) * 2 + ci] * stream[(iy * 5 + ix) * 2 + ci]
        assert acc == cur[0, 0, co, oy, ox]
    codes = np.array([[[-128, 127], [5, -6], [0, 1]]])
    words = iq_words(codes)
    assert words.tolist() == [[0x80 | 0x7F << 8 | 5 << 16 | 0xFA << 24, 0 | 1 << 8]]


# One compile checks every message: g++ reports all failing static_asserts of a translation unit.
_BAD_CONV = ConvCfg(6, 6, 3, 4, 3, 1, 1, 1, 1, 1, 2, 4, 8)
ILLEGAL = [
    ("CIN must be a multiple of SIMD", ConvCase("bad_simd", replace(_BAD_CONV, simd=2))),
    ("COUT must be a multiple of PE", ConvCase("bad_pe", replace(_BAD_CONV, pe=3))),
    ("COUT must be a multiple of OUT_SIMD", ConvCase("bad_out_simd", replace(_BAD_CONV, out_simd=3))),
    ("does not fit the padded input", ConvCase("bad_fit", replace(_BAD_CONV, k=9))),
    ("STRIDE must be >= 1", ConvCase("bad_stride", replace(_BAD_CONV, stride=0))),
    ("KQ must be in 1..STATE_BITS", ConvCase("bad_kq", replace(_BAD_CONV, neuron=NeuronCfg("dcll", kq=0)))),
    ("RHO must be in 0..2^(STATE_BITS-1)-1",
     ConvCase("bad_rho", replace(_BAD_CONV, neuron=NeuronCfg("dcll", rho=128)))),
    ("LEAK_SHIFT must be in 1..STATE_BITS", ConvCase("bad_k", replace(_BAD_CONV, neuron=NeuronCfg(leak=SHIFT)))),
    ("conv_event_neuron needs CIN == 1", EventConvCase("bad_event", IqCfg(2, 6), replace(_BAD_CONV, simd=3))),
    ("the pool window K must fit the input", PoolCase("bad_pool", PoolCfg(3, 3, 2, 4, 1, 2))),
    ("C must be a multiple of SIMD", PoolCase("bad_pool_simd", PoolCfg(4, 4, 3, 2, 2, 2))),
    ("OUT must be a multiple of PE", DenseDcllCase("bad_dense", DcllDenseCfg(8, 6, 1, 4, 1, 2, 4, 8))),
    ("KR must be in 1..STATE_BITS", DenseDcllCase("bad_kr", DcllDenseCfg(8, 2, 1, 1, 1, 2, 4, 8, kr=9))),
    ("G (I/Q grid) must be in 2..256", IqFrameCase("bad_grid", IqCfg(2, 1, 1))),
    ("G*G must be a multiple of SIMD", IqFrameCase("bad_iq_simd", IqCfg(2, 3, 2))),
    ("weight_rom_t must hold signed WEIGHT_BITS-bit values",
     ConvCase("bad_weight_rom", replace(_BAD_CONV, weight_rom="ap_int<3>"))),
    ("state_rom_t must hold signed STATE_BITS-bit values",
     ConvCase("bad_state_rom", replace(_BAD_CONV, state_rom="uint16_t"))),
]


def test_illegal_configs_are_rejected_at_compile_time(tmp_path) -> None:
    ap_types = need_toolchain()
    (tmp_path / "tb_config.h").write_text(config_header([case for _, case in ILLEGAL]))
    cmd = compile_cmd(ap_types, tmp_path, tmp_path / "tb", "-fsyntax-only")
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert res.returncode != 0
    missing = [msg for msg, _ in ILLEGAL if msg not in res.stderr]
    assert not missing, f"static_assert messages not reported: {missing}\n{res.stderr[-4000:]}"


def _random_sweep(n_conv: int, n_misc: int, seed: int = 2025) -> list[list]:
    rng = np.random.default_rng(seed)
    conv = [ConvCase(f"sweep_conv{i}", random_conv(rng, ["lif", "dcll"][i % 2], extreme=i % 7 == 6))
            for i in range(n_conv)]
    misc: list = []
    for i in range(n_misc):
        kind = i % 4
        if kind == 0:
            misc.append(_event_case(f"sweep_event{i}", rng, ["dcll", "lif"][(i // 4) % 2]))
        elif kind == 1:
            misc.append(PoolCase(f"sweep_pool{i}", random_pool(rng)))
        elif kind == 2:
            misc.append(DenseDcllCase(f"sweep_dense{i}", random_dense_dcll(rng)))
        else:
            grid = int(rng.integers(2, 17))
            misc.append(IqFrameCase(f"sweep_iq{i}", IqCfg(int(rng.integers(1, 8)), grid, _divisor(grid * grid, rng))))
    per_group = 16
    return [conv[k:k + per_group] for k in range(0, n_conv, per_group)] + [misc]


SWEEP_GROUPS = _random_sweep(48, 24)


@pytest.fixture(scope="module")
def sweep_testbenches() -> dict[str, tuple[Path, int]]:
    return index_cases(build_conv_testbenches(SWEEP_GROUPS, need_toolchain()), SWEEP_GROUPS)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for group in SWEEP_GROUPS for c in group], ids=lambda c: c.name)
def test_random_sweep_matches_reference(case, sweep_testbenches, tmp_path) -> None:
    exe, case_id = sweep_testbenches[case.name]
    for draw in range(3):
        case.check(exe, case_id, tmp_path, draw)
