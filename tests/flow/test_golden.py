"""Golden vectors of the deploy package: the QONNX reference that the C-simulation step computed is
stored with a digest of the graph and inputs, and the deploy step reuses it only when both match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.flow import deploy
from snn2fpga.flow.deploy import golden_vectors, inputs_digest, load_reference, save_reference

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-lif-mlp.onnx"


def _inputs(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (6, 64)).astype(np.uint8)


def test_reference_round_trip_and_digest(tmp_path):
    x = _inputs()
    digest = inputs_digest(EXAMPLE, x)
    assert digest == inputs_digest(EXAMPLE, x.copy())
    assert digest != inputs_digest(EXAMPLE, _inputs(1))
    other = tmp_path / "other.onnx"
    other.write_bytes(EXAMPLE.read_bytes() + b"\0")
    assert digest != inputs_digest(other, x)
    scores, preds = np.arange(60).reshape(6, 10), np.arange(6)
    path = tmp_path / "ref.npz"
    save_reference(path, digest, scores, preds)
    got = load_reference(path, digest)
    assert got is not None and np.array_equal(got[0], scores) and np.array_equal(got[1], preds)
    assert load_reference(path, inputs_digest(EXAMPLE, _inputs(1))) is None
    assert load_reference(tmp_path / "missing.npz", digest) is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert load_reference(tmp_path / "bad.npz", digest) is None


def test_golden_vectors_use_the_reference_or_run_qonnx(tmp_path, monkeypatch):
    model = ModelWrapper(str(EXAMPLE))
    x = _inputs()
    golden_vectors(model, x, None, "rate", tmp_path / "qonnx.npz")
    with np.load(tmp_path / "qonnx.npz") as ran:
        scores, preds = ran["scores"], ran["predictions"]
    # computed in batches: the same vectors as one run per sample
    monkeypatch.setattr(deploy, "GOLDEN_BATCH", 1)
    golden_vectors(model, x, None, "rate", tmp_path / "one.npz")
    with np.load(tmp_path / "one.npz") as one:
        assert np.array_equal(one["scores"], scores) and np.array_equal(one["predictions"], preds)

    def no_qonnx(*_args, **_kwargs):
        raise AssertionError("QONNX ran although a reference was given")

    monkeypatch.setattr(deploy, "run_graph", no_qonnx)
    golden_vectors(model, x, None, "rate", tmp_path / "reused.npz", (scores, preds))
    with np.load(tmp_path / "reused.npz") as reused:
        assert np.array_equal(reused["scores"], scores) and np.array_equal(reused["predictions"], preds)
    with pytest.raises(AssertionError, match="QONNX ran"):
        golden_vectors(model, x, None, "rate", tmp_path / "again.npz")
