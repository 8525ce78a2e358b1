"""NIR Conv2d -> our QuantConv2d: snnTorch's conv graphs, exactness in float, refusals, build + C-sim."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from snn2fpga.cli import main
from snn2fpga.nir import ImportOptions, NIRRefusal, import_nir
from tests.nir.graphs import chain, lif, nir

snn = pytest.importorskip("snntorch")
nirtorch = pytest.importorskip("nirtorch")


def _snntorch_conv_graph():
    from snntorch.export_nir import _extract_snntorch_module

    torch.manual_seed(0)
    kw = {"init_hidden": True, "reset_mechanism": "zero", "reset_delay": False}
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), snn.Leaky(beta=0.875, **kw),
                              torch.nn.Flatten(), torch.nn.Linear(256, 10, bias=False),
                              snn.Leaky(beta=0.875, output=True, **kw))
    with torch.no_grad():
        net[0].weight.mul_(4.0)
        net[3].weight.mul_(4.0)
    # export_to_nir's type inference fails here too; the untyped graph is what our importer reads
    graph = nirtorch.extract_nir_graph(net, _extract_snntorch_module, torch.zeros(1, 1, 8, 8), model_name="snntorch")
    return net.eval(), graph


def test_snntorch_conv_graph_float_path_equals_snntorch(digits):
    from snntorch import utils

    from tests.nir.snntorch_digits import spikes_of

    net, graph = _snntorch_conv_graph()
    res = import_nir(graph, None, ImportOptions(dataset="digits", reset="zero"))
    assert [s["type"] for s in res.model.spec.layers] == ["conv", "lif", "flatten", "linear", "lif"]
    assert res.model.spec.input_shape == [1, 8, 8]
    x = digits.x_test[:80]
    spikes = spikes_of(x)
    utils.reset(net)
    with torch.no_grad():
        theirs = torch.stack([net(spikes[t].reshape(-1, 1, 8, 8))[0] for t in range(spikes.shape[0])]).numpy()
        ours = res.float_model(x).numpy()
    assert theirs.sum() > 0 and (theirs == 0).any()
    assert np.array_equal(ours, theirs)


def test_conv_import_builds_with_zero_csim_mismatches(tmp_path, capsys):
    _, graph = _snntorch_conv_graph()
    ckpt = tmp_path / "c.pt"
    import_nir(graph, ckpt, ImportOptions(dataset="digits", weight_bits=6))
    rc = main(["build", "--model", str(ckpt), "-o", str(tmp_path / "b"), "--csim-samples", "10", "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 4 and summary["csim"]["samples"] == 10 and summary["csim"]["mismatches"] == 0


def _conv(**kw):
    args = {"input_shape": None, "weight": np.ones((2, 1, 3, 3)), "stride": 1, "padding": 1, "dilation": 1,
            "groups": 1, "bias": np.zeros(2)}
    args.update(kw)
    return nir.Conv2d(**args)


@pytest.mark.parametrize("conv,words", [
    (_conv(bias=np.ones(2)), "bias is non-zero"),
    (_conv(dilation=2), "dilated"),
    (_conv(weight=np.ones((2, 1, 3, 2))), "not [out, in, K, K]"),
    (_conv(stride=(1, 2)), "stride [1, 2] is not square"),
    (_conv(weight=np.ones((2, 1, 4, 4)), padding="same"), "odd kernel"),
    (_conv(weight=np.ones((2, 3, 3, 3))), "takes 3 channels"),
])
def test_conv_refusals(digits, conv, words):
    g = chain(conv, lif(1), nir.Flatten(input_type=None), nir.Linear(weight=np.ones((10, 128))), lif(10),
              input_shape=[1, 8, 8])
    with pytest.raises(NIRRefusal, match=r"'n0' \(Conv2d\)") as err:
        import_nir(g, None, ImportOptions(dataset="digits"))
    assert words in str(err.value)


def test_per_position_parameters_and_conv_readout(digits):
    tau = np.full((2, 8, 8), 8e-4)
    tau[1, 3, 3] = 1e-3
    node = nir.LIF(tau=tau, r=tau / 1e-4, v_leak=np.zeros_like(tau), v_threshold=np.ones_like(tau))
    g = chain(_conv(), node, nir.Flatten(input_type=None), nir.Linear(weight=np.ones((10, 128))), lif(10),
              input_shape=[1, 8, 8])
    with pytest.raises(NIRRefusal, match=r"'n1' \(LIF\).*tau differs between the positions of a channel"):
        import_nir(g, None, ImportOptions(dataset="digits"))
    with pytest.raises(NIRRefusal, match=r"'n1' \(LIF\).*readout is a dense layer"):
        import_nir(chain(_conv(), lif(1), input_shape=[1, 8, 8]), None, ImportOptions(dataset="digits"))
