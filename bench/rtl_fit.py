"""Fit resource formulas of the RTL dense layer (rtl/snn_dense_lif.sv) to yosys results over a grid.

For each configuration (IN, OUT, PE, SIMD, weight bits, state bits) the module is synthesized alone with yosys
`synth_xilinx -family xc7` (random weights in its ROM), then LUT (logic + LUTRAM) and FF are fitted by least
squares on a few terms that the structure suggests (adder tree ~ PE*SIMD*WEIGHT_BITS, neuron lanes ~
PE*STATE_BITS, the weight ROM in LUTs ~ IN*OUT*WEIGHT_BITS, a constant for control). Writes
bench/results/rtl_fit.json with the coefficients and every point's residual; bench/HARDWARE.md quotes them.

    .venv/bin/python bench/rtl_fit.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from snn2fpga.codegen.rtl_generate import RTL_KERNEL_DIR, kernel_closure
from snn2fpga.codegen.rtl_rom import dense_weight_rom, threshold_rom, write_rom
from snn2fpga.codegen.synth import synth

OUT = Path(__file__).resolve().parent / "results" / "rtl_fit.json"
# (IN, OUT, PE, SIMD, WEIGHT_BITS, STATE_BITS)
GRID = [
    (64, 32, 1, 8, 4, 16), (64, 32, 2, 8, 4, 16), (64, 32, 4, 8, 4, 16), (64, 32, 4, 16, 4, 16),
    (64, 32, 4, 8, 2, 16), (64, 32, 4, 8, 8, 16), (64, 32, 4, 8, 4, 24), (128, 64, 8, 16, 4, 16),
    (64, 32, 8, 32, 4, 12), (32, 16, 2, 4, 6, 20),
]


TERMS = ["PE*SIMD*WEIGHT_BITS", "PE*STATE_BITS", "IN*OUT*WEIGHT_BITS", "1"]


def features(n_in: int, n_out: int, pe: int, simd: int, wb: int, sb: int) -> list[float]:
    """The fit's terms (TERMS): adder-tree bits, neuron-lane bits, weight-ROM bits, a constant."""
    return [pe * simd * wb, pe * sb, n_in * n_out * wb, 1.0]


def main() -> None:
    rng = np.random.default_rng(0)
    sources = [RTL_KERNEL_DIR / n for n in kernel_closure(["snn_dense_lif.sv"])]
    rows = []
    for n_in, n_out, pe, simd, wb, sb in GRID:
        with tempfile.TemporaryDirectory() as tmp:
            w = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), size=(n_out, n_in))
            theta = rng.integers(1, 1 << (sb - 2), size=n_out)
            wf = write_rom(Path(tmp) / "w.mem", dense_weight_rom(w, pe, simd, wb))
            tf = write_rom(Path(tmp) / "t.mem", threshold_rom(theta, pe, sb))
            params = {"IN": n_in, "OUT": n_out, "PE": pe, "SIMD": simd, "OUT_SIMD": 1, "T": 8, "WEIGHT_BITS": wb,
                      "STATE_BITS": sb, "LEAK": 1, "LEAK_SHIFT": 3, "WEIGHTS_FILE": "w.mem",
                      "THRESHOLDS_FILE": "t.mem"}
            t0 = time.perf_counter()
            res = synth(sources, "snn_dense_lif", params=params, rom_files=[wf, tf])
        rows.append({"IN": n_in, "OUT": n_out, "PE": pe, "SIMD": simd, "WEIGHT_BITS": wb, "STATE_BITS": sb,
                     "lut": res.lut_total, "ff": res.ff, "bram36": res.bram36, "dsp": res.dsp,
                     "seconds": round(time.perf_counter() - t0, 1)})
        print(rows[-1], flush=True)
    x = np.array([features(r["IN"], r["OUT"], r["PE"], r["SIMD"], r["WEIGHT_BITS"], r["STATE_BITS"]) for r in rows])
    fits = {}
    for target in ("lut", "ff"):
        y = np.array([r[target] for r in rows], dtype=float)
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        pred = x @ coef
        for r, p in zip(rows, pred, strict=True):
            r[f"{target}_fit"] = round(float(p))
            r[f"{target}_residual_pct"] = round(100.0 * (float(p) - r[target]) / r[target], 1)
        fits[target] = {"terms": TERMS,
                        "coefficients": [round(float(c), 6) for c in coef],
                        "max_abs_residual_pct": max(abs(r[f"{target}_residual_pct"]) for r in rows)}
    OUT.write_text(json.dumps({"tool": res.tool, "fits": fits, "points": rows}, indent=1) + "\n")
    print(json.dumps(fits, indent=1))


if __name__ == "__main__":
    main()
