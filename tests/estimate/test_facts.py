"""Each hardware op owns its facts: the lookup through the op class, backends, and a backend's own facts.

A fake ``_rtl`` backend of SpikingDense (its facts override ``cycles`` only) is registered for one test
at a time in qonnx's registry and removed again, so that it never shadows a real RTL backend.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from qonnx.custom_op import registry

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.estimate import estimate_model, node_cycles
from snn2fpga.hwir import graph
from snn2fpga.hwir.facts import StageFacts
from snn2fpga.hwir.graph import backend_available, facts_for, read_spec, stage_specs
from snn2fpga.hwir.hls_dense import DenseReadoutFacts, SpikingDenseFacts
from snn2fpga.hwir.hls_io import SpikeCounterFacts, SpikeInputFacts
from snn2fpga.hwir.hls_maps import SpikePoolFacts, SpikingConvFacts
from snn2fpga.hwir.spec import Backend, HwKind, NodeCycles, StageSpec
from snn2fpga.ops.hls import HLS_OPS
from snn2fpga.ops.hw import HW_OPS, SpikingDense
from snn2fpga.ops.hw_maps import HW_MAP_OPS
from snn2fpga.transforms.folding import AutoFolding, folding_config
from snn2fpga.transforms.specialize import SpecializeLayers
from tests.estimate import make_hw_model

FOLD = {"input": {"SIMD": 8}, "layer0": {"PE": 4, "SIMD": 8}, "layer1": {"PE": 2, "SIMD": 4}}
RTL_EXTRA_CYCLES = 1000  # the fake RTL dense stage is slower by this much per timestep


class FakeDenseRtlFacts(SpikingDenseFacts):
    """A backend's facts: the HLS ones with its own cycle model (the only method it overrides)."""

    def cycles(self, spec: StageSpec) -> NodeCycles:
        hls = super().cycles(spec)
        per_ts = hls.per_timestep + RTL_EXTRA_CYCLES
        return NodeCycles(per_ts, spec.timesteps * per_ts)


class SpikingDense_rtl(SpikingDense):  # noqa: N801  (the backend naming the registry derives op_type from)
    hw_facts = FakeDenseRtlFacts


@pytest.fixture
def fresh_facts():
    """An empty facts cache during the test and after it (the test changes what the registry holds)."""
    facts_for.cache_clear()
    yield
    facts_for.cache_clear()


@pytest.fixture
def fake_rtl(monkeypatch, fresh_facts):
    """Register SpikingDense_rtl (only) in the rtl domain for one test; monkeypatch restores the registry."""
    monkeypatch.setitem(registry._OP_REGISTRY, Backend.RTL.domain, {"SpikingDense_rtl": {1: SpikingDense_rtl}})


def _specialize_dense_to_rtl(model):
    for node in model.graph.node:
        if node.op_type == "SpikingDense":
            node.op_type, node.domain = "SpikingDense_rtl", Backend.RTL.domain
    return model


def test_every_op_class_carries_the_facts_of_its_kind():
    expected = {HwKind.SPIKE_INPUT: SpikeInputFacts, HwKind.SPIKING_DENSE: SpikingDenseFacts,
                HwKind.DENSE_READOUT: DenseReadoutFacts, HwKind.SPIKE_COUNTER: SpikeCounterFacts,
                HwKind.SPIKING_CONV: SpikingConvFacts, HwKind.SPIKE_POOL: SpikePoolFacts}
    for op in (*HW_OPS, *HW_MAP_OPS, *HLS_OPS):
        kind = HwKind(op.__name__.removesuffix("_hls"))
        assert op.hw_facts is expected[kind] and op.hw_facts.kind is kind
    for kind, facts in expected.items():
        for backend in (Backend.HW, Backend.HLS):
            assert type(facts_for(kind, backend)) is facts


def test_specs_record_the_backend_of_their_node():
    model = make_hw_model([64, 32, 10], folding=FOLD)
    assert {s.backend for s in stage_specs(model)} == {Backend.HW}
    hls = model.transform(SpecializeLayers())
    assert {s.backend for s in stage_specs(hls)} == {Backend.HLS}
    assert [n.op_type for n in hls.graph.node] == ["SpikeInput_hls", "SpikingDense_hls", "DenseReadout_hls"]
    assert {n.domain for n in hls.graph.node} == {"snn2fpga.ops.hls"}
    assert estimate_model(hls, "pynq-z2").to_dict() == estimate_model(model, "pynq-z2").to_dict()


def test_a_backend_overrides_one_fact_through_its_op_class(fake_rtl):
    model = make_hw_model([64, 32, 10], folding=FOLD)
    layer0 = next(n for n in model.graph.node if n.name == "layer0")
    hls_cycles = node_cycles(model, layer0)
    hls_est = estimate_model(model, "pynq-z2")
    rtl = _specialize_dense_to_rtl(model)
    specs = {s.name: s for s in stage_specs(rtl)}
    assert specs["layer0"].backend is Backend.RTL and specs["layer1"].backend is Backend.HW
    assert type(specs["layer0"].facts) is FakeDenseRtlFacts
    assert node_cycles(rtl, layer0) == NodeCycles(hls_cycles.per_timestep + RTL_EXTRA_CYCLES,
                                                   16 * (hls_cycles.per_timestep + RTL_EXTRA_CYCLES))
    rtl_est = estimate_model(rtl, "pynq-z2")
    # everything but the overridden cycles is the inherited HLS facts
    assert [la.resources for la in rtl_est.layers] == [la.resources for la in hls_est.layers]
    assert rtl_est.ii_cycles == 16 * (hls_cycles.per_timestep + RTL_EXTRA_CYCLES)


def test_folding_searches_with_the_backend_facts(fake_rtl):
    """AutoFolding of a specialized graph ranks moves by the backend's cycles: a dense stage that is
    slower by a constant per timestep stays the bottleneck, so the search spends more on it."""
    hls = make_hw_model([64, 32, 10]).transform(AutoFolding("pynq-z2", target_fps=200_000))
    rtl = _specialize_dense_to_rtl(make_hw_model([64, 32, 10])).transform(AutoFolding("pynq-z2", target_fps=200_000))
    assert folding_config(hls) != folding_config(rtl)
    assert folding_config(rtl)["layer0"]["PE"] == 32  # no folding reaches the target: it grows to the end


def test_specialize_to_a_backend_nobody_registered_names_it(monkeypatch, fresh_facts):
    def not_found(node, onnx_opset_version=None):
        raise KeyError(node.op_type)  # what qonnx's getCustomOp raises for an op no module defines

    monkeypatch.setattr(graph, "getCustomOp", not_found)
    with pytest.raises(SNN2FPGAError, match="no rtl backend of SpikeInput is registered.*snn2fpga.ops.rtl"):
        make_hw_model([64, 10]).transform(SpecializeLayers(Backend.RTL))
    assert not backend_available(HwKind.SPIKE_INPUT, Backend.RTL)


def test_backend_available_says_which_ops_have_a_backend(fake_rtl):
    assert backend_available(HwKind.SPIKING_DENSE, Backend.RTL)
    assert all(backend_available(kind, Backend.HLS) for kind in HwKind)


def test_specialize_needs_a_backend_to_choose():
    with pytest.raises(SNN2FPGAError, match="unknown backend 'hw'; use one of hls, rtl, auto"):
        SpecializeLayers(Backend.HW)


def test_a_node_of_an_unknown_backend_is_an_error_naming_it():
    model = make_hw_model([64, 10])
    node = model.graph.node[1]
    node.op_type = "DenseReadout_vhdl"
    with pytest.raises(SNN2FPGAError, match=r"node layer0 \(DenseReadout_vhdl\): unknown backend 'vhdl'"):
        stage_specs(model)
    node.op_type, node.domain = "DenseReadout_hls", "snn2fpga.ops.hw"
    with pytest.raises(SNN2FPGAError, match="belongs in domain snn2fpga.ops.hls, not snn2fpga.ops.hw"):
        read_spec(model, node)


def test_an_op_class_with_the_facts_of_another_kind_is_an_error(monkeypatch, fresh_facts):
    class SpikingDense_rtl(SpikingDense):  # noqa: N801
        hw_facts = SpikeCounterFacts

    monkeypatch.setitem(registry._OP_REGISTRY, Backend.RTL.domain, {"SpikingDense_rtl": {1: SpikingDense_rtl}})
    with pytest.raises(SNN2FPGAError, match="must name the facts of a SpikingDense in hw_facts"):
        facts_for(HwKind.SPIKING_DENSE, Backend.RTL)


def test_hand_built_specs_find_their_facts_by_kind_and_backend(fake_rtl):
    spec = StageSpec("layer0", HwKind.SPIKING_DENSE, timesteps=4, n_in=16, n_out=8, weight_bits=4, state_bits=12)
    assert type(spec.facts) is SpikingDenseFacts
    assert type(replace(spec, backend=Backend.RTL).facts) is FakeDenseRtlFacts
    assert isinstance(replace(spec, backend=Backend.HLS).facts, StageFacts)
