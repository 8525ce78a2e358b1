"""C-simulation of the header-only HLS kernels (hls/) against the integer reference, exactly.

Every case compiles hls/tb/tb_kernels.cpp with a generated config (g++ against the ap_types headers),
feeds it random vectors and compares, with integer equality, the spikes, final membranes and
saturation counts with snn2fpga.semantics, and the C-sim cycle counter with the cycle model
documented in the kernel headers. Data vary across samples and draws (weights, thresholds and inputs
come from a file) so that few binaries are compiled; see tb_harness.py for caching.
"""

from __future__ import annotations

import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from snn2fpga.semantics import (
    EncoderKind,
    LeakMode,
    NeuronParams,
    ResetMode,
    dense_currents,
    latency_encode,
    rate_encode,
    run_neurons,
)
from tests.hls.tb_harness import (
    CXX,
    CXXFLAGS,
    HLS_DIR,
    TB_SRC,
    DenseCfg,
    EncCfg,
    build_testbenches,
    config_header,
    format_ints,
    index_cases,
    need_toolchain,
    run_testbench,
    words_from_bits,
    words_from_bytes,
)

SAMPLES = 5  # samples per draw; sample 0 is all-ones (dense) or extreme features (encoders)
DRAWS = 2  # independent data draws (weights, thresholds, inputs) per case


def _rng(name: str, draw: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), draw])


def _params(cfg: DenseCfg, spiking: bool) -> NeuronParams:
    return NeuronParams(leak=cfg.leak, state_bits=cfg.state_bits, reset=cfg.reset, leak_shift=cfg.leak_shift,
                        beta_q=cfg.beta_q, beta_frac_bits=cfg.beta_frac_bits, spiking=spiking)


def _weights(cfg: DenseCfg, rng: np.random.Generator, saturate: bool) -> np.ndarray:
    lo, hi = -(1 << (cfg.weight_bits - 1)), (1 << (cfg.weight_bits - 1)) - 1
    if not saturate:
        return rng.integers(lo, hi + 1, (cfg.n_out, cfg.n_in))
    # Large same-signed weights: most neurons are driven into the top of the state range, every
    # third one into the bottom.
    mag = rng.integers(max(1, hi // 2), hi + 1, (cfg.n_out, cfg.n_in))
    down = (np.arange(cfg.n_out) % 3 == 2)[:, None]
    return np.where(down, -mag - 1, mag)


def _thresholds(cfg: DenseCfg, rng: np.random.Generator) -> np.ndarray:
    top = (1 << (cfg.state_bits - 1)) - 1
    typical = max(2, int(np.sqrt(cfg.n_in) * (1 << (cfg.weight_bits - 1))))
    theta = rng.integers(1, min(top, 3 * typical) + 1, cfg.n_out)
    theta[0] = top  # thresholds at and near the state maximum
    theta[-1] = max(1, top - 1)
    theta[cfg.n_out // 2] = 1
    return theta


def _spikes(cfg_in: int, timesteps: int, rng: np.random.Generator, samples: int) -> np.ndarray:
    p = rng.uniform(0.05, 0.95, samples)
    p[0] = 1.0
    return (rng.random((timesteps, samples, cfg_in)) < p[None, :, None]).astype(np.uint8)


def _features(n_in: int, rng: np.random.Generator, samples: int) -> np.ndarray:
    q = rng.integers(0, 256, (samples, n_in))
    q[0, 0::3], q[0, 1::3], q[0, 2::3] = 0, 255, 1  # extremes
    if samples > 1:
        q[1] = rng.permutation(256)[np.arange(n_in) % 256]  # every level once when n_in >= 256
    return q


@dataclass(frozen=True)
class DenseCase:
    """dense_lif (spiking) or dense_li (readout) alone, fed random spikes."""

    name: str
    cfg: DenseCfg
    spiking: bool
    saturate: bool = False  # draw data that drive membranes into saturation

    def runner(self) -> str:
        return "tb_dense_lif" if self.spiking else "tb_dense_li"

    def cpp(self, prefix: str) -> tuple[str, str]:
        return self.cfg.cpp(f"{prefix}_cfg"), f"{prefix}_cfg"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        w = _weights(cfg, rng, self.saturate)
        theta = _thresholds(cfg, rng)
        spikes = _spikes(cfg.n_in, cfg.timesteps, rng, SAMPLES)
        trace = run_neurons(dense_currents(spikes, w), theta, _params(cfg, self.spiking))
        header = [[SAMPLES], w, theta] if self.spiking else [[SAMPLES], w]
        text = format_ints(*header, *(spikes[:, b, :] for b in range(SAMPLES)))
        lines, _ = run_testbench(exe, case_id, text, tmp_path)
        assert len(lines) == SAMPLES
        got = np.array(lines, dtype=np.int64)
        if self.spiking:
            assert np.array_equal(got[:, 2:].reshape(SAMPLES, cfg.timesteps, cfg.n_out),
                                  trace.spikes.transpose(1, 0, 2).astype(np.int64))
            assert np.all(got[:, 0] == cfg.cycles_lif())
        else:
            assert np.array_equal(got[:, 2:], trace.v_final)
            assert np.all(got[:, 0] == cfg.cycles_li())
        assert np.array_equal(got[:, 1], trace.saturations)
        if self.saturate:  # the case must really exercise what it is for (sample 0 is all-ones)
            assert trace.saturations[0] > 0
            if self.spiking:
                assert trace.spikes[:, 0, 0].any(), "the neuron with theta = state max never fired"


@dataclass(frozen=True)
class EncoderCase:
    """rate_encoder, latency_encoder (8-bit features in) or spike_unpack (host spikes in)."""

    name: str
    kind: str  # "rate" | "latency" | "unpack"
    cfg: EncCfg

    def runner(self) -> str:
        return {"rate": "tb_rate", "latency": "tb_latency", "unpack": "tb_unpack"}[self.kind]

    def cpp(self, prefix: str) -> tuple[str, str]:
        return self.cfg.cpp(f"{prefix}_cfg"), f"{prefix}_cfg"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        cfg, rng = self.cfg, _rng(self.name, draw)
        if self.kind == "unpack":
            expected = _spikes(cfg.n_in, cfg.timesteps, rng, SAMPLES)  # [T, B, N]
            words = words_from_bits(expected)  # [T, B, W]
            samples = [words[:, b, :] for b in range(SAMPLES)]
            cycles = cfg.cycles_unpack()
        else:
            q = _features(cfg.n_in, rng, SAMPLES)
            expected = (rate_encode(q, cfg.timesteps, cfg.seed) if self.kind == "rate"
                        else latency_encode(q, cfg.timesteps))
            samples = list(words_from_bytes(q))
            cycles = cfg.cycles_encoder()
        lines, _ = run_testbench(exe, case_id, format_ints([SAMPLES], *samples), tmp_path)
        got = np.array(lines, dtype=np.int64)
        assert got.shape == (SAMPLES, 2 + cfg.timesteps * cfg.n_in)
        assert np.array_equal(got[:, 2:].reshape(SAMPLES, cfg.timesteps, cfg.n_in),
                              expected.transpose(1, 0, 2).astype(np.int64))
        assert np.all(got[:, 0] == cycles)


@dataclass(frozen=True)
class ChainCase:
    """Encoder -> dense_lif -> dense_li, as a generated top would chain them (one sample per call)."""

    name: str
    encoder: EncoderKind
    enc: EncCfg
    hidden: DenseCfg
    readout: DenseCfg

    def runner(self) -> str:
        return "tb_chain"

    def cpp(self, prefix: str) -> tuple[str, str]:
        rate = "true" if self.encoder is EncoderKind.RATE else "false"
        chain = (f"struct {prefix}_chain {{\n    typedef {prefix}_enc ENC;\n    typedef {prefix}_l1 L1;\n"
                 f"    typedef {prefix}_l2 L2;\n    static const bool RATE = {rate};\n}};\n")
        structs = [self.enc.cpp(f"{prefix}_enc"), self.hidden.cpp(f"{prefix}_l1"),
                   self.readout.cpp(f"{prefix}_l2")]
        return "".join(structs) + chain, f"{prefix}_chain"

    def check(self, exe: Path, case_id: int, tmp_path: Path, draw: int) -> None:
        rng = _rng(self.name, draw)
        w1, th1 = _weights(self.hidden, rng, False), _thresholds(self.hidden, rng)
        w2 = _weights(self.readout, rng, False)
        q = _features(self.enc.n_in, rng, SAMPLES)
        t = self.enc.timesteps
        s0 = rate_encode(q, t, self.enc.seed) if self.encoder is EncoderKind.RATE else latency_encode(q, t)
        h = run_neurons(dense_currents(s0, w1), th1, _params(self.hidden, True))
        r = run_neurons(dense_currents(h.spikes, w2), 0, _params(self.readout, False))
        text = format_ints([SAMPLES], w1, th1, w2, *words_from_bytes(q))
        got = np.array(run_testbench(exe, case_id, text, tmp_path)[0], dtype=np.int64)
        n_hidden = t * self.hidden.n_out
        assert got.shape == (SAMPLES, 5 + n_hidden + self.readout.n_out)
        assert np.array_equal(got[:, 5:5 + n_hidden].reshape(SAMPLES, t, self.hidden.n_out),
                              h.spikes.transpose(1, 0, 2).astype(np.int64))
        assert np.array_equal(got[:, 5 + n_hidden:], r.v_final)
        assert np.array_equal(got[:, 3], h.saturations) and np.array_equal(got[:, 4], r.saturations)
        cycles = (self.enc.cycles_encoder(), self.hidden.cycles_lif(), self.readout.cycles_li())
        assert np.all(got[:, :3] == np.array(cycles))


SHIFT, MULT, NONE = LeakMode.SHIFT, LeakMode.MULT, LeakMode.NONE
SUB, ZERO = ResetMode.SUBTRACT, ResetMode.ZERO

# Two groups = two binaries compiled in parallel. Each case covers a different corner of the legal space.
DENSE_CASES = [
    DenseCase("lif_shift_sub", DenseCfg(24, 12, 4, 3, 6, 6, 4, 12, SHIFT, leak_shift=2), True),
    DenseCase("lif_mult_zero_sf1_nf1", DenseCfg(16, 8, 16, 8, 1, 5, 8, 16, MULT, beta_q=200, beta_frac_bits=8,
                                                 reset=ZERO), True),
    DenseCase("lif_if_saturate_8bit", DenseCfg(10, 6, 1, 1, 2, 8, 8, 8), True, saturate=True),
    DenseCase("lif_shift_k_eq_state_bits", DenseCfg(32, 4, 8, 2, 4, 4, 2, 24, SHIFT, leak_shift=24,
                                                     reset=ZERO), True),
    DenseCase("lif_mult_beta_max_32bit_state", DenseCfg(20, 6, 5, 2, 3, 7, 8, 32, MULT, beta_q=65535,
                                                         beta_frac_bits=16), True),
    DenseCase("li_mult_sat", DenseCfg(12, 10, 3, 5, 1, 7, 6, 10, MULT, beta_q=3, beta_frac_bits=2), False,
              saturate=True),
    DenseCase("li_shift1_sat_8bit", DenseCfg(16, 4, 2, 2, 1, 9, 8, 8, SHIFT, leak_shift=1), False,
              saturate=True),
    DenseCase("li_if_32bit", DenseCfg(8, 3, 8, 3, 1, 5, 5, 32), False),
]
STREAM_CASES = [
    EncoderCase("rate_in10_seed0", "rate", EncCfg(10, 5, 9, 0)),
    EncoderCase("rate_in64_simd16", "rate", EncCfg(64, 16, 4, 12345)),
    EncoderCase("latency_in10", "latency", EncCfg(10, 2, 7)),
    EncoderCase("latency_t1", "latency", EncCfg(4, 4, 1)),
    # T - 1 = 7 is coprime to 255, so every rounding case of ((255 - q) * 7) // 255 occurs.
    EncoderCase("latency_all_levels", "latency", EncCfg(256, 16, 8)),
    EncoderCase("unpack_in40", "unpack", EncCfg(40, 8, 3)),
    EncoderCase("unpack_in64_simd64", "unpack", EncCfg(64, 64, 2)),
    ChainCase("chain_rate", EncoderKind.RATE, EncCfg(16, 4, 8, 7),
              DenseCfg(16, 12, 4, 4, 3, 8, 4, 12, SHIFT, leak_shift=3),
              DenseCfg(12, 5, 3, 1, 1, 8, 6, 16, MULT, beta_q=7, beta_frac_bits=3)),
    ChainCase("chain_latency", EncoderKind.LATENCY, EncCfg(12, 6, 5),
              DenseCfg(12, 8, 6, 2, 8, 5, 3, 10, NONE, reset=ZERO),
              DenseCfg(8, 4, 8, 4, 1, 5, 4, 12, SHIFT, leak_shift=2)),
]
DEFAULT_GROUPS = [DENSE_CASES, STREAM_CASES]


@pytest.fixture(scope="module")
def default_testbenches() -> dict[str, tuple[Path, int]]:
    return index_cases(build_testbenches(DEFAULT_GROUPS, need_toolchain()), DEFAULT_GROUPS)


@pytest.mark.parametrize("case", [c for group in DEFAULT_GROUPS for c in group], ids=lambda c: c.name)
def test_kernel_matches_reference(case, default_testbenches, tmp_path) -> None:
    exe, case_id = default_testbenches[case.name]
    for draw in range(DRAWS):
        case.check(exe, case_id, tmp_path, draw)


@pytest.fixture(scope="module")
def hw_loop_testbenches() -> dict[str, tuple[Path, int]]:
    return index_cases(build_testbenches([DENSE_CASES], need_toolchain(), ("-DSNN_CSIM_HW_LOOPS",)), [DENSE_CASES])


@pytest.mark.parametrize("case", DENSE_CASES, ids=lambda c: c.name)
def test_synthesised_loops_match_reference(case, hw_loop_testbenches, tmp_path) -> None:
    """The dense cases with -DSNN_CSIM_HW_LOOPS: the unrolled synapse loops and ap_int arithmetic that
    Vitis HLS synthesises, not C-simulation's fast paths, also equal the reference."""
    exe, case_id = hw_loop_testbenches[case.name]
    for draw in range(DRAWS):
        case.check(exe, case_id, tmp_path, draw)


ILLEGAL = [
    ("IN must be a multiple of SIMD", DenseCase("bad_simd", DenseCfg(10, 4, 3, 1, 1, 2, 4, 8), True)),
    ("OUT must be a multiple of PE", DenseCase("bad_pe", DenseCfg(8, 6, 1, 4, 1, 2, 4, 8), False)),
    ("OUT must be a multiple of OUT_SIMD", DenseCase("bad_out_simd", DenseCfg(8, 6, 1, 1, 4, 2, 4, 8), True)),
    ("STATE_BITS must be in 2..32", DenseCase("bad_state", DenseCfg(8, 2, 1, 1, 1, 2, 4, 33), False)),
    ("LEAK_SHIFT must be in 1..STATE_BITS", DenseCase("bad_k", DenseCfg(8, 2, 1, 1, 1, 2, 4, 8, SHIFT),
                                                      True)),
    ("BETA_Q must satisfy", DenseCase("bad_beta", DenseCfg(8, 2, 1, 1, 1, 2, 4, 8, MULT, beta_q=16,
                                                             beta_frac_bits=4), False)),
    ("IN must be a multiple of SIMD", EncoderCase("bad_enc", "rate", EncCfg(10, 4, 3))),
    # ROM element types: a C integer or ap_int of at least WEIGHT_BITS / STATE_BITS signed bits
    ("weight_rom_t must hold signed WEIGHT_BITS-bit values",
     DenseCase("bad_weight_rom", DenseCfg(8, 2, 1, 1, 1, 2, 12, 16, weight_rom="int8_t"), False)),
    ("weight_rom_t must hold signed WEIGHT_BITS-bit values",
     DenseCase("bad_weight_rom_ap", DenseCfg(8, 2, 1, 1, 1, 2, 4, 16, weight_rom="ap_int<3>"), True)),
    ("state_rom_t must hold signed STATE_BITS-bit values",
     DenseCase("bad_state_rom", DenseCfg(8, 2, 1, 1, 1, 2, 4, 16, state_rom="int8_t"), True)),
    ("state_rom_t must hold signed STATE_BITS-bit values",
     DenseCase("bad_state_rom_unsigned", DenseCfg(8, 2, 1, 1, 1, 2, 4, 16, state_rom="uint32_t"), True)),
]


@pytest.mark.parametrize("message,case", ILLEGAL, ids=[c.name for _, c in ILLEGAL])
def test_illegal_config_is_rejected_at_compile_time(message, case, tmp_path) -> None:
    ap_types = need_toolchain()
    (tmp_path / "tb_config.h").write_text(config_header([case]))
    res = subprocess.run([CXX, *CXXFLAGS, "-fsyntax-only", "-isystem", str(ap_types), "-I", str(HLS_DIR),
                          "-I", str(tmp_path), str(TB_SRC)], capture_output=True, text=True, check=False)
    assert res.returncode != 0
    assert message in res.stderr


def _random_sweep(n_dense: int, n_stream: int, seed: int = 2024) -> list[list]:
    rng = np.random.default_rng(seed)
    dense = []
    for i in range(n_dense):
        simd, pe, out_simd = (int(rng.choice([1, 2, 3, 4, 8])) for _ in range(3))
        saturate = i % 5 == 4  # 8-bit state, 8-bit weights, >= 3 inputs: sample 0 saturates at t = 0
        n_in = simd * max(int(rng.integers(1, 9)), 3 if saturate else 1)
        n_out = int(np.lcm(pe, out_simd)) * int(rng.integers(1, 4))
        if saturate:
            sb, wb = 8, 8
        elif i % 7 == 6:  # the extremes the reference allows: 2..32-bit state, up to 16-bit weights
            sb, wb = int(rng.choice([2, 3, 31, 32])), int(rng.integers(2, 17))
        else:
            sb, wb = int(rng.integers(8, 25)), int(rng.integers(2, 9))
        leak = [NONE, SHIFT, MULT][i % 3]
        frac = int(rng.integers(1, 17))
        cfg = DenseCfg(n_in, n_out, simd, pe, out_simd, int(rng.integers(1, 12)), wb, sb, leak,
                       leak_shift=int(rng.integers(1, sb + 1)) if leak is SHIFT else 0,
                       beta_q=int(rng.integers(0, 1 << frac)) if leak is MULT else 0,
                       beta_frac_bits=frac if leak is MULT else 0, reset=[SUB, ZERO][int(rng.integers(2))])
        dense.append(DenseCase(f"sweep_dense{i}", cfg, spiking=i % 4 != 3, saturate=saturate))
    stream = []
    for i in range(n_stream):
        simd = int(rng.choice([1, 2, 4, 5, 8, 32]))
        n_in, timesteps = simd * int(rng.integers(1, 9)), int(rng.integers(1, 20))
        cfg = EncCfg(n_in, simd, timesteps, int(rng.integers(0, 2**32)))
        stream.append(EncoderCase(f"sweep_enc{i}", ["rate", "latency", "unpack"][i % 3], cfg))
    per_group = 16
    return [dense[k:k + per_group] for k in range(0, n_dense, per_group)] + [stream]


SWEEP_GROUPS = _random_sweep(48, 18)


@pytest.fixture(scope="module")
def sweep_testbenches() -> dict[str, tuple[Path, int]]:
    return index_cases(build_testbenches(SWEEP_GROUPS, need_toolchain()), SWEEP_GROUPS)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for group in SWEEP_GROUPS for c in group], ids=lambda c: c.name)
def test_random_sweep_matches_reference(case, sweep_testbenches, tmp_path) -> None:
    exe, case_id = sweep_testbenches[case.name]
    for draw in range(3):
        case.check(exe, case_id, tmp_path, draw)
