"""rtl/snn_dense_lif.sv and rtl/snn_dense_li.sv against snn2fpga.semantics (dense_currents + run_neurons).

Every case runs SAMPLES samples back to back (the membranes must restart at each sample), once never
stalled, where the cycle of every timestep's first input and last output handshake must equal the
recurrence documented in the module headers (``dense_schedule``), and once with random input gaps and a
random output ready, where only the words are compared. The ROM files come from
snn2fpga/codegen/rtl_rom.py, so its layout is tested with the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from snn2fpga.codegen.rtl_rom import dense_weight_rom, threshold_rom
from snn2fpga.semantics import LeakMode, NeuronParams, ResetMode, dense_currents, run_neurons
from tests.rtl.harness import build, spike_words

SAMPLES = 3
_LEAK = {LeakMode.NONE: 0, LeakMode.SHIFT: 1, LeakMode.MULT: 2}
_RESET = {ResetMode.SUBTRACT: 0, ResetMode.ZERO: 1}


@dataclass(frozen=True)
class Dense:
    """One dense layer configuration (HLS config field names in ``params``)."""

    n_in: int
    n_out: int
    simd: int
    pe: int
    out_simd: int
    steps: int
    weight_bits: int
    state_bits: int
    leak: LeakMode = LeakMode.NONE
    leak_shift: int = 0
    beta_q: int = 0
    beta_frac_bits: int = 0
    reset: ResetMode = ResetMode.SUBTRACT
    banks: int = 2
    out_ram: int = 1
    expect_saturation: bool = False

    def neuron(self, spiking: bool) -> NeuronParams:
        return NeuronParams(leak=self.leak, state_bits=self.state_bits, reset=self.reset,
                            leak_shift=self.leak_shift, beta_q=self.beta_q,
                            beta_frac_bits=self.beta_frac_bits, spiking=spiking)

    def params(self, spiking: bool) -> dict[str, int]:
        p = {"IN": self.n_in, "OUT": self.n_out, "SIMD": self.simd, "PE": self.pe, "T": self.steps,
             "WEIGHT_BITS": self.weight_bits, "STATE_BITS": self.state_bits, "LEAK": _LEAK[self.leak],
             "LEAK_SHIFT": max(self.leak_shift, 1), "BETA_Q": self.beta_q,
             "BETA_FRAC_BITS": max(self.beta_frac_bits, 1), "OUT_BANKS": self.banks,
             "OUT_RAM": self.out_ram}
        if spiking:
            p |= {"OUT_SIMD": self.out_simd, "RESET": _RESET[self.reset]}
        return p

    @property
    def folds(self) -> int:
        """P = NF * SF: engine iterations per timestep."""
        return (self.n_out // self.pe) * (self.n_in // self.simd)


def dense_schedule(cfg: Dense, spiking: bool, samples: int) -> tuple[list[int], list[int]]:
    """The documented never-stalled schedule: (S(n) first-iteration cycle of every timestep n, E(u) last
    output handshake of every output unit u: a timestep for dense_lif, a sample for dense_li)."""
    p_iter = cfg.folds
    words = cfg.n_out // cfg.out_simd if spiking else cfg.n_out
    starts: list[int] = []
    ends: list[int] = []
    for n in range(samples * cfg.steps):
        s = starts[-1] + p_iter if starts else 0
        uses_bank = spiking or n % cfg.steps == cfg.steps - 1
        if uses_bank:
            u = len(ends)
            if u >= cfg.banks:
                s = max(s, ends[u - cfg.banks] + 1)
            first = s + p_iter + 2
            if ends:
                first = max(first, ends[-1] + 1)
            ends.append(first + words - 1)
        starts.append(s)
    return starts, ends


def make_layer(cfg: Dense, seed: int, spiking: bool):
    """Random weights/thresholds/input spikes, the expected output words and the ROM lines. Draws again
    (up to 50 times) until a spiking layer both fires and stays silent somewhere, so the comparison means
    something."""
    rng = np.random.default_rng(seed)
    wmax = (1 << (cfg.weight_bits - 1)) - 1
    smax = (1 << (cfg.state_bits - 1)) - 1
    for _ in range(50):
        w = rng.integers(-wmax - 1, wmax + 1, (cfg.n_out, cfg.n_in))
        theta = rng.integers(1, max(2, min(smax, 3 * wmax)) + 1, cfg.n_out).clip(1, smax)
        if cfg.expect_saturation:  # strong one-signed neurons with high thresholds drive V into both rails
            sign = np.where(np.arange(cfg.n_out) % 2 == 0, 1, -1)[:, None]
            w = np.clip(sign * np.abs(w), -wmax - 1, wmax)
            theta[::2] = smax
        spikes_in = (rng.random((cfg.steps, SAMPLES, cfg.n_in)) < 0.6).astype(np.uint8)
        trace = run_neurons(dense_currents(spikes_in, w), theta, cfg.neuron(spiking))
        if not spiking or 0 < trace.spikes.sum() < trace.spikes.size:
            break
    else:
        raise AssertionError(f"no input draw makes {cfg} both fire and stay silent")
    if cfg.expect_saturation:
        assert trace.saturations.sum() > 0, "this case is meant to saturate the membrane"
    if spiking:
        expected = spike_words(trace.spikes, cfg.out_simd)
    else:
        expected = [int(v) & 0xFFFFFFFF for v in trace.v_final.ravel()]
    roms = {"WEIGHTS_FILE": dense_weight_rom(w, cfg.pe, cfg.simd, cfg.weight_bits)}
    if spiking:
        roms["THRESHOLDS_FILE"] = threshold_rom(theta, cfg.pe, cfg.state_bits)
    return spike_words(spikes_in, cfg.simd), expected, roms


def check_dense(cfg: Dense, spiking: bool, seed: int) -> None:
    top = "snn_dense_lif" if spiking else "snn_dense_li"
    rom_params = {"WEIGHTS_FILE": "weights.mem"} | ({"THRESHOLDS_FILE": "thresholds.mem"} if spiking else {})
    sim = build(top, cfg.params(spiking), rom_params)
    words_in, expected, roms = make_layer(cfg, seed, spiking)
    fast = sim.run(words_in, len(expected), roms=roms, seed=seed)
    assert fast.words == expected
    starts, ends = dense_schedule(cfg, spiking, SAMPLES)
    sf = cfg.n_in // cfg.simd
    assert fast.in_cycles[::sf] == starts
    unit_words = cfg.n_out // cfg.out_simd if spiking else cfg.n_out
    assert fast.out_cycles[unit_words - 1::unit_words] == ends
    for trial in range(2):
        slow = sim.run(words_in, len(expected), roms=roms, seed=seed + 10 + trial, p_valid=0.6, p_ready=0.45)
        assert slow.words == expected


LIF_CASES = [
    # folded both ways, OUT_SIMD != PE, shift leak, subtract reset
    Dense(12, 6, 4, 2, 3, 3, 4, 8, LeakMode.SHIFT, leak_shift=2),
    # PE = SIMD = 1, mult leak, zero reset, a 5-bit state that saturates
    Dense(8, 4, 1, 1, 4, 2, 3, 5, LeakMode.MULT, beta_q=5, beta_frac_bits=3, reset=ResetMode.ZERO,
          expect_saturation=True),
    # fully parallel (NF = SF = 1: the membrane bypass every cycle), output-bound (OF = 4 > P = 1), IF
    Dense(16, 8, 16, 8, 2, 4, 6, 12, LeakMode.NONE),
    # extremes: 16-bit weights, 32-bit state, beta_q = 2^16 - 1, three output banks in flip-flops
    Dense(6, 9, 3, 3, 9, 2, 16, 32, LeakMode.MULT, beta_q=65535, beta_frac_bits=16, banks=3, out_ram=0),
    # shift by the full state width, zero reset, saturation
    Dense(10, 4, 5, 2, 1, 3, 4, 4, LeakMode.SHIFT, leak_shift=4, reset=ResetMode.ZERO, expect_saturation=True),
]


@pytest.mark.parametrize("cfg", LIF_CASES, ids=lambda c: f"in{c.n_in}o{c.n_out}s{c.simd}p{c.pe}-{c.leak}")
def test_dense_lif_matches_reference(cfg):
    check_dense(cfg, spiking=True, seed=cfg.n_in * 31 + cfg.n_out)


LI_CASES = [
    Dense(12, 4, 3, 2, 1, 3, 4, 6, LeakMode.SHIFT, leak_shift=6, expect_saturation=True),
    Dense(8, 3, 8, 3, 1, 2, 5, 32, LeakMode.MULT, beta_q=3, beta_frac_bits=2),
    Dense(10, 10, 1, 1, 1, 2, 4, 10, LeakMode.NONE, banks=1, out_ram=0),
]


@pytest.mark.parametrize("cfg", LI_CASES, ids=lambda c: f"in{c.n_in}o{c.n_out}s{c.simd}p{c.pe}-{c.leak}")
def test_dense_li_matches_reference(cfg):
    check_dense(cfg, spiking=False, seed=cfg.n_in * 17 + cfg.n_out)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def random_dense(seed: int) -> Dense:
    """A random legal configuration: shapes, foldings, bit widths, leak and reset modes, bank count."""
    rng = np.random.default_rng(seed)
    simd, pe = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    n_in, n_out = simd * int(rng.integers(1, 5)), pe * int(rng.integers(1, 4))
    state_bits = int(rng.integers(3, 33))
    leak = [LeakMode.NONE, LeakMode.SHIFT, LeakMode.MULT][seed % 3]
    frac = int(rng.integers(1, 17))
    return Dense(n_in, n_out, simd, pe, int(rng.choice(_divisors(n_out))), int(rng.integers(2, 5)),
                 int(rng.integers(2, 17)), state_bits, leak, leak_shift=int(rng.integers(1, state_bits + 1)),
                 beta_q=int(rng.integers(0, 1 << frac)), beta_frac_bits=frac,
                 reset=[ResetMode.SUBTRACT, ResetMode.ZERO][seed % 2], banks=int(rng.integers(1, 4)),
                 out_ram=int(rng.integers(0, 2)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_random_dense_configs_match_reference(seed):
    cfg = random_dense(seed)
    check_dense(cfg, spiking=seed % 2 == 0, seed=1000 + seed)
