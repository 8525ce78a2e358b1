"""Datasets available without network access: digits (bundled), Fashion-MNIST / MNIST (IDX files)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from snn2fpga.data.idx import find_idx, read_idx
from snn2fpga.errors import SNN2FPGAError

FASHION_MNIST_DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0
_IDX_STEMS = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}


class DatasetName(StrEnum):
    """Datasets snn2fpga knows."""

    DIGITS = "digits"
    FASHION_MNIST = "fashion-mnist"
    MNIST = "mnist"


@dataclass
class Dataset:
    """A classification dataset with features scaled to [0, 1] (float32, [N, *input_shape])."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]

    @property
    def input_shape(self) -> list[int]:
        return [int(s) for s in self.x_train.shape[1:]]


def parse_dataset_name(name: str) -> DatasetName:
    """The dataset enum for a user-given name, or a clear error listing the known ones."""
    try:
        return DatasetName(name)
    except ValueError:
        known = ", ".join(d.value for d in DatasetName)
        raise SNN2FPGAError(f"unknown dataset {name!r}; known datasets: {known}") from None


def load_digits_dataset() -> Dataset:
    """scikit-learn's bundled 8x8 digits, fixed stratified 80/20 split (1437 train / 360 test)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=y
    )
    return Dataset("digits", x_tr, y_tr, x_te, y_te, [str(i) for i in range(10)])


def load_idx_dataset(name: DatasetName, data_dir: Path | None) -> Dataset:
    """MNIST-format IDX files (train/t10k images+labels) from ``data_dir``."""
    directory = data_dir if data_dir is not None else FASHION_MNIST_DEFAULT_DIR
    how = (
        "install the Debian package with `apt-get install dataset-fashion-mnist` "
        f"(files land in {FASHION_MNIST_DEFAULT_DIR}) or pass --data-dir DIR holding the four IDX files"
        if name is DatasetName.FASHION_MNIST
        else "pass --data-dir DIR holding the four MNIST IDX files"
    )
    if name is DatasetName.MNIST and data_dir is None:
        raise SNN2FPGAError(f"MNIST is not bundled: {how}")
    paths = {k: find_idx(directory, stem) for k, stem in _IDX_STEMS.items()}
    missing = [_IDX_STEMS[k] for k, p in paths.items() if p is None]
    if missing:
        raise SNN2FPGAError(f"{name.value} files missing in {directory}: {', '.join(missing)} (.gz or plain); {how}")
    arrays = {k: read_idx(p) for k, p in paths.items() if p is not None}
    for split in ("train", "test"):
        xs, ys = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if xs.ndim != 3 or ys.ndim != 1 or xs.shape[0] != ys.shape[0]:
            raise SNN2FPGAError(
                f"{name.value} {split} files disagree: images {xs.shape}, labels {ys.shape} "
                "(expected images [N, H, W] and labels [N])"
            )
    classes = FASHION_CLASSES if name is DatasetName.FASHION_MNIST else [str(i) for i in range(10)]
    return Dataset(
        name.value,
        (arrays["train_x"] / 255.0).astype(np.float32),
        arrays["train_y"].astype(np.int64),
        (arrays["test_x"] / 255.0).astype(np.float32),
        arrays["test_y"].astype(np.int64),
        classes,
    )


def load_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load a dataset by name; ``data_dir`` points at IDX files for fashion-mnist / mnist."""
    ds = parse_dataset_name(name)
    if ds is DatasetName.DIGITS:
        return load_digits_dataset()
    return load_idx_dataset(ds, Path(data_dir) if data_dir is not None else None)
