"""rtl/snn_dcll_neuron.sv (and rtl/snn_dense_dcll.sv) against the DCLL reference, compared with ==.

The neuron is combinational, so it is checked one timestep at a time on random states (including
the extremes of the state range, where the clamps act) against ``dcll_step``, the single-timestep
form of snn2fpga.semantics.dcll.run_dcll; ``dcll_step`` itself is held equal to run_dcll over whole
random sequences (spikes, final U, saturation count), so the oracle is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.semantics.dcll import DCLLParams, run_dcll
from tests.rtl.conv_harness import build, run_comb, to_signed

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
    [(4, 7, 1, 2, 4, 7, 0), (8, 11, 2, 1, 3, 5, 3), (16, 20, 3, 4, 2, 1000, 2), (32, 36, 32, 5, 1, (1 << 31) - 1, 16)],
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
