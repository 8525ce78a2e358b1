"""rtl/snn_lif_neuron.sv exhaustively for a 5-bit state: every membrane, every 7-bit current, every legal
threshold, with and without the sample-start clear, for six variants (IF, shift k=1, shift k=STATE_BITS with
zero reset, mult with subtract and zero reset, non-spiking LI), against the reference's ``leak`` and the
NeuronParams ranges (the update of run_neurons, one timestep from an arbitrary membrane). The dense kernel
tests tie the same module to run_neurons over whole sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from snn2fpga.semantics import LeakMode, NeuronParams, ResetMode, leak
from tests.rtl.harness import build, unpack

SB, ACC, BQ, F = 5, 7, 5, 3
VARIANTS = [
    NeuronParams(LeakMode.NONE, SB, ResetMode.SUBTRACT),
    NeuronParams(LeakMode.SHIFT, SB, ResetMode.SUBTRACT, leak_shift=1),
    NeuronParams(LeakMode.SHIFT, SB, ResetMode.ZERO, leak_shift=SB),
    NeuronParams(LeakMode.MULT, SB, ResetMode.SUBTRACT, beta_q=BQ, beta_frac_bits=F),
    NeuronParams(LeakMode.MULT, SB, ResetMode.ZERO, beta_q=BQ, beta_frac_bits=F),
    NeuronParams(LeakMode.SHIFT, SB, leak_shift=2, spiking=False),
]


def reference_step(v_old, current, theta, clear, p: NeuronParams):
    """One timestep of run_neurons from membrane v_old (0 when clear): leak, add, saturate, fire, reset."""
    v = leak(np.where(clear, 0, v_old), p) + current
    v = np.clip(v, p.state_min, p.state_max)
    if not p.spiking:
        return v, np.zeros_like(v)
    spk = v >= theta
    v = v - np.where(spk, theta, 0) if p.reset is ResetMode.SUBTRACT else np.where(spk, 0, v)
    return v, spk.astype(np.int64)


def test_lif_neuron_exhaustive_small_state():
    sim = build("lif_neuron_tb", {"STATE_BITS": SB, "ACC_BITS": ACC, "BETA_Q": BQ, "BETA_FRAC_BITS": F},
                extra_dirs=[Path(__file__).with_name("sv")])
    grid = np.stack(np.meshgrid(np.arange(-(1 << (SB - 1)), 1 << (SB - 1)),   # v_old
                                np.arange(-(1 << (ACC - 1)), 1 << (ACC - 1)),  # current
                                np.arange(1, 1 << (SB - 1)),                   # theta
                                np.arange(2), indexing="ij"), axis=-1).reshape(-1, 4)  # clear
    v_old, current, theta, clear = grid.T
    mask_s, mask_a = (1 << SB) - 1, (1 << ACC) - 1
    words = ((v_old & mask_s) | ((current & mask_a) << SB) | ((theta & mask_s) << (SB + ACC))
             | (clear << (2 * SB + ACC)))
    res = sim.run([int(w) for w in words], len(words), seed=3, p_valid=0.9, p_ready=0.9)
    assert len(res.words) == len(words)
    got = np.array([unpack(w, SB + 1, len(VARIANTS)) for w in res.words])  # [N, variant] of {spike, v}
    saturated = False
    for k, p in enumerate(VARIANTS):
        v_ref, spk_ref = reference_step(v_old, current, theta, clear.astype(bool), p)
        v_got = got[:, k] & mask_s
        v_got = np.where(v_got >> (SB - 1), v_got - (1 << SB), v_got)
        bad = np.flatnonzero((v_got != v_ref) | ((got[:, k] >> SB) != spk_ref))
        assert bad.size == 0, (f"variant {k} ({p}): first mismatch at v_old={v_old[bad[0]]} current="
                               f"{current[bad[0]]} theta={theta[bad[0]]} clear={clear[bad[0]]}: "
                               f"rtl v={v_got[bad[0]]} spike={got[bad[0], k] >> SB}, reference v={v_ref[bad[0]]} "
                               f"spike={spk_ref[bad[0]]}")
        saturated |= bool(np.any(leak(np.where(clear, 0, v_old), p) + current > p.state_max))
    assert saturated
