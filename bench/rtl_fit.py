"""Fit the resource formulas of the RTL stages (rtl/*.sv) to yosys results over a grid per module kind.

For each configuration the stage's module is synthesized alone with yosys `synth_xilinx -family xc7` (random
weights and thresholds in its ROMs), then LUT (logic + LUT-RAM) and FF of each kind are fitted by least
squares on the terms of snn2fpga/hwir/rtl_fit_terms.py (the facts evaluate the same terms). A few held-out
configurations per kind (not in the grid) are synthesized too and reported with their errors: they are what
tests/estimate/test_rtl_fit.py checks the formulas against. Writes bench/results/rtl_fit.json; the
fitted-formulas section of bench/HARDWARE.md quotes it.

    nice -n 10 .venv/bin/python bench/rtl_fit.py [--only conv pool ...]

Every synthesis is cached (snn2fpga.codegen.synth), so a re-run costs only the new points.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from rtl_fit_grid import GRIDS, HOLDOUT, stage_job

from snn2fpga.codegen.rtl_generate import RTL_KERNEL_DIR, kernel_closure
from snn2fpga.codegen.synth import synth
from snn2fpga.hwir.rtl_fit_terms import FIT_KINDS, ff_terms, memories, terms

OUT = Path(__file__).resolve().parent / "results" / "rtl_fit.json"


def measure(kind: str, point: dict, rng: np.random.Generator) -> dict:
    """Synthesize one configuration; its yosys figures, the fit terms and the rule's BRAM36."""
    spec, module, params, roms = stage_job(kind, point, rng)
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, lines in roms:
            (Path(tmp) / name).write_text("".join(f"{ln}\n" for ln in lines))
            files.append(Path(tmp) / name)
        t0 = time.perf_counter()
        res = synth([RTL_KERNEL_DIR / n for n in kernel_closure([f"{module}.sv"])], module, params=params,
                    rom_files=files)
    return {**point, "module": module, "lut": res.lut_total, "ff": res.ff, "bram36": res.bram36, "dsp": res.dsp,
            "bram36_rule": sum(m.bram36 for m in memories(spec)), "terms": list(terms(spec)),
            "ff_terms": list(ff_terms(spec)),
            "seconds": round(time.perf_counter() - t0, 1), "tool": res.tool}


TERMS_KEY = {"lut": "terms", "ff": "ff_terms"}


def residuals(rows: list[dict], target: str, coef: np.ndarray) -> dict:
    pred = np.array([r[TERMS_KEY[target]] for r in rows], dtype=float) @ coef
    abs_err, rel_err = [], []
    for r, p in zip(rows, pred, strict=True):
        r[f"{target}_fit"] = round(float(p))
        r[f"{target}_residual_pct"] = round(100.0 * (r[f"{target}_fit"] - r[target]) / max(1, r[target]), 1)
        abs_err.append(abs(r[f"{target}_fit"] - r[target]))
        rel_err.append(abs(r[f"{target}_residual_pct"]))
    return {"max_abs": int(max(abs_err)), "median_abs": float(np.median(abs_err)),
            "max_rel_pct": float(max(rel_err)), "median_rel_pct": float(np.median(rel_err))}


def fit_kind(kind: str) -> dict:
    rng = np.random.default_rng(0)  # one stream per kind, drawn in grid order (the first dense fit's draws)
    rows = [measure(kind, p, rng) for p in GRIDS[kind]]
    held = [measure(kind, p, rng) for p in HOLDOUT[kind]]
    for r in rows + held:
        print(kind, {k: v for k, v in r.items() if k not in ("terms", "tool")}, flush=True)
    fk = FIT_KINDS[kind]
    out = {"module": rows[0]["module"], "terms": list(fk.terms), "ff_terms": list(fk.ff_terms or fk.terms),
           "points": rows, "holdout": held}
    for target in ("lut", "ff"):
        x = np.array([r[TERMS_KEY[target]] for r in rows], dtype=float)
        y = np.array([r[target] for r in rows], dtype=float)
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        coef = np.round(coef, 6)
        grid, hold = residuals(rows, target, coef), residuals(held, target, coef)
        # the bound the facts promise: the larger relative error of grid and held-out points, rounded up
        bound = float(np.ceil(max(grid["max_rel_pct"], hold["max_rel_pct"])))
        out[target] = {"coefficients": [float(c) for c in coef], "grid": grid, "holdout": hold,
                       "bound_rel_pct": bound}
    out["bram_rule_matches"] = all(r["bram36"] == r["bram36_rule"] for r in rows + held)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=sorted(GRIDS), default=sorted(GRIDS))
    args = ap.parse_args()
    data = json.loads(OUT.read_text()) if OUT.is_file() else {}
    kinds = data.get("kinds", {})
    for kind in args.only:
        kinds[kind] = fit_kind(kind)
        data = {"tool": kinds[kind]["points"][0]["tool"], "kinds": kinds}
        OUT.write_text(json.dumps(data, indent=1) + "\n")  # after every kind: a long run keeps what it measured
    print(json.dumps({k: {t: v[t]["coefficients"] for t in ("lut", "ff")} for k, v in kinds.items()}, indent=1))


if __name__ == "__main__":
    main()
