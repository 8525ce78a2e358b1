"""Checkpoints round-trip, and every kind of bad file is refused with a clear message."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.errors import SNN2FPGAError


def test_roundtrip_preserves_integer_behaviour(tmp_path, small_trained, digits):
    path = save_checkpoint(small_trained, tmp_path / "m.pt", {"test_accuracy": 0.5}, {"dataset": "digits"})
    model, meta = load_checkpoint(path)
    assert meta["metrics"]["test_accuracy"] == 0.5
    x = digits.x_test[:50]
    assert np.array_equal(model.predict(x), small_trained.predict(x))
    assert model.spec.to_dict() == small_trained.spec.to_dict()


def test_missing_checkpoint(tmp_path):
    with pytest.raises(SNN2FPGAError, match="not found.*snn2fpga train"):
        load_checkpoint(tmp_path / "nope.pt")


@pytest.mark.parametrize("seed", range(40))
def test_corrupt_checkpoint(tmp_path, seed):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(np.random.default_rng(seed).integers(0, 256, 300, dtype=np.uint8).tobytes())
    with pytest.raises(SNN2FPGAError, match="corrupt or truncated"):
        load_checkpoint(bad)


def test_truncated_checkpoint(tmp_path, small_trained):
    path = save_checkpoint(small_trained, tmp_path / "m.pt")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SNN2FPGAError, match="corrupt or truncated"):
        load_checkpoint(path)


def test_bare_state_dict(tmp_path, small_trained):
    path = tmp_path / "sd.pt"
    torch.save(small_trained.state_dict(), path)
    with pytest.raises(SNN2FPGAError, match="bare state_dict.*save_checkpoint"):
        load_checkpoint(path)


def test_other_library_model_object(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(3, 2)), path)
    with pytest.raises(SNN2FPGAError, match="refused.*pickled"):
        load_checkpoint(path)


def test_other_library_dict(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"epoch": 3, "model_state": {"w": torch.zeros(2)}}, path)
    with pytest.raises(SNN2FPGAError, match="not an snn2fpga checkpoint"):
        load_checkpoint(path)


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['EVIL_MARKER']}",))


def test_pickle_carrying_code_is_refused_and_never_runs(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("EVIL_MARKER", str(marker))
    path = tmp_path / "evil.pt"
    with path.open("wb") as f:
        pickle.dump({"format": "snn2fpga-checkpoint", "payload": _Evil()}, f)
    with pytest.raises(SNN2FPGAError, match="refused"):
        load_checkpoint(path)
    assert not marker.exists()
