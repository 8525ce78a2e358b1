"""Learned thresholds and leaks through the whole CLI: train -> export --verify all -> build (C-sim).

The learned values must reach the graph as the integers the layer uses: theta[c] = round(thr[c] / scale[c])
per channel and the learned beta_q of a `mult` leak; every stage then agrees with == (0 mismatches).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.cli import main
from snn2fpga.nn.neurons import LIF


def _json_last(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _learned_lifs(model) -> list[tuple[int, LIF]]:
    return [(i, m) for i, m in enumerate(model.layers) if isinstance(m, LIF)]


ARCHS = {
    "lif-mlp": ["--hidden", "24", "--epochs", "3"],
    "lif-cnn": ["--arch", "lif-cnn", "--channels", "4", "--kernel", "3", "--epochs", "1", "--per-channel"],
}


@pytest.fixture(scope="module", params=sorted(ARCHS))
def trained(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(request.param)
    rc = main(["train", "--dataset", "digits", *ARCHS[request.param], "--learn-threshold", "--learn-leak",
               "--leak-shift", "3", "--no-progress", "-o", str(d / "model.pt")])
    assert rc == 0
    return d


def test_learned_values_moved_and_reach_the_graph(trained):
    model, meta = load_checkpoint(trained / "model.pt")
    assert meta["training"]["learn_threshold"] and meta["training"]["learn_leak"]
    assert main(["export", str(trained / "model.pt"), "--verify", "all"]) == 0
    graph = ModelWrapper(str(trained / "model.onnx"))
    lif_nodes = [getCustomOp(n) for n in graph.graph.node if n.op_type == "LIF"]
    lifs = _learned_lifs(model)
    assert len(lif_nodes) == len(lifs) >= 1
    for node, (i, lif) in zip(lif_nodes, lifs, strict=True):
        thr = lif.learned_threshold.values()
        assert not np.allclose(thr, 1.0)  # training moved them away from --threshold 1.0
        _, scale = model.layers[i - 1].integer_weight()
        s = np.broadcast_to(scale.detach().numpy().astype(np.float64).reshape(-1), thr.shape)
        expected = np.floor(thr / s + 0.5).astype(np.int64)
        assert node.get_nodeattr("threshold") == expected.tolist()
        assert len(set(expected.tolist())) > 1  # really per channel
        # the leak: the learned beta as the mult leak's integer (started at 224 = (1 - 2^-3) 2^8)
        assert node.get_nodeattr("leak") == "mult" and node.get_nodeattr("beta_frac_bits") == 8
        assert node.get_nodeattr("beta_q") == lif.params.beta_q


def test_export_verify_all_and_csim_have_zero_mismatches(trained, tmp_path, capsys):
    assert main(["export", str(trained / "model.pt"), "--verify", "all", "--json"]) == 0
    exported = _json_last(capsys)
    assert exported["verified_samples"] == 360 and exported["mismatches"] == 0  # QONNX == PyTorch integer path
    out = tmp_path / "b"
    rc = main(["build", "--model", str(trained / "model.onnx"), "-o", str(out), "--json"])
    summary = _json_last(capsys)
    assert rc == 4  # everything but the vendor tools
    assert summary["csim"]["samples"] == 360 and summary["csim"]["mismatches"] == 0  # C-sim == QONNX
    assert summary["estimate"]["dsp"] >= 1  # the learned leak is a multiplier: the estimate counts its DSPs
    model, meta = load_checkpoint(trained / "model.pt")
    assert summary["csim"]["accuracy"] == meta["metrics"]["test_accuracy"]


def test_a_moved_beta_ships_as_its_fixed_point_value(trained, tmp_path, capsys):
    """beta_q comes from the learned parameter, not the configured leak: move it and export again."""
    import torch

    from snn2fpga.checkpoint import save_checkpoint

    model, meta = load_checkpoint(trained / "model.pt")
    (_, lif), *_ = _learned_lifs(model)
    with torch.no_grad():
        lif.learned_beta.raw.fill_(1.0)  # sigmoid(1) = 0.7311 -> beta_q = round(0.7311 * 256) = 187
    assert lif.params.beta_q == 187
    save_checkpoint(model, tmp_path / "moved.pt", meta["metrics"], meta["training"])
    assert main(["export", str(tmp_path / "moved.pt"), "--verify", "all", "--json"]) == 0
    assert _json_last(capsys)["mismatches"] == 0
    graph = ModelWrapper(str(tmp_path / "moved.onnx"))
    node = getCustomOp(next(n for n in graph.graph.node if n.op_type == "LIF"))
    assert node.get_nodeattr("beta_q") == 187
