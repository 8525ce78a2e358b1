"""Generated HLS: determinism, hostile names, C-simulation == QONNX exactly, cycle model == counters."""

from __future__ import annotations

import re

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from snn2fpga.codegen.csim import CSimLibrary, compile_csim
from snn2fpga.codegen.generate import generate_project
from snn2fpga.codegen.verify_csim import verify_csim
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate.cycles import node_cycles
from snn2fpga.semantics import quantize_input
from tests.codegen.conftest import hw_graph

FOLDING = {"layer0": {"PE": 4, "SIMD": 8}, "layer1": {"PE": 2, "SIMD": 16}}


def test_generation_is_byte_identical(digits_onnx, tmp_path):
    a = generate_project(hw_graph(digits_onnx, FOLDING), tmp_path / "a")
    b = generate_project(hw_graph(digits_onnx, FOLDING), tmp_path / "b")
    for f in sorted(a.hls_dir.iterdir()):
        assert f.read_bytes() == (b.hls_dir / f.name).read_bytes(), f.name


def test_csim_equals_qonnx_and_cycle_model(digits_onnx, digits, tmp_path):
    model = hw_graph(digits_onnx, FOLDING)
    project = generate_project(model, tmp_path)
    lib = CSimLibrary(compile_csim(project.hls_dir))
    q = quantize_input(digits.x_test.reshape(len(digits.x_test), -1))
    report = verify_csim(ModelWrapper(str(digits_onnx)), project, lib, q, digits.y_test)
    assert report.samples == 360 and report.mismatches == 0
    assert report.accuracy is not None and report.accuracy > 0.5
    # the documented cycle model equals the pipelined-loop iterations counted in C-simulation
    hls_nodes = [n for n in model.graph.node if n.domain == "snn2fpga.ops.hls"]
    for node, stage in zip(hls_nodes, project.stage_names, strict=True):
        assert report.cycles_per_sample[stage] == node_cycles(model, node).per_sample, stage


def test_verifier_catches_a_wrong_design(digits_onnx, digits, tmp_path):
    project = generate_project(hw_graph(digits_onnx), tmp_path)
    params = project.hls_dir / "snn_params.h"
    text = params.read_text()
    # flip the first threshold of the hidden layer by one
    m = re.search(r"(layer0_thresholds\[\d+\] = \{)(\d+)", text)
    assert m is not None
    params.write_text(text[: m.start(2)] + str(int(m.group(2)) + 1) + text[m.end(2):])
    lib = CSimLibrary(compile_csim(project.hls_dir))
    q = quantize_input(digits.x_test[:100].reshape(100, -1))
    report = verify_csim(ModelWrapper(str(digits_onnx)), project, lib, q)
    assert report.mismatches > 0 and report.spike_count_mismatches > 0


def test_hostile_node_names_compile_and_simulate(digits_onnx, tmp_path):
    model = hw_graph(digits_onnx)
    hostile = ['layer 0"; system("rm -rf /"); //', "class", "0 {}$[]"]
    for node, name in zip([n for n in model.graph.node if n.domain == "snn2fpga.ops.hls"], hostile, strict=True):
        node.name = name
    project = generate_project(model, tmp_path)
    top = (project.hls_dir / "snn_top.cpp").read_text()
    assert "rm -rf" not in top and '"; system' not in top
    lib = CSimLibrary(compile_csim(project.hls_dir))
    res = lib.run(np.zeros((2, lib.in_words), dtype=np.uint32))
    assert res.outputs.shape == (2, 10)


def test_rom_value_out_of_its_signed_range_is_refused(digits_onnx, tmp_path):
    model = hw_graph(digits_onnx)
    node = next(n for n in model.graph.node if n.op_type == "SpikingDense_hls")
    bits = int(getCustomOp(node).get_nodeattr("weight_bits"))
    w = model.get_initializer(node.input[1]).copy()
    w.flat[0] = 2 ** (bits - 1)  # one above the largest signed weight: it would wrap in the ap_int ROM
    model.set_initializer(node.input[1], w)
    with pytest.raises(SNN2FPGAError, match=rf"weights range .* does not fit {bits}-bit signed integers"):
        generate_project(model, tmp_path)
