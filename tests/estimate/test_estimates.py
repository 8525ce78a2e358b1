"""Cycle model (hand-computed against the kernels' documented formulas), resources, and the report."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snn2fpga.boards import load_board
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate import estimate_model, node_cycles, write_estimate_reports
from snn2fpga.estimate.cycles import stage_cycles
from snn2fpga.estimate.report import estimate_markdown
from snn2fpga.estimate.resources import stage_resources, total_resources
from snn2fpga.hwir.cost import adder_tree_luts, memory
from snn2fpga.hwir.graph import stage_specs
from snn2fpga.hwir.hls_io import lfsr_xor_luts
from snn2fpga.hwir.spec import HwKind, InputKind, NodeCycles, StageSpec, divisors
from snn2fpga.semantics.neuron import LeakMode
from tests.estimate import make_hw_model

FOLD = {"input": {"SIMD": 8}, "layer0": {"PE": 4, "SIMD": 8}, "layer1": {"PE": 2, "SIMD": 4}}


def _node(model, name):
    return next(n for n in model.graph.node if n.name == name)


def test_cycles_li_network_hand_computed():
    model = make_hw_model([64, 32, 10], timesteps=16, folding=FOLD)
    # input rate: IN/SIMD = 8 per timestep; ceil(64/4) + 16 * 8 = 144 per sample
    assert node_cycles(model, _node(model, "input")) == NodeCycles(8, 144)
    # dense_lif: SF=8, NF=8, OUT_SIMD = layer1's SIMD = 4 -> 8 + 64 + 8 = 80; * 16
    assert node_cycles(model, _node(model, "layer0")) == NodeCycles(80, 1280)
    # dense_li: SF=8, NF=5 -> 8 + 40 = 48; 16 * 48 + OUT = 778
    assert node_cycles(model, _node(model, "layer1")) == NodeCycles(48, 778)


def test_cycles_counter_and_spike_unpack_hand_computed():
    folding = {"input": {"SIMD": 7}, "layer0": {"PE": 2, "SIMD": 7}, "counter": {"SIMD": 3}}
    model = make_hw_model([70, 12], timesteps=16, readout="counter", input_kind="spikes", folding=folding)
    # spike_unpack: ceil(70/32) + 70/7 = 13 per timestep, 16 * 13 per sample
    assert node_cycles(model, _node(model, "input")) == NodeCycles(13, 208)
    # dense_lif: SF=10, NF=6, OUT_SIMD = counter SIMD = 3 -> 10 + 60 + 4 = 74
    assert node_cycles(model, _node(model, "layer0")) == NodeCycles(74, 1184)
    # counter: C/SIMD = 4 per timestep; 16 * 4 + C = 76
    assert node_cycles(model, _node(model, "counter")) == NodeCycles(4, 76)


def test_cycles_latency_encoder_and_missing_consumer():
    model = make_hw_model([70, 12], timesteps=5, readout="none", input_kind="latency",
                          folding={"input": {"SIMD": 7}, "layer0": {"PE": 3, "SIMD": 7}})
    assert node_cycles(model, _node(model, "input")) == NodeCycles(10, 18 + 50)
    # a SpikingDense without a hardware consumer writes 1 spike per word: OUT/1 = 12
    assert node_cycles(model, _node(model, "layer0")) == NodeCycles(10 + 40 + 12, 5 * 62)


def test_spike_input_width_follows_consumer_and_hls_nodes_read():
    # the SpikeInput's own SIMD attribute (1) is overridden by the rule: it is its consumer's SIMD
    model = make_hw_model([64, 32, 10], folding={"layer0": {"SIMD": 16}}, hls=True)
    assert node_cycles(model, _node(model, "input")) == NodeCycles(4, 16 + 16 * 4)
    specs = {s.name: s for s in stage_specs(model)}
    assert specs["layer0"].kind is HwKind.SPIKING_DENSE and specs["layer1"].kind is HwKind.DENSE_READOUT


def test_illegal_folding_names_node_and_choices():
    model = make_hw_model([64, 30, 10], folding={"layer0": {"PE": 7}})
    with pytest.raises(SNN2FPGAError, match=r"layer0: PE=7 does not divide OUT=30; legal values: 1, 2, 3, 5, 6"):
        node_cycles(model, _node(model, "layer0"))


def test_memory_rule():
    # 784*128 4-bit weights, one word per cycle: 4 bits x 100352 -> RAMB18 4Kx4: 25 -> 12.5 BRAM36
    assert memory(4, 100352, rom=True).bram36 == 12.5
    # wide and deep: 512 bits x 784 -> 1Kx18 RAMB18s: ceil(512/18) = 29 (36-wide: 15 * 2 = 30) -> 14.5
    assert memory(512, 784, rom=True).bram36 == 14.5
    assert memory(8, 32, rom=True).lut == 8  # shallow: LUT ROM, 64x1 per LUT
    assert memory(8, 100, rom=False).lut == 2 * 8 * 2  # small RAM: dual-port LUTRAM
    assert memory(16, 1, rom=False).ff == 16  # one word: a register
    assert adder_tree_luts(1, 4) == 0
    assert adder_tree_luts(4, 4) == 2 * 5 + 1 * 6


def test_dsp_only_for_mult_leak():
    model = make_hw_model([16, 8, 4], leak="mult", folding={"layer0": {"PE": 4}, "layer1": {"PE": 2}})
    est = estimate_model(model, "pynq-z2")
    assert [layer.resources.dsp for layer in est.layers] == [0, 4, 2]
    assert estimate_model(make_hw_model([16, 8, 4], leak="shift"), "pynq-z2").dsp == 0


def _dense_spec(n_in: int, n_out: int, kind: HwKind, wb: int, sb: int, leak: LeakMode) -> StageSpec:
    return StageSpec("layer", kind, timesteps=8, n_in=n_in, n_out=n_out, weight_bits=wb, state_bits=sb, leak=leak)


def _multiples(size: int) -> list[tuple[int, int]]:
    """Pairs (a, b) of divisors of size with a < b and a | b: b is "more parallel" than a by a whole factor.

    (Between non-multiples, e.g. SIMD 8 -> 9, memory shapes change and LUTs may legitimately drop.)
    """
    divs = divisors(size)
    return [(a, b) for a in divs for b in divs if a < b and b % a == 0]


@settings(max_examples=60, deadline=None)
@given(
    n_in=st.integers(1, 300), n_out=st.integers(1, 300),
    kind=st.sampled_from([HwKind.SPIKING_DENSE, HwKind.DENSE_READOUT]),
    wb=st.integers(2, 8), sb=st.integers(8, 32), leak=st.sampled_from(list(LeakMode)),
)
def test_dense_monotonic_in_pe_and_simd(n_in, n_out, kind, wb, sb, leak):
    """More parallel (by a whole factor) -> strictly fewer cycles and never fewer LUTs, FFs or DSPs."""
    base = _dense_spec(n_in, n_out, kind, wb, sb, leak)
    for attr, size in (("simd", n_in), ("pe", n_out)):
        for a, b in _multiples(size):
            slow, fast = replace(base, **{attr: a}), replace(base, **{attr: b})
            assert stage_cycles(fast).per_sample < stage_cycles(slow).per_sample
            r_slow, r_fast = stage_resources(slow), stage_resources(fast)
            assert r_fast.lut >= r_slow.lut and r_fast.ff >= r_slow.ff and r_fast.dsp >= r_slow.dsp


@settings(max_examples=40, deadline=None)
@given(n_in=st.integers(1, 300), kind=st.sampled_from(list(InputKind)), t=st.integers(1, 32))
def test_spike_input_monotonic_in_simd(n_in, kind, t):
    def spec(simd: int) -> StageSpec:
        return StageSpec("input", HwKind.SPIKE_INPUT, timesteps=t, n_in=n_in, n_out=n_in, simd=simd, input_kind=kind)

    for a, b in _multiples(n_in):
        assert stage_cycles(spec(b)).per_sample < stage_cycles(spec(a)).per_sample
        assert stage_resources(spec(b)).lut >= stage_resources(spec(a)).lut


def test_lfsr_logic_grows_with_lanes():
    assert 0 < lfsr_xor_luts(1) < lfsr_xor_luts(2) < lfsr_xor_luts(8)


def test_estimate_totals_ii_and_latency():
    model = make_hw_model([64, 32, 10], timesteps=16, folding=FOLD)
    est = estimate_model(model, "pynq-z2", clock_mhz=200)
    # per sample: input 144, layer0 1280, layer1 778 -> II 1280 (layer0); fill = 8 + 48 per timestep
    assert est.ii_cycles == 1280 and est.bottleneck == "layer0"
    assert est.latency_cycles == 1280 + 8 + 48
    assert est.latency_us == pytest.approx(1336 / 200)
    assert est.fps == pytest.approx(200e6 / 1280)
    assert est.total == total_resources(stage_specs(model))
    assert est.lut == sum(layer.resources.lut for layer in est.layers) + est.overhead.lut
    assert est.fits and est.exceeds == []
    assert est.share_pct["lut"] == pytest.approx(100 * est.lut / 53200)
    data = json.loads(json.dumps(est.to_dict()))
    assert {"lut", "ff", "bram36", "dsp", "latency_us", "fps", "layers"} <= set(data)
    assert [row["name"] for row in data["layers"]] == ["input", "layer0", "layer1"]
    assert data["layers"][1]["cycles_per_sample"] == 1280
    assert "| layer0 | SpikingDense | 4 | 8 |" in estimate_markdown(est)


def test_estimate_default_clock_and_exceeds():
    board = load_board("pynq-z2")
    full = {"layer0": {"PE": 300, "SIMD": 784}, "layer1": {"PE": 10, "SIMD": 300}}
    est = estimate_model(make_hw_model([784, 300, 10], folding=full), board)
    assert est.clock_mhz == board.clock_mhz
    assert not est.fits and "lut" in est.exceeds


def test_write_estimate_reports(tmp_path):
    est = estimate_model(make_hw_model([64, 32, 10], folding=FOLD), "pynq-z2")
    res_path, perf_path = write_estimate_reports(est, tmp_path / "report")
    assert res_path.name == "estimate_layer_resources.json"
    assert perf_path.name == "estimate_network_performance.json"
    res, perf = json.loads(res_path.read_text()), json.loads(perf_path.read_text())
    assert res["total"]["lut"] == est.lut and set(res) == {"input", "layer0", "layer1", "overhead", "total"}
    assert perf["max_cycles"] == est.ii_cycles and perf["max_cycles_node_name"] == "layer0"
    assert perf["critical_path_cycles"] == est.latency_cycles


def test_no_hardware_nodes_is_an_error():
    model = make_hw_model([8, 4])
    model.graph.ClearField("node")
    with pytest.raises(SNN2FPGAError, match="no hardware nodes"):
        estimate_model(model, "pynq-z2")
