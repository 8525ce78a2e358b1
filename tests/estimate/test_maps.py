"""Estimates of the spike-map stages: conv (frame / event), OR pool, I/Q input, dense after maps, DCLL.

Cycle counts are hand-computed from the formulas in the header comments of hls/snn_conv.h and
hls/snn_iq.h.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate import estimate_model, node_cycles
from snn2fpga.estimate.cycles import host_words, stage_cycles
from snn2fpga.estimate.resources import stage_resources
from snn2fpga.hwir.cost import memory
from snn2fpga.hwir.graph import stage_specs
from snn2fpga.hwir.spec import HwKind, InputKind, NeuronKind, NodeCycles, StageSpec
from snn2fpga.semantics.neuron import LeakMode
from tests.estimate import make_map_model
from tests.estimate.test_estimates import _multiples

CONV_POOL_DENSE = {"layer0": {"PE": 3, "SIMD": 2}, "pool1": {"SIMD": 3}, "layer2": {"PE": 5, "SIMD": 3}}


def _node(model, name):
    return next(n for n in model.graph.node if n.name == name)


def _conv(*, cin=32, cout=32, size=32, k=7, pad=3, pe=1, simd=1, out_simd=1, sb=24, neuron=NeuronKind.DCLL,
          event=False, t=16) -> StageSpec:
    return StageSpec("conv", HwKind.SPIKING_CONV, timesteps=t, n_in=cin, n_out=cout, simd=simd, pe=pe,
                     out_simd=out_simd, weight_bits=8, state_bits=sb, neuron=neuron, maps=(cin, size, size), kernel=k,
                     pad=pad, event=event)


def test_frame_conv_pool_dense_after_maps_hand_computed():
    model = make_map_model([("conv", 6, 3, 1, 1), ("pool", 2), ("dense", 10)], maps=(4, 8, 8), timesteps=5,
                           input_kind="spikes", folding=CONV_POOL_DENSE)
    # spike unpack of 4*8*8 = 256 bits, SIMD = layer0's 2: ceil(256/32) + 128 per timestep
    assert node_cycles(model, _node(model, "input")) == NodeCycles(136, 5 * 136)
    # conv_neuron: H*W*CIN/SIMD = 64*2; HO*WO*(COUT/PE)*(K*K*CIN/SIMD) = 64*2*18; HO*WO*COUT/OUT_SIMD = 64*6/3
    # (OUT_SIMD = the pool's SIMD 3)
    assert node_cycles(model, _node(model, "layer0")) == NodeCycles(128 + 2304 + 128, 5 * 2560)
    # maxpool_or: H*W*C/SIMD = 64*6/3
    assert node_cycles(model, _node(model, "pool1")) == NodeCycles(128, 640)
    # dense_li reading the [6, 4, 4] map: SF = 96/3 = 32, NF = 2 -> 32 + 64; T * 96 + OUT
    assert node_cycles(model, _node(model, "layer2")) == NodeCycles(96, 5 * 96 + 10)
    specs = {s.name: s for s in stage_specs(model)}
    assert specs["layer0"].out_simd == 3 and specs["pool1"].out_simd == 3 and specs["layer2"].maps == (6, 4, 4)


def test_event_conv_and_iq_encoder_hand_computed():
    folding = {"layer0": {"PE": 2}, "layer1": {"PE": 4, "SIMD": 4}, "layer2": {"SIMD": 2}}
    model = make_map_model([("conv", 8, 5, 1, 2), ("conv", 4, 3, 1, 0), ("dense", 3)], maps=(1, 16, 16),
                           timesteps=7, input_kind="iq", neuron="dcll", folding=folding)
    specs = {s.name: s for s in stage_specs(model)}
    assert specs["input"].event and specs["layer0"].event and specs["input"].input_kind is InputKind.IQ
    # iq_encoder: one event per timestep; ceil(T/2) host words
    assert node_cycles(model, _node(model, "input")) == NodeCycles(1, 7)
    assert host_words(specs["input"]) == 4
    # conv_event_neuron: HO*WO*(COUT/PE) + HO*WO*COUT/OUT_SIMD = 256*4 + 256*8/4 (OUT_SIMD = layer1's SIMD)
    assert node_cycles(model, _node(model, "layer0")) == NodeCycles(1024 + 512, 7 * 1536)
    # conv_neuron 16x16x8 -> 14x14x4, K=3, no padding: 256*8/4 + 196*1*(9*2) + 196*4/2 (OUT_SIMD = dense's 2)
    assert node_cycles(model, _node(model, "layer1")) == NodeCycles(512 + 3528 + 392, 7 * 4432)


def test_iq_frame_encoder_and_host_words():
    spec = StageSpec("input", HwKind.SPIKE_INPUT, timesteps=9, n_in=256, n_out=256, simd=4, input_kind=InputKind.IQ,
                     grid=16)
    assert stage_cycles(spec) == NodeCycles(64, 9 * 64)  # iq_frame_encoder: T * G*G/SIMD
    assert host_words(spec) == 5
    rate = replace(spec, input_kind=InputKind.RATE, n_in=70, n_out=70, simd=7)
    assert host_words(rate) == 18 and host_words(replace(rate, input_kind=InputKind.SPIKES)) == 9 * 3
    assert stage_resources(spec).lut > stage_resources(replace(spec, event=True, simd=1)).lut > 0


def test_dcll_dense_cycles_equal_lif():
    lif = StageSpec("layer", HwKind.SPIKING_DENSE, timesteps=8, n_in=96, n_out=12, simd=8, pe=3, out_simd=4,
                    weight_bits=4, state_bits=16, leak=LeakMode.SHIFT)
    dcll = replace(lif, neuron=NeuronKind.DCLL)
    assert stage_cycles(dcll) == stage_cycles(lif) == NodeCycles(12 + 4 * 12 + 3, 8 * 63)
    r_lif, r_dcll = stage_resources(lif), stage_resources(dcll)
    assert r_dcll.lut > r_lif.lut and r_dcll.ff > r_lif.ff and r_dcll.dsp == 0


def test_dcll_state_memory_dominates_radioml_layer():
    spec = _conv()  # 32x32 map, 32 -> 32 channels, DCLL with 24-bit traces
    assert spec.neurons == 32 * 32 * 32 and spec.neuron_state_bits == 3 * 24 + 1
    state = memory(73, 32 * 32 * 32, rom=False).bram36
    assert state >= 32 * 32 * 32 * 73 / 36864  # at least the bits
    res = stage_resources(spec)
    # state + input frame (32 Kbit) + spike frame (32 Kbit) + 8-bit weights (32 x 49*32)
    assert res.bram36 == state + 1 + 1 + memory(8, 32 * 49 * 32, rom=True).bram36
    lif = stage_resources(replace(spec, neuron=NeuronKind.LIF, leak=LeakMode.SHIFT))
    assert lif.bram36 < res.bram36 and lif.lut < res.lut


def test_event_conv_has_no_frame_buffer_and_no_adder_tree():
    frame = stage_resources(_conv(cin=1, size=64, pe=4))
    event = stage_resources(_conv(cin=1, size=64, pe=4, event=True))
    # frame buffer of 64*64 one-bit words (2 RAMB18) only in the frame conv
    assert frame.bram36 - event.bram36 >= memory(1, 64 * 64, rom=False).bram36
    assert event.lut < frame.lut
    with pytest.raises(SNN2FPGAError, match="event-driven convolution needs CIN == 1"):
        stage_resources(_conv(cin=2, event=True))
    with pytest.raises(SNN2FPGAError, match="event-driven convolution .* has no SIMD"):
        stage_cycles(replace(_conv(cin=1, event=True), simd=2))


def test_pool_simd_must_divide_c_and_match_out_width():
    pool = StageSpec("pool1", HwKind.SPIKE_POOL, timesteps=4, n_in=6, n_out=6, simd=4, out_simd=4, maps=(6, 8, 8),
                     kernel=2, stride=2)
    with pytest.raises(SNN2FPGAError, match=r"node pool1: SIMD=4 does not divide C=6; legal values: 1, 2, 3, 6"):
        stage_cycles(pool)
    with pytest.raises(SNN2FPGAError, match="output words are its SIMD"):
        stage_cycles(replace(pool, simd=3, out_simd=1))
    assert stage_cycles(replace(pool, simd=3, out_simd=3)) == NodeCycles(128, 512)


def test_dense_after_maps_simd_must_divide_channels():
    spec = StageSpec("layer3", HwKind.DENSE_READOUT, timesteps=4, n_in=96, n_out=10, simd=4, weight_bits=4,
                     state_bits=16, maps=(6, 4, 4))
    with pytest.raises(SNN2FPGAError, match=r"node layer3: SIMD=4 does not divide C of in_maps \[6, 4, 4\]"):
        stage_cycles(spec)


def test_estimate_model_checks_stream_rules():
    model = make_map_model([("conv", 4, 3, 1, 1), ("dense", 3)], maps=(1, 8, 8), input_kind="iq")
    est = estimate_model(model, "pynq-z2")
    assert [layer.op_type for layer in est.layers] == ["SpikeInput", "SpikingConv", "DenseReadout"]
    assert est.bottleneck == "layer1"  # dense_li: 256 + 3*256 per timestep > event conv 64*4 + 64*4
    model = make_map_model([("conv", 4, 3, 1, 1), ("dense", 3)], maps=(1, 8, 8), input_kind="rate")
    layer0 = next(n for n in model.graph.node if n.name == "layer0")
    next(a for a in layer0.attribute if a.name == "event").i = 1
    with pytest.raises(SNN2FPGAError, match="must read the events of an iq SpikeInput"):
        estimate_model(model, "pynq-z2")


@settings(max_examples=40, deadline=None)
@given(
    cin=st.integers(1, 24), cout=st.integers(1, 24), size=st.integers(3, 20), k=st.sampled_from([1, 3, 5]),
    sb=st.integers(8, 24), neuron=st.sampled_from(list(NeuronKind)), event=st.booleans(),
)
def test_conv_monotonic_in_pe_and_simd(cin, cout, size, k, sb, neuron, event):
    """More parallel by a whole factor -> strictly fewer cycles and never fewer LUTs or FFs."""
    base = _conv(cin=1 if event else cin, cout=cout, size=size, k=k, pad=k // 2, sb=sb, neuron=neuron, event=event)
    knobs = [("pe", cout)] + ([] if event else [("simd", base.n_in)])
    for attr, size_ in knobs:
        for a, b in _multiples(size_):
            slow, fast = replace(base, **{attr: a}), replace(base, **{attr: b})
            assert stage_cycles(fast).per_sample < stage_cycles(slow).per_sample
            r_slow, r_fast = stage_resources(slow), stage_resources(fast)
            assert r_fast.lut >= r_slow.lut and r_fast.ff >= r_slow.ff
    for a, b in _multiples(cout):  # a wider output stream: fewer write cycles
        assert stage_cycles(replace(base, out_simd=b)).per_sample < stage_cycles(replace(base, out_simd=a)).per_sample


@settings(max_examples=40, deadline=None)
@given(c=st.integers(1, 64), size=st.integers(2, 24), k=st.integers(1, 4), t=st.integers(1, 16))
def test_pool_monotonic_in_simd(c, size, k, t):
    def spec(simd: int) -> StageSpec:
        return StageSpec("pool", HwKind.SPIKE_POOL, timesteps=t, n_in=c, n_out=c, simd=simd, out_simd=simd,
                         maps=(c, size, size), kernel=min(k, size), stride=min(k, size))

    for a, b in _multiples(c):
        assert stage_cycles(spec(b)).per_sample < stage_cycles(spec(a)).per_sample
        r_a, r_b = stage_resources(spec(a)), stage_resources(spec(b))
        assert r_b.lut >= r_a.lut and r_b.ff >= r_a.ff


@settings(max_examples=30, deadline=None)
@given(cout=st.integers(1, 32), size=st.integers(4, 32), neuron=st.sampled_from(list(NeuronKind)))
def test_conv_resources_grow_with_state_bits_and_map(cout, size, neuron):
    """Wider state or a larger map never needs fewer BRAMs or FFs (LUTs may drop when a memory moves from
    LUTRAM to BRAM)."""
    small = _conv(cout=cout, size=size, sb=16, neuron=neuron, k=3, pad=1)
    for bigger in (replace(small, state_bits=24), replace(small, maps=(32, size + 8, size + 8))):
        r_small, r_big = stage_resources(small), stage_resources(bigger)
        assert r_big.bram36 >= r_small.bram36 and r_big.ff >= r_small.ff
