"""PyTorch integer path == numpy reference == QONNX execution, exactly (property-based)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from snn2fpga.export import build_graph, collect_layers, run_graph
from snn2fpga.export.graph import GraphMeta
from snn2fpga.nn import IF, LI, LIF, QuantLinear
from snn2fpga.semantics import dense_currents, run_neurons


class UserNet(torch.nn.Module):
    """A user's own module built from snn2fpga layers (forward takes spikes [T, B, N])."""

    def __init__(self, sizes, weight_bits, state_bits, neuron_kw, per_channel, readout_li):
        super().__init__()
        self.blocks = torch.nn.ModuleList()
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            last = i == len(sizes) - 2
            neuron = LI(state_bits=state_bits) if (last and readout_li) else neuron_kw["make"](state_bits)
            self.blocks.append(torch.nn.ModuleList([QuantLinear(a, b, weight_bits, per_channel), neuron]))

    def forward(self, x):
        for syn, neu in self.blocks:
            x = neu(syn(x))
        return x


NEURONS = st.sampled_from([
    dict(name="lif-shift-sub", make=lambda sb: LIF(leak_shift=2, threshold=0.3, state_bits=sb)),
    dict(name="lif-shift-zero", make=lambda sb: LIF(leak_shift=1, threshold=0.2, reset="zero", state_bits=sb)),
    dict(name="lif-mult-sub", make=lambda sb: LIF(beta=0.9, threshold=0.25, state_bits=sb)),
    dict(name="lif-mult-zero", make=lambda sb: LIF(beta=0.6, threshold=0.4, reset="zero", state_bits=sb)),
    dict(name="if-sub", make=lambda sb: IF(threshold=0.5, state_bits=sb)),
    dict(name="if-zero", make=lambda sb: IF(threshold=0.3, reset="zero", state_bits=sb)),
])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(1, 12), min_size=2, max_size=4),
    weight_bits=st.integers(2, 8),
    state_bits=st.integers(8, 24),
    neuron=NEURONS,
    per_channel=st.booleans(),
    readout_li=st.booleans(),
    steps=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_torch_equals_reference_equals_qonnx(sizes, weight_bits, state_bits, neuron, per_channel, readout_li,
                                             steps, seed):
    torch.manual_seed(seed)
    net = UserNet(sizes, weight_bits, state_bits, neuron, per_channel, readout_li)
    with torch.no_grad():
        for syn, _ in net.blocks:
            syn.weight.mul_(3.0)  # large weights: exercise saturation at small state widths
    net.eval()
    rng = np.random.default_rng(seed)
    spikes = (rng.random((steps, 3, sizes[0])) < 0.5).astype(np.float32)
    try:
        out = net(torch.from_numpy(spikes))
    except Exception as exc:  # thresholds outside a tiny state range are a legitimate, clear refusal
        assert "state range" in str(exc)
        event("threshold refused")
        return
    event("compared")
    layers = collect_layers(net)
    # 1) PyTorch integer path == numpy reference, layer by layer
    s = spikes.astype(np.uint8)
    for layer in layers:
        ref = run_neurons(dense_currents(s, layer.weight), layer.threshold, layer.neuron.params)
        tr = layer.neuron.last_trace
        assert np.array_equal(ref.spikes, tr.spikes)
        assert np.array_equal(ref.v_final, tr.v_final)
        assert np.array_equal(ref.saturations, tr.saturations)
        s = ref.spikes
        if ref.saturations.any():
            event("saturated")
    # 2) QONNX execution == reference
    meta = GraphMeta(steps, None, 0, "membrane", [str(i) for i in range(sizes[-1])], [sizes[0]])
    ctx = run_graph(build_graph(layers, meta), spikes)
    for layer in layers:
        tr = layer.neuron.last_trace
        if layer.neuron.spiking:
            assert np.array_equal(ctx[f"{layer.name}_spikes"].astype(np.uint8), tr.spikes)
        assert np.array_equal(ctx[f"{layer.name}_vfinal"], tr.v_final)
        assert np.array_equal(ctx[f"{layer.name}_sat"], tr.saturations)
    final = out.numpy()
    if readout_li:
        assert np.array_equal(ctx["scores"], final[-1])
    else:
        assert np.array_equal(ctx["scores"], final.sum(axis=0))
