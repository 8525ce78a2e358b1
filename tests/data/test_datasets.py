"""Dataset loaders: digits split, IDX reader, clear errors for missing/broken files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from snn2fpga.data import load_dataset, read_idx
from snn2fpga.data.datasets import features_from_uint8
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.semantics import quantize_input


def _idx(arr: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def _write_mnist_dir(d, n_train=6, n_test=4, gz=True):
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 5, 5), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 5, 5), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, arr in files.items():
        data = _idx(arr)
        (d / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return files


def test_digits_split_is_fixed(digits):
    assert digits.x_train.shape == (1437, 8, 8) and digits.x_test.shape == (360, 8, 8)
    assert 0.0 <= digits.x_train.min() and digits.x_train.max() == 1.0
    again = load_dataset("digits")
    assert np.array_equal(again.y_test, digits.y_test)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_dataset_from_dir(tmp_path, gz):
    files = _write_mnist_dir(tmp_path, gz=gz)
    ds = load_dataset("fashion-mnist", tmp_path)
    assert ds.x_train.shape == (6, 5, 5) and ds.classes[0] == "T-shirt/top"
    assert np.array_equal(np.round(ds.x_test * 255).astype(np.uint8), files["t10k-images-idx3-ubyte"])
    assert np.array_equal(ds.y_train, files["train-labels-idx1-ubyte"])
    assert load_dataset("mnist", tmp_path).classes[3] == "3"


def test_missing_fashion_files_say_how_to_get_them(tmp_path):
    with pytest.raises(SNN2FPGAError, match="apt-get install dataset-fashion-mnist.*--data-dir"):
        load_dataset("fashion-mnist", tmp_path)


def test_mnist_needs_a_data_dir():
    with pytest.raises(SNN2FPGAError, match="--data-dir"):
        load_dataset("mnist")


def test_unknown_dataset_lists_known():
    with pytest.raises(SNN2FPGAError, match="unknown dataset 'cifar'.*digits, fashion-mnist"):
        load_dataset("cifar")


def test_truncated_and_bad_idx(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    good = tmp_path / "a"
    good.write_bytes(_idx(arr))
    assert np.array_equal(read_idx(good), arr)
    trunc = tmp_path / "b"
    trunc.write_bytes(_idx(arr)[:-3])
    with pytest.raises(SNN2FPGAError, match="truncated"):
        read_idx(trunc)
    bad = tmp_path / "c"
    bad.write_bytes(b"hello world")
    with pytest.raises(SNN2FPGAError, match="not an IDX file"):
        read_idx(bad)


def test_mismatched_image_label_counts(tmp_path):
    _write_mnist_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.zeros(9, dtype=np.uint8))))
    with pytest.raises(SNN2FPGAError, match="disagree"):
        load_dataset("fashion-mnist", tmp_path)


def test_only_the_used_split_is_read(tmp_path):
    """The training split is read on first use: a broken training file does not stop test-only work."""
    files = _write_mnist_dir(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.zeros(9, dtype=np.uint8))))
    ds = load_dataset("fashion-mnist", tmp_path)
    assert ds.input_shape == [5, 5] and ds.x_test.dtype == np.float32
    assert np.array_equal(ds.y_test, files["t10k-labels-idx1-ubyte"])
    with pytest.raises(SNN2FPGAError, match="train files disagree"):
        _ = ds.x_train


def test_uint8_features_equal_the_float64_route():
    """float32(u / 255) straight from the bytes: bit-identical to dividing in float64, for every byte."""
    u = np.arange(256, dtype=np.uint8).reshape(16, 4, 4)
    got = features_from_uint8(u)
    assert got.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), (u / 255.0).astype(np.float32).view(np.uint32))
    assert np.array_equal(quantize_input(got), u)  # the host's 8-bit codes come back unchanged


def test_digits_split_cache_equals_scikit_learn(tmp_path, monkeypatch):
    from snn2fpga.data import datasets

    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path))
    path = datasets._digits_cache_file()
    assert path is not None and not path.exists()
    first = load_dataset("digits")  # computed by scikit-learn, then cached
    assert path.is_file()
    second = load_dataset("digits")  # from the cache
    fresh = datasets._digits_split()
    for got in (first, second):
        for arr, want in zip((got.x_train, got.y_train, got.x_test, got.y_test), fresh, strict=True):
            assert arr.dtype == want.dtype and np.array_equal(arr, want)
    path.write_bytes(b"not an npz")  # a broken entry is recomputed and rewritten
    assert np.array_equal(load_dataset("digits").x_test, fresh[2])
    with np.load(path) as f:
        assert np.array_equal(f["y_test"], fresh[3])
