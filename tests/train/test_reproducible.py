"""Training is reproducible: the same seed gives the same weights (initialisation included)."""

from __future__ import annotations

import torch

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.commands import TrainOptions, run_train


def _train(path, seed: int) -> dict[str, torch.Tensor]:
    run_train(TrainOptions(dataset="digits", output=path, hidden=(16,), timesteps=4, epochs=1, seed=seed,
                           progress=False), log=lambda _m: None)
    model, _ = load_checkpoint(path)
    return model.state_dict()


def test_same_seed_same_model(tmp_path):
    a, b = _train(tmp_path / "a.pt", 3), _train(tmp_path / "b.pt", 3)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    c = _train(tmp_path / "c.pt", 4)
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())
