"""Folding: config application with clear errors, the folding summary, and AutoFolding (legal by construction)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from qonnx.util.basic import get_by_name

from snn2fpga.boards import load_board
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate import estimate_model
from snn2fpga.hwir.graph import hw_nodes, stage_specs
from snn2fpga.hwir.spec import divisors
from snn2fpga.hwir.streams import check_specs
from snn2fpga.transforms.folding import (
    ApplyFoldingConfig,
    AutoFolding,
    PropagateStreamWidths,
    folding_config,
    load_folding_config,
)
from tests.estimate import make_hw_model, make_map_model

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


def test_autofolding_grows_when_the_weights_alone_exceed_the_budget():
    # 784-512-256-10 with 4-bit weights: the weight ROMs need ~46 % of the PYNQ-Z2's BRAM unfolded
    board = load_board("pynq-z2")
    unfolded = estimate_model(make_hw_model([784, 512, 256, 10]), board)
    assert unfolded.share_pct["bram36"] > 15.0
    est = estimate_model(make_hw_model([784, 512, 256, 10]).transform(AutoFolding(board, max_fraction=0.15)), board)
    assert est.ii_cycles * 10 < unfolded.ii_cycles
    assert est.bram36 <= unfolded.bram36
    assert all(pct <= 15.0 for kind, pct in est.share_pct.items() if kind != "bram36")


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
    unfolded = estimate_model(model, board)  # make_hw_model leaves PE = SIMD = 1
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
    # every resource stays within the budget, or within what the unfolded design already needs
    est = estimate_model(model, board)
    fraction = max_fraction if max_fraction is not None else (0.5 if target_fps is None else 1.0)
    for kind, pct in est.share_pct.items():
        assert pct <= max(100 * fraction, unfolded.share_pct[kind]) + 1e-9, kind


# ---- spike maps: conv (frame / event), OR pool, dense after maps -----------------------------------------

CONV_POOL_DENSE = [("conv", 6, 3, 1, 1), ("pool", 2), ("dense", 10)]


def map_model(**kwargs):
    kwargs.setdefault("maps", (4, 8, 8))
    kwargs.setdefault("input_kind", "spikes")
    return make_map_model(kwargs.pop("ops", CONV_POOL_DENSE), **kwargs)


def assert_legal(model) -> None:
    """Every folding attribute on the nodes obeys the rules, read from the node attributes directly."""
    nodes = {n.name: n for n in hw_nodes(model)}
    specs = {s.name: s for s in stage_specs(model)}
    check_specs(list(specs.values()))
    for name, node in nodes.items():
        op = node.op_type.removesuffix("_hls")
        a = {k: v for k, v in ((x.name, helper.get_attribute_value(x)) for x in node.attribute)}
        simd, pe = a.get("SIMD", 1), a.get("PE", 1)
        consumer = specs[name].consumer
        consumer_simd = attrs(model, consumer).get("SIMD", 1) if consumer else None
        if op == "SpikingConv":
            assert a["CIN"] % simd == 0 and a["COUT"] % pe == 0
            assert not a.get("event") or simd == 1
            assert consumer_simd is None or a["COUT"] % consumer_simd == 0
        elif op == "SpikePool":
            assert a["C"] % simd == 0
            assert consumer_simd is None or consumer_simd == simd  # one width across the pool
        elif op in ("SpikingDense", "DenseReadout"):
            assert a["IN"] % simd == 0 and a["OUT"] % pe == 0
            if a.get("in_maps"):
                assert a["in_maps"][0] % simd == 0
            if op == "SpikingDense" and consumer_simd is not None:
                assert a["OUT"] % consumer_simd == 0
        elif op == "SpikeInput":
            assert consumer_simd is None or simd == consumer_simd
        assert simd >= 1 and pe >= 1


def test_apply_config_conv_and_pool_group():
    model = map_model().transform(ApplyFoldingConfig({"layer0": {"PE": 3, "SIMD": 2}, "pool1": {"SIMD": 3}}))
    # the pool's SIMD is also its consumer's SIMD and its producer's OUT_SIMD
    assert attrs(model, "layer0") == {"PE": 3, "SIMD": 2} and attrs(model, "pool1") == {"SIMD": 3}
    assert attrs(model, "layer2")["SIMD"] == 3 and attrs(model, "input") == {"SIMD": 2}
    assert {s.name: s.out_simd for s in stage_specs(model)}["layer0"] == 3
    assert folding_config(model) == {"input": {"SIMD": 2}, "layer0": {"PE": 3, "SIMD": 2}, "pool1": {"SIMD": 3},
                                     "layer2": {"PE": 1, "SIMD": 3}}
    # setting the consumer sets the pool too; a consistent pair is accepted
    model = model.transform(ApplyFoldingConfig({"layer2": {"SIMD": 6}}))
    assert attrs(model, "pool1") == {"SIMD": 6}
    model = model.transform(ApplyFoldingConfig({"pool1": {"SIMD": 2}, "layer2": {"SIMD": 2, "PE": 5}}))
    assert attrs(model, "pool1") == {"SIMD": 2} and attrs(model, "layer2") == {"PE": 5, "SIMD": 2}
    assert_legal(model)


def test_apply_config_conv_pool_conv_shares_one_width():
    model = map_model(ops=[("conv", 6, 3, 1, 1), ("pool", 2), ("conv", 4, 3, 1, 1), ("dense", 3)], maps=(2, 8, 8))
    model = model.transform(ApplyFoldingConfig({"layer2": {"SIMD": 3, "PE": 2}}))
    assert attrs(model, "pool1") == {"SIMD": 3} and attrs(model, "layer2") == {"PE": 2, "SIMD": 3}
    assert {s.name: s.out_simd for s in stage_specs(model)}["layer0"] == 3
    assert_legal(model)


def test_propagate_stream_widths_sets_pool_from_consumer():
    model = map_model(folding={"layer2": {"SIMD": 6}})
    assert attrs(model, "pool1") == {}
    model = model.transform(PropagateStreamWidths())
    assert attrs(model, "pool1") == {"SIMD": 6}


@pytest.mark.parametrize(
    ("config", "pattern"),
    [
        ({"layer0": {"PE": 4}}, r"node layer0: PE=4 does not divide COUT=6; legal values: 1, 2, 3, 6$"),
        ({"layer0": {"SIMD": 3}}, r"node layer0: SIMD=3 does not divide CIN=4; legal values: 1, 2, 4$"),
        ({"pool1": {"SIMD": 4}}, r"node pool1: SIMD=4 does not divide C=6; legal values: 1, 2, 3, 6$"),
        ({"pool1": {"SIMD": 0}}, r"node pool1: SIMD=0 does not divide C=6"),
        ({"pool1": {"PE": 2}}, r"node pool1 \(SpikePool\): unknown folding attribute 'PE'; use SIMD$"),
        ({"pool1": {"SIMD": 3}, "layer2": {"SIMD": 2}},
         r"node layer2: SIMD=2 conflicts with SIMD=3 of pool1: .* so pool1, layer2 share one SIMD"),
        ({"layer2": {"SIMD": 4}}, r"node layer2: SIMD=4 does not divide C of in_maps \[6, 4, 4\]"),
        ({"input": {"SIMD": 4}, "layer0": {"SIMD": 2}}, r"node input: SIMD=4 but a SpikeInput's SIMD is its consumer"),
        ({"layer0": {"OUT_SIMD": 2}},
         r"node layer0 \(SpikingConv\): unknown folding attribute 'OUT_SIMD'; use PE, SIMD"),
    ],
)
def test_apply_config_rejects_illegal_conv_pool_values(config, pattern):
    with pytest.raises(SNN2FPGAError, match=pattern):
        map_model().transform(ApplyFoldingConfig(config))


def test_apply_config_event_conv_has_no_simd():
    model = make_map_model([("conv", 8, 5, 1, 2), ("dense", 4)], maps=(1, 16, 16), input_kind="iq", neuron="dcll")
    with pytest.raises(SNN2FPGAError, match=r"node layer0: SIMD=2 but an event-driven convolution .* legal values: 1"):
        model.transform(ApplyFoldingConfig({"layer0": {"SIMD": 2}}))
    model = model.transform(ApplyFoldingConfig({"layer0": {"PE": 4, "SIMD": 1}, "layer1": {"SIMD": 8}}))
    assert attrs(model, "layer0") == {"PE": 4, "SIMD": 1} and attrs(model, "input") == {"SIMD": 1}
    assert {s.name: s.out_simd for s in stage_specs(model)}["layer0"] == 8
    assert_legal(model)


def test_autofolding_radioml_like_chain():
    board = load_board("pynq-z2")
    ops = [("conv", 8, 7, 1, 3), ("conv", 8, 7, 1, 3), ("pool", 2), ("dense", 24)]
    model = make_map_model(ops, maps=(1, 16, 16), input_kind="iq", neuron="dcll", state_bits=24, timesteps=128)
    before = estimate_model(model, board)
    model = model.transform(AutoFolding(board, max_fraction=0.5))
    assert_legal(model)
    est = estimate_model(model, board)
    assert est.ii_cycles < before.ii_cycles and max(est.share_pct.values()) <= 50.0
    assert attrs(model, "layer0")["SIMD"] == 1  # event conv


@st.composite
def map_chains(draw):
    """Random chains input -> conv / pool ... -> dense ... over small maps."""
    input_kind = draw(st.sampled_from(["rate", "spikes", "iq"]))
    chans = 1 if input_kind != "spikes" else draw(st.one_of(st.integers(1, 12), st.sampled_from([7, 11, 13])))
    size = draw(st.integers(2, 12))
    ops: list[tuple] = []
    cur = size
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()) and cur >= 2:
            k = draw(st.integers(2, min(3, cur)))
            ops.append(("pool", k))
            cur //= k
        else:
            k = draw(st.sampled_from([1, 3, 5]))
            pad = draw(st.integers(0, k // 2))
            if cur + 2 * pad < k:
                pad = k // 2
            stride = draw(st.integers(1, 2))
            cout = draw(st.one_of(st.integers(1, 16), st.sampled_from([2, 3, 5, 7, 11, 13])))
            ops.append(("conv", cout, k, stride, pad))
            cur = (cur + 2 * pad - k) // stride + 1
    for _ in range(draw(st.integers(0, 2))):
        ops.append(("dense", draw(st.integers(1, 30))))
    return {"ops": ops, "maps": (chans, size, size), "input_kind": input_kind,
            "neuron": draw(st.sampled_from(["lif", "dcll"])), "readout": draw(st.sampled_from(["li", "none"])),
            "timesteps": draw(st.integers(1, 8))}


@settings(max_examples=40, deadline=None)
@given(
    chain=map_chains(),
    target_fps=st.one_of(st.none(), st.floats(1e2, 1e6)),
    max_fraction=st.one_of(st.none(), st.floats(0.01, 1.0)),
    board_name=st.sampled_from(["pynq-z2", "ultra96-v2", "zcu104"]),
)
def test_autofolding_maps_always_legal(chain, target_fps, max_fraction, board_name):
    board = load_board(board_name)
    ops = chain.pop("ops")
    model = make_map_model(ops, **chain)
    unfolded = estimate_model(model, board)
    model = model.transform(AutoFolding(board, target_fps=target_fps, max_fraction=max_fraction))
    assert_legal(model)
    config = folding_config(model)
    assert set(config) == {n.name for n in hw_nodes(model)}
    est = estimate_model(model, board)
    fraction = max_fraction if max_fraction is not None else (0.5 if target_fps is None else 1.0)
    for kind, pct in est.share_pct.items():
        assert pct <= max(100 * fraction, unfolded.share_pct[kind]) + 1e-9, kind
    # the chosen folding round-trips through a config onto a fresh model
    assert folding_config(make_map_model(ops, **chain).transform(ApplyFoldingConfig(config))) == config


@settings(max_examples=100, deadline=None)
@given(chain=map_chains(), data=st.data())
def test_apply_random_config_is_legal_or_rejected(chain, data):
    """Any config either raises an error naming a node or leaves a legal folding."""
    ops = chain.pop("ops")
    model = make_map_model(ops, **chain)
    config: dict[str, dict[str, int]] = {}
    def value(size: int) -> int:  # mostly a divisor of the node's own dimension, sometimes anything
        return data.draw(st.one_of(st.sampled_from(divisors(size)), st.integers(0, 16)))

    for spec in stage_specs(model):
        entry = {}
        if spec.kind.value in ("SpikingConv", "SpikingDense", "DenseReadout") and data.draw(st.booleans()):
            entry["PE"] = value(spec.n_out)
        if data.draw(st.booleans()) and (spec.kind.value != "SpikeInput" or data.draw(st.booleans())):
            entry["SIMD"] = value(spec.n_in)
        if entry:
            config[spec.name] = entry
    try:
        model = model.transform(ApplyFoldingConfig(config))
    except SNN2FPGAError as exc:
        assert "node " in str(exc)
        return
    assert_legal(model)
    for name, entry in config.items():
        assert {k: v for k, v in attrs(model, name).items() if k in entry} == entry
