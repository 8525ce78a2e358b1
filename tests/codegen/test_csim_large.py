"""A Fashion-MNIST-size dense network (784 -> 512 -> 10, 4-bit weights, ~0.4M weights): its C-simulation
compiles in seconds and equals the QONNX execution exactly.

The weight ROMs are plain C integer arrays outside synthesis (``snn_rom`` in hls/snn_common.h); as
``ap_int`` arrays the same initializer took g++ more than 12 minutes and 7 GB.
"""

from __future__ import annotations

import re
import time

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.codegen.csim import CSimLibrary, compile_csim
from snn2fpga.codegen.generate import generate_project, pack_inputs
from snn2fpga.codegen.verify_csim import verify_csim
from snn2fpga.estimate.cycles import node_cycles
from snn2fpga.nn import EncoderConfig, ModelSpec, SNNClassifier
from snn2fpga.semantics import EncoderKind, quantize_input
from tests.codegen.conftest import hw_graph

N_IN, HIDDEN, CLASSES, WEIGHT_BITS = 784, 512, 10, 4
FOLDING = {"layer0": {"PE": 16, "SIMD": 16}, "layer1": {"PE": 2, "SIMD": 16}}
COMPILE_LIMIT_S = 60.0  # a few seconds in practice; more than 12 minutes with ap_int ROMs


def _random_integer_model(seed: int) -> SNNClassifier:
    """784 -> 512 (LIF) -> 10 (LI) whose 4-bit integer weights are uniform in -7..7 (scale 1/16)."""
    layers = [
        {"type": "linear", "in_features": N_IN, "out_features": HIDDEN, "weight_bits": WEIGHT_BITS,
         "per_channel": False},
        {"type": "lif", "leak_shift": 2, "threshold": 0.75, "reset": "subtract", "state_bits": 16},
        {"type": "linear", "in_features": HIDDEN, "out_features": CLASSES, "weight_bits": WEIGHT_BITS,
         "per_channel": False},
        {"type": "li", "state_bits": 16},
    ]
    spec = ModelSpec(layers=layers, encoder=EncoderConfig(EncoderKind.RATE, 6, 7),
                     classes=[str(i) for i in range(CLASSES)], input_shape=[N_IN])
    model = SNNClassifier(spec).eval()
    gen = torch.Generator().manual_seed(seed)
    qmax = 2 ** (WEIGHT_BITS - 1) - 1
    with torch.no_grad():
        for layer in model.layers:
            if hasattr(layer, "weight"):
                ints = torch.randint(-qmax, qmax + 1, layer.weight.shape, generator=gen)
                ints.view(-1)[0] = qmax  # the per-tensor scale is max|w| / qmax: exactly 1/16
                layer.weight.copy_(ints.to(layer.weight.dtype) / 16.0)
    return model


def test_fashion_mnist_size_dense_model_compiles_fast_and_equals_qonnx(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))  # a real compile, not a cache hit
    model = _random_integer_model(seed=3)
    x = np.random.default_rng(3).random((8, N_IN)).astype(np.float32)
    onnx_path = tmp_path / "fmnist_size.onnx"
    snn2fpga.export(model, x[:1], onnx_path, verify_inputs=x)
    hw = hw_graph(onnx_path, FOLDING)
    w0 = hw.get_initializer(next(n for n in hw.graph.node if n.name == "layer0").input[1])
    assert w0.shape == (N_IN, HIDDEN) and w0.min() == -7 and w0.max() == 7  # random integers over the range

    project = generate_project(hw, tmp_path / "prj")
    params = (project.hls_dir / "snn_params.h").read_text()
    assert f"static const layer0_cfg::weight_rom_t layer0_weights[{HIDDEN}][{N_IN}] = {{" in params
    assert "typedef snn_rom<WEIGHT_BITS>::type weight_rom_t;" in params
    assert not re.search(r"static const \w+::(weight_t|state_t) ", params)  # no ap_int ROM left

    start = time.perf_counter()
    lib = CSimLibrary(compile_csim(project.hls_dir))
    compile_s = time.perf_counter() - start
    assert compile_s < COMPILE_LIMIT_S, f"C-simulation compile took {compile_s:.1f} s"

    q = quantize_input(x)
    report = verify_csim(ModelWrapper(str(onnx_path)), project, lib, q)
    assert report.samples == len(x)
    assert report.mismatches == 0, report.first_mismatch
    hls_nodes = [n for n in hw.graph.node if n.domain == "snn2fpga.ops.hls"]
    for node, stage in zip(hls_nodes, project.stage_names, strict=True):
        assert report.cycles_per_sample[stage] == node_cycles(hw, node).per_sample, stage
    # the comparison is not vacuous: hidden neurons spike (not all of them) and scores differ by class
    res = lib.run(pack_inputs(q, project.input_kind))
    assert 0 < int((res.taps[0] > 0).sum()) < len(x) * HIDDEN
    assert all(len(set(row.tolist())) > 1 for row in res.outputs)
