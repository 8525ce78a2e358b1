"""Datasets available without network access: digits (bundled), Fashion-MNIST / MNIST (IDX files)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import numpy as np

from snn2fpga.cache import cache_root
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


Split = tuple[np.ndarray, np.ndarray]
"""Images and labels of one split."""

# uint8 intensity -> float32 feature: the LUT holds float32(u / 255.0) for u = 0..255 (the values a
# float64 division then a cast gave), so the conversion is exact and never passes through float64
_U8_TO_FEATURE = (np.arange(256) / 255.0).astype(np.float32)


def features_from_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 intensities -> float32 features in [0, 1] (u / 255, bit-identical to the float64 route)."""
    return _U8_TO_FEATURE[images]


class Dataset:
    """A classification dataset: features in [0, 1] (float32, [N, *input_shape]) and int64 labels.

    A split may be given as arrays, or as a zero-argument loader returning (x, y) that runs on the
    first access of that split (so a command using only the test split never reads the training
    one). A split given as uint8 pixels stays uint8 until its features are first asked for, and then
    becomes float32 u / 255 directly (never a float64 copy of the whole split).
    """

    def __init__(self, name: str, x_train: np.ndarray | None, y_train: np.ndarray | None, x_test: np.ndarray | None,
                 y_test: np.ndarray | None, classes: list[str], *, train: Callable[[], Split] | None = None,
                 test: Callable[[], Split] | None = None) -> None:
        self.name = name
        self.classes = classes
        self._loaders = {"train": train, "test": test}
        self._splits: dict[str, Split] = {}
        self._features: dict[str, np.ndarray] = {}
        for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
            if x is not None and y is not None:
                self._splits[split] = (x, y)
            elif self._loaders[split] is None:
                raise SNN2FPGAError(f"dataset {name}: the {split} split has neither arrays nor a loader")

    def _split(self, split: str) -> Split:
        if split not in self._splits:
            loader = self._loaders[split]
            assert loader is not None
            self._splits[split] = loader()
        return self._splits[split]

    def _x(self, split: str) -> np.ndarray:
        x = self._split(split)[0]
        if x.dtype != np.uint8:
            return x
        if split not in self._features:
            self._features[split] = features_from_uint8(x)
        return self._features[split]

    @property
    def x_train(self) -> np.ndarray:
        return self._x("train")

    @property
    def y_train(self) -> np.ndarray:
        return self._split("train")[1]

    @property
    def x_test(self) -> np.ndarray:
        return self._x("test")

    @property
    def y_test(self) -> np.ndarray:
        return self._split("test")[1]

    @property
    def input_shape(self) -> list[int]:
        """Per-sample shape (from whichever split is loaded; the test split otherwise)."""
        x = self._splits.get("train", self._split("test"))[0]
        return [int(s) for s in x.shape[1:]]


def parse_dataset_name(name: str) -> DatasetName:
    """The dataset enum for a user-given name, or a clear error listing the known ones."""
    try:
        return DatasetName(name)
    except ValueError:
        known = ", ".join(d.value for d in DatasetName)
        raise SNN2FPGAError(f"unknown dataset {name!r}; known datasets: {known}") from None


def _digits_split() -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) of the digits split, computed by scikit-learn."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=y
    )
    return x_tr, y_tr, x_te, y_te


def _digits_cache_file() -> Path | None:
    """Where the digits split is cached: keyed by scikit-learn's version and the bytes of its bundled
    digits file, both found without importing scikit-learn (its import takes seconds); None when the
    file is not where scikit-learn keeps it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    csv = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    if not csv.is_file():
        return None
    h = hashlib.sha256(csv.read_bytes())
    h.update(f"{importlib.metadata.version('scikit-learn')} {DIGITS_TEST_FRACTION} {DIGITS_SPLIT_SEED}".encode())
    return cache_root() / "datasets" / f"digits-{h.hexdigest()[:24]}.npz"


def _save_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz cache entry via a temporary file; a cache that cannot be written is skipped."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def load_digits_dataset() -> Dataset:
    """scikit-learn's bundled 8x8 digits, fixed stratified 80/20 split (1437 train / 360 test).

    The split scikit-learn computes is cached (see :func:`_digits_cache_file`), so that commands on
    digits do not pay scikit-learn's import every time."""
    path = _digits_cache_file()
    names = ("x_train", "y_train", "x_test", "y_test")
    if path is not None and path.is_file():
        try:
            with np.load(path) as f:
                x_tr, y_tr, x_te, y_te = (f[k] for k in names)
            return Dataset("digits", x_tr, y_tr, x_te, y_te, [str(i) for i in range(10)])
        except (OSError, KeyError, ValueError):
            pass  # unreadable: computed again and rewritten below
    x_tr, y_tr, x_te, y_te = _digits_split()
    if path is not None:
        _save_atomically(path, dict(zip(names, (x_tr, y_tr, x_te, y_te), strict=True)))
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

    def split(which: str) -> Split:
        xs, ys = read_idx(paths[f"{which}_x"]), read_idx(paths[f"{which}_y"])  # type: ignore[arg-type]
        if xs.ndim != 3 or ys.ndim != 1 or xs.shape[0] != ys.shape[0]:
            raise SNN2FPGAError(
                f"{name.value} {which} files disagree: images {xs.shape}, labels {ys.shape} "
                "(expected images [N, H, W] and labels [N])"
            )
        if xs.dtype != np.uint8:  # not MNIST's bytes: scaled as 8-bit intensities all the same
            xs = (xs / 255.0).astype(np.float32)
        return xs, ys.astype(np.int64)

    classes = FASHION_CLASSES if name is DatasetName.FASHION_MNIST else [str(i) for i in range(10)]
    # the test split is small and nearly always used (evaluation, verification, C-simulation): read now,
    # so a broken file fails here; the training split (6x larger) only when something trains on it
    x_test, y_test = split("test")
    return Dataset(name.value, None, None, x_test, y_test, classes, train=lambda: split("train"))


def load_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load a dataset by name; ``data_dir`` points at IDX files for fashion-mnist / mnist."""
    ds = parse_dataset_name(name)
    if ds is DatasetName.DIGITS:
        return load_digits_dataset()
    return load_idx_dataset(ds, Path(data_dir) if data_dir is not None else None)
