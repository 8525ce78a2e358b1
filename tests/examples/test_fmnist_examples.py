"""The shipped Fashion-MNIST examples: the C-simulation of their generated top reproduces the
stated (PyTorch integer) accuracy, on a subset by default and on the full 10,000-image test set
with ``-m slow``. They need the Debian package dataset-fashion-mnist (`make data` installs it)."""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.data import load_dataset
from snn2fpga.data.datasets import FASHION_MNIST_DEFAULT_DIR
from tests.examples.build_example import EXAMPLES, build_example

FMNIST_EXAMPLES = ["fmnist-lif-mlp", "fmnist-lif-cnn"]
needs_fmnist = pytest.mark.skipif(
    not (FASHION_MNIST_DEFAULT_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST is not installed: `make data` (apt-get install dataset-fashion-mnist)",
)


@pytest.mark.parametrize("name", FMNIST_EXAMPLES)
def test_stated_accuracy_matches_checkpoint_and_readme(name):
    _, meta = load_checkpoint(EXAMPLES / f"{name}.pt")
    acc = meta["metrics"]["test_accuracy"]
    assert meta["training"]["dataset"] == "fashion-mnist" and meta["training"]["weight_bits"] == 4
    assert f"{acc:.2%}".replace("%", " %") in (EXAMPLES / "README.md").read_text()


@needs_fmnist
@pytest.mark.parametrize("name,samples", [("fmnist-lif-mlp", 500), ("fmnist-lif-cnn", 100)])
def test_csim_subset_equals_pytorch(name, samples, tmp_path, capsys):
    model, _ = load_checkpoint(EXAMPLES / f"{name}.pt")
    data = load_dataset("fashion-mnist")
    expected = float(np.mean(model.predict(data.x_test[:samples]) == data.y_test[:samples]))
    csim = build_example(name, tmp_path / "b", samples, capsys)["csim"]
    assert csim["samples"] == samples and csim["mismatches"] == 0
    assert csim["accuracy"] == expected


@pytest.mark.slow
@needs_fmnist
@pytest.mark.parametrize("name", FMNIST_EXAMPLES)
def test_csim_full_test_set_reproduces_stated_accuracy(name, tmp_path, capsys):
    _, meta = load_checkpoint(EXAMPLES / f"{name}.pt")
    csim = build_example(name, tmp_path / "b", None, capsys)["csim"]
    assert csim["samples"] == 10_000 and csim["mismatches"] == 0
    assert csim["accuracy"] == meta["metrics"]["test_accuracy"]
