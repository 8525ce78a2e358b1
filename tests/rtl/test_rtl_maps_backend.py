"""The RTL backend on convolutional networks: lif-cnn (frame-buffered conv, OR pooling, flatten, LI readout) and
DCLL over I/Q-plane events (event-driven conv, DCLL neurons): QONNX == C-simulation == RTL simulation under random
back-pressure, and the RTL cycle model against Verilator's count without stalls.

Each case verilates one design (about a minute on 2 cores, cached by content); `-m slow` adds foldings.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.codegen.csim import CSimLibrary, compile_csim
from snn2fpga.codegen.generate import generate_project, pack_inputs
from snn2fpga.codegen.rtl_generate import generate_rtl_project
from snn2fpga.codegen.rtlsim import RtlSimLibrary, Stalls, compile_rtlsim
from snn2fpga.codegen.synth import lint
from snn2fpga.codegen.verify_csim import verify_csim
from snn2fpga.estimate.rtl_cycles import rtl_design_cycles
from snn2fpga.export.graph import read_meta
from snn2fpga.nn import EncoderConfig, SNNClassifier
from snn2fpga.nn.archs import dcll_radioml_spec, lif_cnn_spec
from snn2fpga.semantics import EncoderKind, quantize_input
from snn2fpga.semantics.iq import quantize_iq
from snn2fpga.transforms.folding import ApplyFoldingConfig
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import BackendChoice, SpecializeLayers

SAMPLES = 6


def _exported(spec, x: np.ndarray, tmp_path, seed: int):
    torch.manual_seed(seed)
    model = SNNClassifier(spec).eval()
    with torch.no_grad():
        for layer in model.modules():
            if hasattr(layer, "weight") and isinstance(layer.weight, torch.nn.Parameter):
                layer.weight.mul_(3.0)
    path = tmp_path / "net.onnx"
    snn2fpga.export(model, x[:1], path, verify_inputs=x, allow_saturation=True)
    return path


def _check(path, inputs: np.ndarray, folding: dict, tmp_path, seed: int) -> None:
    exported = ModelWrapper(str(path))

    def hw(choice: BackendChoice) -> ModelWrapper:
        return lower_to_hw(ModelWrapper(str(path))).transform(SpecializeLayers(choice)).transform(
            ApplyFoldingConfig(folding))

    hls = generate_project(hw(BackendChoice.HLS), tmp_path / "hls")
    csim = verify_csim(exported, hls, CSimLibrary(compile_csim(hls.hls_dir)), inputs)
    rtl_model = hw(BackendChoice.RTL)
    project = generate_rtl_project(rtl_model, tmp_path / "rtl")
    assert lint([project.rtl_dir / s for s in project.sources], project.top) == []
    lib = RtlSimLibrary(compile_rtlsim(project))
    lib.configure_stalls(seed, 25, 25, 5_000_000)
    rtl = verify_csim(exported, project, lib, inputs)
    assert csim.mismatches == 0, csim.first_mismatch
    assert rtl.samples == SAMPLES and rtl.mismatches == 0, rtl.first_mismatch
    run = lib.run_measured(pack_inputs(inputs[:4], project.input_kind), Stalls(seed=seed), with_taps=False)
    modelled = rtl_design_cycles(rtl_model)
    assert modelled.latency == int(run.last_out[0] - run.first_in[0])
    assert modelled.interval == int(run.last_out[-1] - run.last_out[-2])


CNN_FOLDINGS = [
    {"layer0": {"PE": 2, "SIMD": 1}, "layer1": {"PE": 2, "SIMD": 2}, "layer2": {"PE": 2, "SIMD": 4}},
    {"layer0": {"PE": 4, "SIMD": 1}, "layer1": {"PE": 1, "SIMD": 4}, "layer2": {"PE": 5, "SIMD": 1}},
]


def _cnn_case(tmp_path, folding: dict, seed: int) -> None:
    spec = lif_cnn_spec([8, 8], [str(i) for i in range(10)], channels=(4, 4), kernel=3, weight_bits=4,
                        state_bits=12, threshold=0.5, encoder=EncoderConfig(timesteps=3, seed=seed))
    x = np.random.default_rng(seed).random((SAMPLES, 8, 8)).astype(np.float32)
    path = _exported(spec, x, tmp_path, seed)
    _check(path, quantize_input(x.reshape(len(x), -1)), folding, tmp_path, seed)


def test_lif_cnn_qonnx_csim_rtlsim_equal_and_cycles_modelled(tmp_path):
    _cnn_case(tmp_path, CNN_FOLDINGS[0], 1)


@pytest.mark.slow
def test_lif_cnn_other_folding(tmp_path):
    _cnn_case(tmp_path, CNN_FOLDINGS[1], 2)


def test_dcll_iq_events_qonnx_csim_rtlsim_equal_and_cycles_modelled(tmp_path):
    spec = dcll_radioml_spec(8, [str(i) for i in range(4)], grid=6, channels=(3,), kernel=3, padding=1,
                             weight_bits=6, state_bits=14, threshold=0.3)
    rng = np.random.default_rng(3)
    frames = rng.normal(size=(SAMPLES, 8, 2)).astype(np.float32)
    path = _exported(spec, frames, tmp_path, 3)
    meta = read_meta(ModelWrapper(str(path)))
    codes = quantize_iq(frames / np.abs(frames).max(axis=(1, 2), keepdims=True), float(meta["iq_range"]))
    folding = {"layer0": {"PE": 3, "SIMD": 1}, "layer1": {"PE": 2, "SIMD": 3}}
    _check(path, codes, folding, tmp_path, 3)


def test_lif_cnn_over_iq_events_qonnx_csim_rtlsim_equal_and_cycles_modelled(tmp_path):
    """lif-cnn on radio frames: I/Q events -> event conv + LIF -> OR pool -> frame conv + LIF -> pool -> LI."""
    enc = EncoderConfig(kind=EncoderKind.IQ_PLANE, timesteps=8, seed=0, grid=8)
    spec = lif_cnn_spec([8, 2], [str(i) for i in range(4)], channels=(3, 4), kernel=3, weight_bits=6,
                        state_bits=14, threshold=0.3, encoder=enc)
    rng = np.random.default_rng(4)
    frames = rng.normal(size=(SAMPLES, 8, 2)).astype(np.float32)
    path = _exported(spec, frames, tmp_path, 4)
    meta = read_meta(ModelWrapper(str(path)))
    codes = quantize_iq(frames / np.abs(frames).max(axis=(1, 2), keepdims=True), float(meta["iq_range"]))
    folding = {"layer0": {"PE": 3, "SIMD": 1}, "layer1": {"PE": 2, "SIMD": 3}, "layer2": {"PE": 2, "SIMD": 4}}
    _check(path, codes, folding, tmp_path, 4)
