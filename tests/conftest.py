"""Shared fixtures: small trained models are built once per session."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from snn2fpga.data import load_dataset
from snn2fpga.nn import SNNClassifier, lif_mlp_spec
from snn2fpga.train import TrainConfig, train_bptt

# pytest-xdist runs one worker per core: one torch thread each avoids oversubscribing the cores
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="session")
def small_trained(digits) -> SNNClassifier:
    """A quickly trained digits lif-mlp (hidden 32, 4-bit weights)."""
    torch.manual_seed(0)
    spec = lif_mlp_spec(64, [32], digits.classes, digits.input_shape, weight_bits=4, state_bits=16)
    model = SNNClassifier(spec)
    train_bptt(model, digits, TrainConfig(epochs=2, progress=False), log=lambda _: None)
    return model.eval()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
