"""rtl/snn_dcll_neuron.sv (and rtl/snn_dense_dcll.sv) against the DCLL reference, compared with ==.

The neuron is combinational, so it is checked one timestep at a time on random states (including
the extremes of the state range, where the clamps act) against ``dcll_step``, the single-timestep
form of snn2fpga.semantics.dcll.run_dcll; ``dcll_step`` itself is held equal to run_dcll over whole
random sequences (spikes, final U, saturation count), so the oracle is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.codegen.rtl_rom import dense_weight_rom, threshold_rom
from snn2fpga.semantics.dcll import DCLLParams, run_dcll
from snn2fpga.semantics.neuron import dense_currents
from tests.rtl.conv_harness import (
    THRESHOLDS_FILE,
    WEIGHTS_FILE,
    build,
    pack_maps,
    rom_words,
    run_comb,
    run_stream,
    to_signed,
    unpack_maps,
)

IN_PORTS = ("current", "theta", "first_step", "q_in", "p_in", "r_in", "s_in")
OUT_PORTS = ("q_out", "p_out", "r_out", "s_out", "u", "sat")


def dcll_step(p: DCLLParams, cur: int, theta: int, first: bool, q: int, pp: int, r: int, s: int
              ) -> tuple[int, int, int, int, int, int]:
    """One timestep of run_dcll for one neuron: (Q', P', R', S', U, clamp flags {U,R,P,Q} as bits)."""
    if first:
        q = pp = r = s = 0
    flags = 0

    def sat(x: int, bit: int) -> int:
        nonlocal flags
        c = min(max(x, p.state_min), p.state_max)
        flags |= (c != x) << bit
        return c

    q_new = sat(q - (q >> p.kq) + (cur << p.frac_bits), 0)
    p_new = sat(pp - (pp >> p.kp) + q, 1)
    r_new = sat(r - (r >> p.kr) - p.rho * s, 2)
    u = sat(p_new + r_new, 3)
    return q_new, p_new, r_new, int(u >= theta), u, flags


def test_dcll_step_is_run_dcll() -> None:
    """The per-step oracle iterated from zero state equals the reference (spikes, final U, saturations)."""
    rng = np.random.default_rng(7)
    total_sats = 0
    for sb, kq, kp, kr, rho, frac in [(6, 1, 2, 6, 31, 1), (8, 3, 1, 2, 40, 0), (12, 2, 2, 3, 100, 4)]:
        p = DCLLParams(sb, kq, kp, kr, rho, frac)
        cur = rng.integers(-20, 21, size=(25, 3, 5))
        theta = rng.integers(p.state_min, p.state_max + 1, size=5)
        ref = run_dcll(cur, theta, p)
        for b in range(3):
            for c in range(5):
                st = (0, 0, 0, 0)
                sats = 0
                for t in range(25):
                    qn, pn, rn, sn, u, fl = dcll_step(p, int(cur[t, b, c]), int(theta[c]), t == 0, *st)
                    st = (qn, pn, rn, sn)
                    sats += bin(fl).count("1")
                    assert sn == ref.spikes[t, b, c]
                assert u == ref.v_final[b, c]
                ref_sats_one = run_dcll(cur[:, b : b + 1, c : c + 1], theta[c : c + 1], p).saturations[0]
                assert sats == ref_sats_one
        total_sats += int(ref.saturations.sum())
    assert total_sats > 0  # the clamps were exercised


@pytest.mark.parametrize(
    ("sb", "cur_bits", "kq", "kp", "kr", "rho", "frac"),
    [pytest.param(4, 7, 1, 2, 4, 7, 0, marks=pytest.mark.slow), (8, 11, 2, 1, 3, 5, 3),
     pytest.param(16, 20, 3, 4, 2, 1000, 2, marks=pytest.mark.slow),
     pytest.param(32, 36, 32, 5, 1, (1 << 31) - 1, 16, marks=pytest.mark.slow)],
)
def test_dcll_neuron_rtl(sb: int, cur_bits: int, kq: int, kp: int, kr: int, rho: int, frac: int) -> None:
    p = DCLLParams(sb, kq, kp, kr, rho, frac)
    exe = build("snn_dcll_neuron", {"STATE_BITS": sb, "CUR_BITS": cur_bits, "KQ": kq, "KP": kp, "KR": kr,
                                    "RHO": rho, "FRAC_BITS": frac}, comb_ports=(IN_PORTS, OUT_PORTS))
    rng = np.random.default_rng(sb * 1000 + kq)
    lo, hi = p.state_min, p.state_max
    cmin, cmax = -(1 << (cur_bits - 1)), (1 << (cur_bits - 1)) - 1
    edges = [lo, lo + 1, -1, 0, 1, hi - 1, hi]
    rows = []
    for i in range(3000):
        def val(a: int, b: int, ext: list[int]) -> int:
            return int(rng.choice(ext)) if rng.random() < 0.3 else int(rng.integers(a, b + 1))
        small = min(cmax, 1 << (sb - frac)) if sb > frac else 4
        cur = val(cmin, cmax, [cmin, cmax, 0, 1, -1]) if i % 3 == 0 else int(rng.integers(-small, small + 1))
        rows.append([cur, val(lo, hi, edges), int(rng.random() < 0.1), val(lo, hi, edges), val(lo, hi, edges),
                     val(lo, hi, edges), int(rng.integers(0, 2))])
    bits = [cur_bits, sb, 1, sb, sb, sb, 1]
    got = run_comb(exe, rows, bits)
    n_sat = 0
    for row, out in zip(rows, got, strict=True):
        exp = dcll_step(p, row[0], row[1], bool(row[2]), row[3], row[4], row[5], row[6])
        have = (to_signed(out[0], sb), to_signed(out[1], sb), to_signed(out[2], sb), out[3], to_signed(out[4], sb),
                out[5])
        assert have == exp, f"row {row}: rtl {have} != reference {exp}"
        n_sat += exp[5] != 0
    assert n_sat > 100  # saturation happens in this test


DENSE_CASES = [  # IN, OUT, SIMD, PE, OUT_SIMD, T, WEIGHT_BITS, DCLLParams
    pytest.param(12, 6, 3, 2, 3, 4, 4, DCLLParams(7, 1, 2, 1, 5, 2), marks=pytest.mark.slow),
    (8, 4, 8, 4, 1, 5, 6, DCLLParams(10, 10, 3, 2, 200, 3)),  # NF = SF = 1: back-to-back updates of one fold
    pytest.param(16, 3, 2, 1, 3, 3, 3, DCLLParams(5, 2, 1, 3, 3, 0), marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("n_in", "n_out", "simd", "pe", "out_simd", "steps", "wbits", "p"), DENSE_CASES)
def test_dense_dcll_rtl(n_in: int, n_out: int, simd: int, pe: int, out_simd: int, steps: int, wbits: int,
                        p: DCLLParams) -> None:
    exe = build("snn_dense_dcll", {
        "IN": n_in, "OUT": n_out, "SIMD": simd, "PE": pe, "OUT_SIMD": out_simd, "T": steps, "WEIGHT_BITS": wbits,
        "STATE_BITS": p.state_bits, "KQ": p.kq, "KP": p.kp, "KR": p.kr, "RHO": p.rho, "FRAC_BITS": p.frac_bits,
        "WEIGHTS_FILE": WEIGHTS_FILE, "THRESHOLDS_FILE": THRESHOLDS_FILE})
    rng = np.random.default_rng(n_in * 100 + n_out)
    batch = 3
    wmax = (1 << (wbits - 1)) - 1
    for _ in range(50):  # neurons that neither stay silent nor always fire (a test that can fail)
        weight = rng.integers(-wmax - 1, wmax + 1, size=(n_out, n_in))
        theta = rng.integers(p.state_min // 4, p.state_max // 2 + 1, size=n_out)
        spikes = (rng.random((steps, batch, n_in)) < 0.4).astype(np.uint8)
        ref = run_dcll(dense_currents(spikes, weight), theta, p)
        if 0.1 < ref.spikes.mean() < 0.9:
            break
    assert 0.1 < ref.spikes.mean() < 0.9
    roms = {WEIGHTS_FILE: (rom_words(dense_weight_rom(weight, pe, simd, wbits)), pe * simd * wbits),
            THRESHOLDS_FILE: (rom_words(threshold_rom(theta, pe, p.state_bits)), pe * p.state_bits)}
    n_words = batch * steps * n_out // out_simd
    nf_sf = (n_out // pe) * (n_in // simd)
    of = n_out // out_simd
    for seed, pv, pr in [(1, 100, 100), (2, 50, 50), (3, 85, 15)]:
        run = run_stream(exe, pack_maps(spikes[:, :, :, None, None], simd), n_words, seed=seed, p_valid=pv,
                         p_ready=pr, roms=roms)
        got = unpack_maps(run.out, steps, batch, n_out, 1, 1, out_simd)[..., 0, 0]
        assert np.array_equal(got, ref.spikes), f"seed {seed}"
        if pv == 100 and pr == 100 and nf_sf >= of + 2:  # snn_dense_lif's documented schedule
            per = n_words // batch
            assert run.out_cycles[per - 1] - run.in_cycles[0] == steps * nf_sf + of + 1
            ends = [run.out_cycles[(b + 1) * per - 1] for b in range(batch)]
            assert np.all(np.diff(ends) == steps * nf_sf)

