"""Property: over random small networks, bit widths, leak/reset modes, encoders and foldings,
the C-simulation of the generated top equals the QONNX execution (== the reference) exactly.

Each example compiles one design (~8 s, cached by content), so the default run is bounded to a few
examples; `pytest -m slow` runs a larger sweep.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.codegen.csim import CSimLibrary, compile_csim
from snn2fpga.codegen.generate import generate_project
from snn2fpga.codegen.verify_csim import verify_csim
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.spec import divisors
from snn2fpga.nn import EncoderConfig, ModelSpec, SNNClassifier
from snn2fpga.semantics import EncoderKind, quantize_input
from tests.codegen.conftest import hw_graph

NEURON = st.sampled_from([
    {"type": "lif", "leak_shift": 2, "threshold": 0.3, "reset": "subtract"},
    {"type": "lif", "leak_shift": 1, "threshold": 0.2, "reset": "zero"},
    {"type": "lif", "beta": 0.8, "beta_frac_bits": 6, "threshold": 0.25, "reset": "subtract"},
    {"type": "lif", "beta": 0.6, "beta_frac_bits": 8, "threshold": 0.4, "reset": "zero"},
    {"type": "if", "threshold": 0.5, "reset": "subtract"},
])


@st.composite
def networks(draw):
    n_in = draw(st.integers(1, 20))
    widths = draw(st.lists(st.integers(1, 12), min_size=1, max_size=2))
    classes = draw(st.integers(2, 6))
    wbits = draw(st.integers(2, 8))
    sbits = draw(st.integers(8, 24))
    layers, width = [], n_in
    for w in widths:
        layers.append({"type": "linear", "in_features": width, "out_features": w, "weight_bits": wbits,
                       "per_channel": draw(st.booleans())})
        layers.append({**draw(NEURON), "state_bits": sbits})
        width = w
    layers.append({"type": "linear", "in_features": width, "out_features": classes, "weight_bits": wbits,
                   "per_channel": False})
    layers.append({"type": "li", "state_bits": sbits} if draw(st.booleans()) else {**draw(NEURON), "state_bits": sbits})
    kinds = [EncoderKind.RATE, EncoderKind.LATENCY]
    enc = EncoderConfig(draw(st.sampled_from(kinds)), draw(st.integers(1, 6)), draw(st.integers(0, 99)))
    spec = ModelSpec(layers=layers, encoder=enc, classes=[str(i) for i in range(classes)], input_shape=[n_in])
    folding_seed = draw(st.integers(0, 2**16))
    return spec, folding_seed


def _random_folding(model: ModelWrapper, seed: int) -> dict[str, dict[str, int]]:
    rng = np.random.default_rng(seed)
    cfg = {}
    for node in model.graph.node:
        if node.op_type in ("SpikingDense", "DenseReadout"):
            attrs = {a.name: a.i for a in node.attribute if a.name in ("IN", "OUT")}
            cfg[node.name] = {"PE": int(rng.choice(divisors(attrs["OUT"]))),
                              "SIMD": int(rng.choice(divisors(attrs["IN"])))}
    return cfg


def _check(spec: ModelSpec, folding_seed: int, tmp_path) -> None:
    torch.manual_seed(folding_seed)
    model = SNNClassifier(spec).eval()
    with torch.no_grad():
        for layer in model.layers:
            if hasattr(layer, "weight"):
                layer.weight.mul_(3.0)
    x = np.random.default_rng(folding_seed).random((12, *spec.input_shape)).astype(np.float32)
    path = tmp_path / "net.onnx"
    try:
        snn2fpga.export(model, x[:1], path, verify_inputs=x, allow_saturation=True)
    except SNN2FPGAError as exc:  # a threshold that does not fit a narrow state is a clean refusal
        assert "state range" in str(exc)
        event("threshold refused")
        return
    event("compared")
    from snn2fpga.transforms.lower import lower_to_hw

    folding = _random_folding(lower_to_hw(ModelWrapper(str(path))), folding_seed)
    hw = hw_graph(path, folding)
    project = generate_project(hw, tmp_path / "prj")
    lib = CSimLibrary(compile_csim(project.hls_dir))
    report = verify_csim(ModelWrapper(str(path)), project, lib, quantize_input(x.reshape(len(x), -1)))
    assert report.samples == 12
    assert report.mismatches == 0, report.first_mismatch


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                               HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_csim_equals_qonnx_on_random_networks(net, tmp_path):
    _check(*net, tmp_path)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_csim_equals_qonnx_on_random_networks_large(net, tmp_path):
    _check(*net, tmp_path)
