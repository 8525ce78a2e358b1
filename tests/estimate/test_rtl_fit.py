"""The RTL dense stages' resource formulas are the yosys fit that bench/rtl_fit.py published, and they reproduce
the published fitted values of every grid point (so the code and bench/results/rtl_fit.json cannot drift)."""

from __future__ import annotations

import json
from pathlib import Path

from snn2fpga.hwir.rtl_facts import FIT_FF, FIT_LUT, dense_rtl_resources
from snn2fpga.hwir.spec import Backend, HwKind, StageSpec

FIT = json.loads((Path(__file__).resolve().parents[2] / "bench" / "results" / "rtl_fit.json").read_text())


def test_coefficients_are_the_published_fit():
    assert list(FIT_LUT) == FIT["fits"]["lut"]["coefficients"]
    assert list(FIT_FF) == FIT["fits"]["ff"]["coefficients"]


def test_formula_gives_the_published_fitted_values():
    for p in FIT["points"]:
        spec = StageSpec(name="d", kind=HwKind.SPIKING_DENSE, timesteps=8, n_in=p["IN"], n_out=p["OUT"],
                         simd=p["SIMD"], pe=p["PE"], weight_bits=p["WEIGHT_BITS"], state_bits=p["STATE_BITS"],
                         backend=Backend.RTL)
        res = dense_rtl_resources(spec)
        if res.bram36 == 0:  # the grid's ROMs stayed in LUTs: the fitted LUT/FF values apply as published
            assert abs(res.lut - p["lut_fit"]) <= 1 and abs(res.ff - p["ff_fit"]) <= 1
