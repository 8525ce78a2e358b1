"""Folding: config application with clear errors, the folding summary, and AutoFolding (legal by construction)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from qonnx.util.basic import get_by_name

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate import estimate_model, stage_specs
from snn2fpga.estimate.cycles import hw_nodes
from snn2fpga.flow.boards import load_board
from snn2fpga.transforms.folding import (
    ApplyFoldingConfig,
    AutoFolding,
    PropagateStreamWidths,
    folding_config,
    load_folding_config,
)
from tests.estimate import make_hw_model

PRIMES = [2, 3, 5, 7, 11, 13, 97, 101, 127, 251, 257, 283, 293]


def attrs(model, name: str) -> dict[str, int]:
    node = next(n for n in model.graph.node if n.name == name)
    return {a: helper.get_attribute_value(get_by_name(node.attribute, a)) for a in ("PE", "SIMD")
            if get_by_name(node.attribute, a) is not None}


def test_apply_config_sets_folding_and_propagates_input_width():
    model = make_hw_model([64, 32, 10])
    model = model.transform(ApplyFoldingConfig({"layer0": {"PE": 8, "SIMD": 16}, "layer1": {"PE": 5, "SIMD": 4}}))
    assert attrs(model, "layer0") == {"PE": 8, "SIMD": 16}
    assert attrs(model, "layer1") == {"PE": 5, "SIMD": 4}
    assert attrs(model, "input") == {"SIMD": 16}
    assert folding_config(model) == {
        "input": {"SIMD": 16}, "layer0": {"PE": 8, "SIMD": 16}, "layer1": {"PE": 5, "SIMD": 4},
    }


def test_apply_config_on_hls_nodes_and_counter():
    model = make_hw_model([30, 12], readout="counter", hls=True)
    model = model.transform(ApplyFoldingConfig({"layer0": {"PE": 3, "SIMD": 5}, "counter": {"SIMD": 6}}))
    assert attrs(model, "counter") == {"SIMD": 6} and attrs(model, "input") == {"SIMD": 5}
    assert {s.name: s.out_simd for s in stage_specs(model)}["layer0"] == 6


def test_folding_config_round_trip():
    model = make_hw_model([64, 32, 10], folding={"layer0": {"PE": 4, "SIMD": 2}, "input": {"SIMD": 2}})
    config = folding_config(model)
    other = make_hw_model([64, 32, 10]).transform(ApplyFoldingConfig(config))
    assert folding_config(other) == config


@pytest.mark.parametrize(
    ("config", "pattern"),
    [
        ({"layer7": {"PE": 2}}, r"unknown node\(s\) layer7; hardware nodes: input, layer0, layer1"),
        ({"layer0": {"PE": 7}}, r"node layer0: PE=7 does not divide OUT=30; legal values: 1, 2, 3, 5, 6, 10, 15, 30"),
        ({"layer1": {"SIMD": 4}}, r"node layer1: SIMD=4 does not divide IN=30; legal values: 1, 2, 3, 5"),
        ({"layer0": {"SIMD": 0}}, r"node layer0: SIMD=0 does not divide IN=64"),
        ({"layer0": {"MH": 2}}, r"node layer0 \(SpikingDense\): unknown folding attribute 'MH'; use PE, SIMD"),
        ({"input": {"PE": 2}}, r"node input \(SpikeInput\): unknown folding attribute 'PE'"),
        ({"input": {"SIMD": 4}, "layer0": {"SIMD": 8}}, r"node input: SIMD=4 but a SpikeInput's SIMD is its consumer"),
        ({"layer0": {"PE": "8"}}, r"node layer0: PE='8' is not an integer"),
        ({"layer0": {"PE": True}}, r"node layer0: PE=True is not an integer"),
        ({"layer0": 8}, r"entry 'layer0' must be an object"),
    ],
)
def test_apply_config_rejects_with_node_named(config, pattern):
    model = make_hw_model([64, 30, 10])
    with pytest.raises(SNN2FPGAError, match=pattern):
        model.transform(ApplyFoldingConfig(config))


def test_apply_config_accepts_consistent_input_entry():
    model = make_hw_model([64, 30, 10]).transform(ApplyFoldingConfig({"input": {"SIMD": 8}, "layer0": {"SIMD": 8}}))
    assert attrs(model, "input") == {"SIMD": 8}


def test_propagate_stream_widths():
    model = make_hw_model([64, 30, 10], folding={"layer0": {"SIMD": 32}})
    assert attrs(model, "input") == {}
    model = model.transform(PropagateStreamWidths())
    assert attrs(model, "input") == {"SIMD": 32}


def test_load_folding_config(tmp_path):
    good = tmp_path / "folding.json"
    good.write_text(json.dumps({"layer0": {"PE": 2, "SIMD": 4}}))
    assert load_folding_config(good) == {"layer0": {"PE": 2, "SIMD": 4}}
    with pytest.raises(SNN2FPGAError, match="does not exist"):
        load_folding_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{layer0: ")
    with pytest.raises(SNN2FPGAError, match="not valid JSON"):
        load_folding_config(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text("[1, 2]")
    with pytest.raises(SNN2FPGAError, match="must be an object keyed by node name, got list"):
        load_folding_config(wrong)


def test_autofolding_meets_reachable_target():
    board = load_board("pynq-z2")
    model = make_hw_model([64, 32, 10]).transform(AutoFolding(board, target_fps=100_000))
    est = estimate_model(model, board)
    assert est.fps >= 100_000
    # the target is met, but not with everything fully parallel
    assert est.ii_cycles > estimate_model(
        make_hw_model([64, 32, 10], folding={"layer0": {"PE": 32, "SIMD": 64}, "layer1": {"PE": 10, "SIMD": 32}}),
        board,
    ).ii_cycles


def test_autofolding_respects_fraction_and_is_deterministic():
    board = load_board("pynq-z2")
    a = make_hw_model([784, 128, 10]).transform(AutoFolding(board, max_fraction=0.1))
    b = make_hw_model([784, 128, 10]).transform(AutoFolding(board, max_fraction=0.1))
    assert folding_config(a) == folding_config(b)
    est = estimate_model(a, board)
    assert max(est.share_pct.values()) <= 10.0
    big = estimate_model(make_hw_model([784, 128, 10]).transform(AutoFolding(board, max_fraction=0.3)), board)
    assert big.ii_cycles < est.ii_cycles
    default = estimate_model(make_hw_model([784, 128, 10]).transform(AutoFolding(board)), board)
    assert max(default.share_pct.values()) <= 50.0 and default.ii_cycles <= big.ii_cycles


def test_autofolding_ignores_previous_folding():
    board = load_board("zcu104")
    folded = make_hw_model([64, 32, 10], folding={"layer0": {"PE": 32, "SIMD": 64}})
    plain = make_hw_model([64, 32, 10])
    auto = AutoFolding(board, target_fps=10_000)
    assert folding_config(folded.transform(auto)) == folding_config(plain.transform(auto))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"target_fps": 0}, "target_fps must be positive"), ({"max_fraction": 1.5}, r"max_fraction must be in \(0, 1\]"),
     ({"max_fraction": 0}, "max_fraction"), ({"clock_mhz": -1}, "clock_mhz must be positive")],
)
def test_autofolding_rejects_bad_parameters(kwargs, pattern):
    with pytest.raises(SNN2FPGAError, match=pattern):
        AutoFolding("pynq-z2", **kwargs)


dims = st.one_of(st.sampled_from(PRIMES), st.integers(1, 300))


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(dims, min_size=2, max_size=4),
    readout=st.sampled_from(["li", "counter"]),
    input_kind=st.sampled_from(["rate", "latency", "spikes"]),
    timesteps=st.integers(1, 32),
    target_fps=st.one_of(st.none(), st.floats(1e3, 1e7)),
    max_fraction=st.one_of(st.none(), st.floats(0.01, 1.0)),
    board_name=st.sampled_from(["pynq-z2", "ultra96-v2", "zcu104"]),
)
def test_autofolding_always_legal_and_consistent(sizes, readout, input_kind, timesteps, target_fps, max_fraction,
                                                 board_name):
    board = load_board(board_name)
    model = make_hw_model(sizes, readout=readout, input_kind=input_kind, timesteps=timesteps)
    model = model.transform(AutoFolding(board, target_fps=target_fps, max_fraction=max_fraction))
    nodes = {n.name: n for n in hw_nodes(model)}
    config = folding_config(model)
    for i in range(len(sizes) - 1):
        fold = attrs(model, f"layer{i}")
        assert sizes[i] % fold["SIMD"] == 0 and sizes[i + 1] % fold["PE"] == 0
        assert fold["PE"] >= 1 and fold["SIMD"] >= 1
    # stream widths: the input is its consumer's SIMD; a counter's SIMD divides C
    assert attrs(model, "input")["SIMD"] == attrs(model, "layer0")["SIMD"]
    if readout == "counter":
        assert sizes[-1] % attrs(model, "counter")["SIMD"] == 0
        assert set(nodes) == set(config) == {"input", "counter", *(f"layer{i}" for i in range(len(sizes) - 1))}
    # the budget holds unless nothing could grow from PE = SIMD = 1
    est = estimate_model(model, board)
    fraction = max_fraction if max_fraction is not None else (0.5 if target_fps is None else 1.0)
    all_ones = all(v == 1 for entry in config.values() for v in entry.values())
    assert all_ones or max(est.share_pct.values()) <= 100 * fraction + 1e-9
