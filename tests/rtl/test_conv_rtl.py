"""Conv-path stream RTL (rtl/snn_maxpool_or.sv, rtl/snn_conv.sv) against the integer reference.

Oracle: snn2fpga/semantics/conv.py (conv_currents, maxpool_spikes) with run_neurons / run_dcll, compared
with == on every output spike of every timestep of several back-to-back samples, under random input
gaps and random output ready (seeded), plus an unstalled run whose handshake cycles must equal the
cycle formulas documented in the module headers.
"""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.codegen.rtl_rom import conv_weight_rom, threshold_rom
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics import LeakMode, NeuronTrace, ResetMode
from snn2fpga.semantics.conv import maxpool_spikes
from tests.hls.conv_harness import ConvCfg, NeuronCfg
from tests.rtl.conv_harness import (
    THRESHOLDS_FILE,
    WEIGHTS_FILE,
    build,
    pack_maps,
    rom_words,
    run_stream,
    unpack_maps,
)

POOL_CASES = [  # H, W, C, K, SIMD
    pytest.param(4, 4, 1, 2, 1, marks=pytest.mark.slow),
    (7, 9, 4, 3, 2),  # rows / columns beyond HO*K, WO*K are dropped
    pytest.param(5, 3, 6, 1, 3, marks=pytest.mark.slow),  # K = 1: a copy
    pytest.param(6, 6, 8, 2, 8, marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("h", "w", "c", "k", "simd"), POOL_CASES)
def test_maxpool_or_rtl(h: int, w: int, c: int, k: int, simd: int) -> None:
    exe = build("snn_maxpool_or", {"H": h, "W": w, "C": c, "K": k, "SIMD": simd})
    rng = np.random.default_rng(h * 100 + w * 10 + c)
    steps, batch = 3, 3
    spikes = (rng.random((steps, batch, c, h, w)) < 0.3).astype(np.uint8)
    ref = maxpool_spikes(spikes, k)
    ho, wo, cf = h // k, w // k, c // simd
    n_out = steps * batch * ho * wo * cf
    for seed, pv, pr in [(1, 100, 100), (2, 60, 50), (3, 90, 20)]:
        run = run_stream(exe, pack_maps(spikes, simd), n_out, seed=seed, p_valid=pv, p_ready=pr)
        got = unpack_maps(run.out, steps, batch, c, ho, wo, simd)
        assert np.array_equal(got, ref), f"seed {seed}"
        if pv == 100 and pr == 100:  # the documented cycle behaviour
            per_sample = steps * h * w * cf
            assert np.all(np.diff(run.in_cycles) == 1)  # one word per cycle, no bubble between samples
            c0 = run.in_cycles[0]
            span = per_sample - ((h - ho * k) * w + w - wo * k) * cf + 1
            assert run.out_cycles[n_out // batch - 1] - c0 + 1 == span
            assert run.out_cycles[0] - c0 == ((k - 1) * w + k - 1) * cf + 1


CONV_CASES = [
    ConvCfg(5, 5, 1, 2, 3, 1, 1, 1, 1, 2, 3, 4, 6, NeuronCfg(leak=LeakMode.SHIFT, leak_shift=2)),
    ConvCfg(6, 7, 4, 6, 3, 2, 0, 2, 3, 3, 3, 3, 5, NeuronCfg(reset=ResetMode.ZERO)),
    ConvCfg(4, 4, 2, 4, 2, 2, 1, 1, 4, 1, 4, 5, 8, NeuronCfg(leak=LeakMode.MULT, beta_q=200, beta_frac_bits=8)),
    ConvCfg(5, 4, 2, 4, 3, 1, 1, 2, 2, 4, 4, 4, 7, NeuronCfg("dcll", kq=1, kp=2, kr=1, rho=5, frac=2)),
    ConvCfg(3, 3, 1, 2, 3, 1, 0, 1, 1, 1, 5, 6, 10, NeuronCfg("dcll", kq=10, kp=3, kr=2, rho=200, frac=3)),
    ConvCfg(4, 6, 3, 4, 1, 1, 0, 3, 1, 2, 2, 2, 4, NeuronCfg(leak=LeakMode.SHIFT, leak_shift=4, reset=ResetMode.ZERO)),
]

BATCH = 3  # samples per simulation, back to back
_LEAK_INT = {LeakMode.NONE: 0, LeakMode.SHIFT: 1, LeakMode.MULT: 2}
_RESET_INT = {ResetMode.SUBTRACT: 0, ResetMode.ZERO: 1}


def conv_params(cfg: ConvCfg) -> dict[str, int | str]:
    """The snn_conv parameters of a layer config (ROM files relative to the run folder)."""
    n = cfg.neuron
    params: dict[str, int | str] = {
        "H": cfg.h, "W": cfg.w, "CIN": cfg.cin, "COUT": cfg.cout, "K": cfg.k, "STRIDE": cfg.stride, "PAD": cfg.pad,
        "SIMD": cfg.simd, "PE": cfg.pe, "OUT_SIMD": cfg.out_simd, "T": cfg.timesteps, "WEIGHT_BITS": cfg.weight_bits,
        "STATE_BITS": cfg.state_bits, "WEIGHTS_FILE": WEIGHTS_FILE, "THRESHOLDS_FILE": THRESHOLDS_FILE,
    }
    if n.kind == "dcll":
        params.update({"NEURON": 1, "KQ": n.kq, "KP": n.kp, "KR": n.kr, "RHO": n.rho, "FRAC_BITS": n.frac})
    else:
        params.update({"NEURON": 0, "LEAK": _LEAK_INT[n.leak], "LEAK_SHIFT": max(n.leak_shift, 1),
                       "BETA_Q": n.beta_q, "BETA_FRAC_BITS": max(n.beta_frac_bits, 1), "RESET": _RESET_INT[n.reset]})
    return params


def random_layer(cfg: ConvCfg, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random integer weights [COUT, CIN, K, K] (full WEIGHT_BITS range) and thresholds [COUT]."""
    wmax = (1 << (cfg.weight_bits - 1)) - 1
    weight = rng.integers(-wmax - 1, wmax + 1, size=(cfg.cout, cfg.cin, cfg.k, cfg.k))
    smax = (1 << (cfg.state_bits - 1)) - 1
    if cfg.neuron.kind == "dcll":  # any state value; mostly small so that the neurons fire now and then
        theta = rng.integers(-smax // 4, smax // 2 + 1, size=cfg.cout)
    else:
        theta = rng.integers(1, min(smax, 3 * wmax) + 1, size=cfg.cout)
    return weight, theta


def conv_case_data(cfg: ConvCfg) -> tuple[np.ndarray, np.ndarray, np.ndarray, NeuronTrace]:
    """Seeded random weights, thresholds and input spikes [T, B, CIN, H, W] of a case, and the reference."""
    rng = np.random.default_rng(cfg.h * 1000 + cfg.cout * 10 + cfg.k)
    for _ in range(50):  # a layer whose neurons neither stay silent nor always fire (a test that can fail)
        weight, theta = random_layer(cfg, rng)
        spikes = (rng.random((cfg.timesteps, BATCH, cfg.cin, cfg.h, cfg.w)) < 0.45).astype(np.uint8)
        ref = cfg.reference(spikes, weight, theta)
        if 0.1 < ref.spikes.mean() < 0.9:
            break
    assert 0.1 < ref.spikes.mean() < 0.9
    return weight, theta, spikes, ref


def random_conv_cfg(seed: int) -> ConvCfg:
    """A seeded random conv layer: map, channels, kernel, stride 1/2, padding 0/1, foldings, neuron model
    (LIF leak/reset modes or DCLL), small STATE_BITS so that saturation happens."""
    rng = np.random.default_rng(1000 + seed)
    pick = lambda xs: int(rng.choice(xs))  # noqa: E731
    cin, cout = pick([1, 2, 3, 4]), pick([2, 3, 4, 6])
    k, pad = pick([1, 2, 3]), pick([0, 1])
    h, w = int(rng.integers(max(k - 2 * pad, 1), 8)), int(rng.integers(max(k - 2 * pad, 1), 8))
    divisors = lambda n: [d for d in range(1, n + 1) if n % d == 0]  # noqa: E731
    sb = int(rng.integers(4, 11))
    if rng.random() < 0.4:
        neuron = NeuronCfg("dcll", kq=int(rng.integers(1, sb + 1)), kp=int(rng.integers(1, sb + 1)),
                           kr=int(rng.integers(1, sb + 1)), rho=int(rng.integers(0, 1 << (sb - 1))),
                           frac=int(rng.integers(0, 4)))
    else:
        leak = [LeakMode.NONE, LeakMode.SHIFT, LeakMode.MULT][int(rng.integers(0, 3))]
        frac = int(rng.integers(1, 9))
        neuron = NeuronCfg(leak=leak, leak_shift=int(rng.integers(1, sb + 1)) if leak is LeakMode.SHIFT else 0,
                           beta_q=int(rng.integers(0, 1 << frac)) if leak is LeakMode.MULT else 0,
                           beta_frac_bits=frac if leak is LeakMode.MULT else 0,
                           reset=[ResetMode.SUBTRACT, ResetMode.ZERO][int(rng.integers(0, 2))])
    return ConvCfg(h, w, cin, cout, k, pick([1, 2]), pad, pick(divisors(cin)), pick(divisors(cout)),
                   pick(divisors(cout)), int(rng.integers(2, 5)), int(rng.integers(2, 7)), sb, neuron)


SLOW = pytest.mark.slow
# the default run builds two of the cases (tests/rtl/test_rtl_maps_backend.py runs conv + pool in a whole top
# too); the others (and the random ones) run with -m slow
CONV_RUN = [CONV_CASES[1], CONV_CASES[5]] + [pytest.param(c, marks=SLOW) for c in
                                             (CONV_CASES[0], CONV_CASES[2], CONV_CASES[3], CONV_CASES[4])]


@pytest.mark.parametrize("cfg", CONV_RUN, ids=lambda c: f"{c.neuron.kind}-{c.h}x{c.w}x{c.cin}-{c.cout}k{c.k}")
def test_conv_rtl(cfg: ConvCfg) -> None:
    check_conv(cfg)


@SLOW
@pytest.mark.parametrize("seed", range(4))
def test_conv_rtl_random(seed: int) -> None:
    check_conv(random_conv_cfg(seed))


def check_conv(cfg: ConvCfg) -> None:
    """snn_conv built for ``cfg`` == the reference on 3 back-to-back samples, 3 back-pressure patterns,
    and the documented cycle formulas on the unstalled run."""
    exe = build("snn_conv", conv_params(cfg))
    steps, batch = cfg.timesteps, BATCH
    weight, theta, spikes, ref = conv_case_data(cfg)
    roms = {WEIGHTS_FILE: (rom_words(conv_weight_rom(weight, cfg.pe, cfg.simd, cfg.weight_bits)),
                           cfg.pe * cfg.simd * cfg.weight_bits),
            THRESHOLDS_FILE: (rom_words(threshold_rom(theta, cfg.pe, cfg.state_bits)), cfg.pe * cfg.state_bits)}
    pix, cf = cfg.ho * cfg.wo, cfg.cin // cfg.simd
    n_out = batch * steps * pix * cfg.cout // cfg.out_simd
    for seed, pv, pr in [(1, 100, 100), (2, 50, 50), (3, 85, 15)]:
        run = run_stream(exe, pack_maps(spikes, cfg.simd), n_out, seed=seed, p_valid=pv, p_ready=pr, roms=roms)
        got = unpack_maps(run.out, steps, batch, cfg.cout, cfg.ho, cfg.wo, cfg.out_simd)
        assert np.array_equal(got, ref.spikes), f"seed {seed}: first mismatch at {np.argwhere(got != ref.spikes)[0]}"
        if pv == 100 and pr == 100:  # the documented cycle behaviour
            n_in = cfg.h * cfg.w * cf
            n_fold = pix * (cfg.cout // cfg.pe) * cfg.k * cfg.k * cf
            m_out = pix * cfg.cout // cfg.out_simd
            period = n_fold + max(n_in, m_out + 2)
            latency = n_in + (steps - 1) * period + n_fold + m_out + 4
            per = n_out // batch
            assert run.out_cycles[per - 1] - run.in_cycles[0] + 1 == latency
            assert run.out_cycles[0] - run.in_cycles[0] == n_in + n_fold + 4
            ends = [run.out_cycles[(b + 1) * per - 1] for b in range(batch)]
            assert np.all(np.diff(ends) == steps * period)


def test_conv_weight_rom_layout() -> None:
    """Word nf*SF + sf, lane (p, l) = W[nf*PE + p][ci][ky][kx] with sf*SIMD + l = (ky*K + kx)*CIN + ci."""
    rng = np.random.default_rng(3)
    cout, cin, k, pe, simd, bits = 4, 4, 3, 2, 2, 5
    weight = rng.integers(-16, 16, size=(cout, cin, k, k))
    words = rom_words(conv_weight_rom(weight, pe, simd, bits))
    sf_n = k * k * cin // simd
    assert len(words) == cout // pe * sf_n
    for nf in range(cout // pe):
        for sf in range(sf_n):
            for p in range(pe):
                for lane in range(simd):
                    col = sf * simd + lane
                    ky, kx, ci = col // (k * cin), col // cin % k, col % cin
                    field = words[nf * sf_n + sf] >> ((p * simd + lane) * bits) & ((1 << bits) - 1)
                    assert field - ((field >> (bits - 1)) << bits) == weight[nf * pe + p, ci, ky, kx]


@pytest.mark.parametrize(("weight", "pe", "simd", "bits", "message"), [
    (np.zeros((2, 2, 3, 2)), 1, 1, 4, "square kernel"),
    (np.zeros((2, 3, 3, 3)), 1, 2, 4, "SIMD=2 must divide CIN=3"),
    (np.zeros((3, 1, 3, 3)), 2, 1, 4, "PE=2 must divide OUT=3"),
    (np.full((2, 1, 1, 1), 8), 1, 1, 4, "does not fit 4-bit"),
])
def test_conv_weight_rom_errors(weight: np.ndarray, pe: int, simd: int, bits: int, message: str) -> None:
    with pytest.raises(SNN2FPGAError, match=message):
        conv_weight_rom(weight, pe, simd, bits, stage="conv0")


def test_conv_cases_cover_saturation() -> None:
    """The RTL cases above include layers whose membranes saturate (STATE_BITS small)."""
    saturating = 0
    for cfg in CONV_CASES:
        _, _, _, ref = conv_case_data(cfg)
        saturating += int(ref.saturations.sum() > 0)
    assert saturating >= 2


EVENT_CASES = [
    ConvCfg(6, 6, 1, 4, 3, 1, 1, 1, 2, 4, 5, 4, 6, NeuronCfg(leak=LeakMode.SHIFT, leak_shift=1)),
    ConvCfg(8, 5, 1, 6, 3, 2, 0, 1, 3, 2, 4, 5, 8, NeuronCfg("dcll", kq=2, kp=1, kr=2, rho=9, frac=1)),
    ConvCfg(4, 4, 1, 2, 2, 2, 1, 1, 1, 1, 6, 3, 5, NeuronCfg(reset=ResetMode.ZERO)),
]


def event_params(cfg: ConvCfg) -> dict[str, int | str]:
    """snn_conv_event parameters: those of snn_conv without CIN and SIMD."""
    return {k: v for k, v in conv_params(cfg).items() if k not in ("CIN", "SIMD")}


EVENT_RUN = [EVENT_CASES[1]] + [pytest.param(c, marks=pytest.mark.slow) for c in (EVENT_CASES[0], EVENT_CASES[2])]


@pytest.mark.parametrize("cfg", EVENT_RUN, ids=lambda c: f"{c.neuron.kind}-{c.h}x{c.w}-{c.cout}k{c.k}s{c.stride}")
def test_conv_event_rtl(cfg: ConvCfg) -> None:
    exe = build("snn_conv_event", event_params(cfg))
    rng = np.random.default_rng(cfg.h * 100 + cfg.cout)
    steps = cfg.timesteps
    for _ in range(50):  # neurons that neither stay silent nor always fire (a test that can fail)
        weight, theta = random_layer(cfg, rng)
        rows = rng.integers(0, cfg.h, size=(BATCH, steps))
        cols = rng.integers(0, cfg.w, size=(BATCH, steps))
        spikes = np.zeros((steps, BATCH, 1, cfg.h, cfg.w), dtype=np.uint8)
        for b in range(BATCH):
            spikes[np.arange(steps), b, 0, rows[b], cols[b]] = 1
        ref = cfg.reference(spikes, weight, theta)
        if 0.05 < ref.spikes.mean() < 0.95:
            break
    assert 0.05 < ref.spikes.mean() < 0.95
    roms = {WEIGHTS_FILE: (rom_words(conv_weight_rom(weight, cfg.pe, 1, cfg.weight_bits)), cfg.pe * cfg.weight_bits),
            THRESHOLDS_FILE: (rom_words(threshold_rom(theta, cfg.pe, cfg.state_bits)), cfg.pe * cfg.state_bits)}
    events = [int(v) for v in (rows << 8 | cols).ravel()]
    pix = cfg.ho * cfg.wo
    n_out = BATCH * steps * pix * cfg.cout // cfg.out_simd
    for seed, pv, pr in [(1, 100, 100), (2, 30, 60), (3, 85, 15)]:
        run = run_stream(exe, events, n_out, seed=seed, p_valid=pv, p_ready=pr, roms=roms)
        got = unpack_maps(run.out, steps, BATCH, cfg.cout, cfg.ho, cfg.wo, cfg.out_simd)
        assert np.array_equal(got, ref.spikes), f"seed {seed}: first mismatch at {np.argwhere(got != ref.spikes)[0]}"
        if pv == 100 and pr == 100:  # the documented cycle behaviour
            period = pix * (cfg.cout // cfg.pe) + pix * cfg.cout // cfg.out_simd + 1
            per = n_out // BATCH
            assert run.out_cycles[per - 1] - run.in_cycles[0] + 1 == steps * period + 3
            assert run.out_cycles[0] - run.in_cycles[0] == pix * (cfg.cout // cfg.pe) + 4
            ends = [run.out_cycles[(b + 1) * per - 1] for b in range(BATCH)]
            assert np.all(np.diff(ends) == steps * period)
