"""RadioML modulation datasets: RML2016.10a (pickle), RadioML 2018.01A (HDF5) and a synthetic stand-in.

All three give a ``RadioData``: I/Q frames float32 [N, T, 2] (time-major, I then Q, as stored: not
scaled, see ``iq_normalize``), labels int64, SNR int64 (dB), and a deterministic train/test split
stratified on (class, SNR). Neither real dataset is redistributed here: both are published by DeepSig
(https://www.deepsig.ai/datasets, also mirrored on opendata.deepsig.io) and must be downloaded by the user.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga.data.datasets import Dataset
from snn2fpga.data.radioml_synth import DEFAULT_SNRS, RML2016_CLASSES, RadioFrames, synth_radioml
from snn2fpga.data.radioml_synth24 import RML2018_CLASSES, RML2018_LENGTH, RML2018_SNRS, synth_radioml2018
from snn2fpga.errors import SNN2FPGAError

RML2016_FILE = "RML2016.10a_dict.pkl"
RML2018_FILE = "GOLD_XYZ_OSC.0001_1024.hdf5"
RADIO_DATASETS = ("radioml-synth", "radioml-synth24", "rml2016", "rml2018")
IQ_NORMALIZE_MODES = ("peak", "rms", "none")
DEFAULT_TEST_FRACTION = 0.2
_WHERE = "RadioML is published by DeepSig at https://www.deepsig.ai/datasets and must be downloaded by the user"
_ROW_BLOCK = 4096  # HDF5 rows read per block when a selection is dense


class RadioData(Dataset):
    """A ``Dataset`` of I/Q frames [N, T, 2] (not scaled to [0, 1]) with per-frame SNR in dB."""

    def __init__(self, name: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                 classes: list[str], snr_train: np.ndarray, snr_test: np.ndarray) -> None:
        super().__init__(name, x_train, y_train, x_test, y_test, classes)
        self.snr_train = snr_train
        self.snr_test = snr_test


def mean_accuracy_snr_ge0(by_snr: dict[str, float]) -> float | None:
    """Mean of per-SNR accuracies (keys: SNR in dB as text) over SNR >= 0 dB; every SNR of a stratified split
    holds the same number of test frames, so this is also the accuracy on those frames. None: no such SNR."""
    accs = [a for s, a in by_snr.items() if int(s) >= 0]
    return float(np.mean(accs)) if accs else None


def iq_normalize(iq: np.ndarray, mode: str = "peak") -> np.ndarray:
    """Per-frame scaling of I/Q frames [..., T, 2] before spike encoding (float32 result).

    ``peak`` divides each frame by its largest |I| or |Q|, so every value lies in [-1, 1] (the range the
    I/Q-plane encoder discretises); ``rms`` divides by the frame's RMS amplitude sqrt(mean(I^2 + Q^2)),
    giving unit average power; ``none`` leaves the values as they are. All-zero frames stay zero.
    """
    x = np.asarray(iq, dtype=np.float32)
    if x.ndim < 2 or x.shape[-1] != 2:
        raise SNN2FPGAError(f"iq_normalize expects I/Q frames [..., T, 2], got shape {list(x.shape)}")
    if mode == "none":
        return x.copy()
    if mode == "peak":
        scale = np.max(np.abs(x), axis=(-2, -1), keepdims=True)
    elif mode == "rms":
        scale = np.sqrt(np.mean(np.sum(x.astype(np.float64) ** 2, axis=-1), axis=-1))[..., None, None]
    else:
        raise SNN2FPGAError(f"unknown I/Q normalisation {mode!r}; known: {', '.join(IQ_NORMALIZE_MODES)}")
    return (x / np.where(scale > 0, scale, 1.0)).astype(np.float32)


def _resolve_classes(known: Sequence[str], classes: Iterable[str] | None, what: str) -> list[str]:
    if classes is None:
        return list(known)
    wanted = list(classes)
    unknown = [c for c in wanted if c not in known]
    if unknown or not wanted:
        raise SNN2FPGAError(f"{what}: unknown or empty class selection {unknown or wanted}; known: {', '.join(known)}")
    return [c for c in known if c in set(wanted)]


def _resolve_snrs(available: Iterable[int], snrs: Iterable[int] | None, what: str) -> list[int]:
    have = sorted({int(s) for s in available})
    if snrs is None:
        return have
    wanted = sorted({int(s) for s in snrs})
    missing = [s for s in wanted if s not in have]
    if missing or not wanted:
        raise SNN2FPGAError(f"{what}: SNRs {missing or wanted} dB not available; available: {have}")
    return wanted


def _subsample(idx: np.ndarray, keep: int | None, seed: int, group: tuple[int, int]) -> np.ndarray:
    """At most ``keep`` of the sorted indices ``idx`` of one (class, SNR) group, chosen by seed, sorted."""
    if keep is None or idx.size <= keep:
        return idx
    if keep < 1:
        raise SNN2FPGAError(f"max_per_class_snr must be >= 1, got {keep}")
    rng = np.random.default_rng(_split_seed(seed, group, 1))
    return np.sort(rng.choice(idx, keep, replace=False))


def _groups(labels: np.ndarray, snr: np.ndarray) -> list[tuple[tuple[int, int], np.ndarray]]:
    """The (class, SNR) groups as ((label, snr), ascending frame indices), sorted by label then SNR."""
    if labels.size == 0:
        return []
    order = np.lexsort((snr, labels))  # stable: indices ascend within a group
    key_change = (np.diff(labels[order]) != 0) | (np.diff(snr[order]) != 0)
    chunks = np.split(order, np.flatnonzero(key_change) + 1)
    return [((int(labels[c[0]]), int(snr[c[0]])), c) for c in chunks]


def _split_seed(seed: int, group: tuple[int, int], stream: int) -> np.random.SeedSequence:
    label, snr = group
    return np.random.SeedSequence([seed, stream, label, 2 * snr if snr >= 0 else -2 * snr - 1])


def split_radio(frames: RadioFrames, name: str, test_fraction: float = DEFAULT_TEST_FRACTION,
                seed: int = 0) -> RadioData:
    """Stratified train/test split: in every (class, SNR) group round(n * test_fraction) frames go to
    test (at least 1 and at most n - 1 when n >= 2), chosen by a seed derived from (seed, class, SNR).
    Both parts keep the source order; shuffle before SGD."""
    if not 0.0 < test_fraction < 1.0:
        raise SNN2FPGAError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    if seed < 0:
        raise SNN2FPGAError(f"split seed must be >= 0, got {seed}")
    is_test = np.zeros(frames.labels.shape[0], dtype=bool)
    for (label, snr), idx in _groups(frames.labels, frames.snr):
        n_test = int(round(idx.size * test_fraction))
        if idx.size >= 2:
            n_test = min(max(n_test, 1), idx.size - 1)
        rng = np.random.default_rng(_split_seed(seed, (label, snr), 0))
        is_test[rng.choice(idx, n_test, replace=False)] = True
    tr, te = ~is_test, is_test
    if not te.any() or not tr.any():
        raise SNN2FPGAError(f"{name}: the selection ({frames.labels.shape[0]} frames, at most one per class and SNR) "
                            f"leaves an empty {'test' if not te.any() else 'training'} split; select more frames "
                            "(more SNRs or a larger max_per_class_snr)")
    return RadioData(name, frames.iq[tr], frames.labels[tr], frames.iq[te], frames.labels[te], list(frames.classes),
                     frames.snr[tr], frames.snr[te])


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals numpy arrays need; anything else is refused before it is called."""

    def __init__(self, file: Any, path: Path) -> None:
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        allowed = _allowed_globals()
        if (module, name) not in allowed:
            raise SNN2FPGAError(
                f"{self._path}: refused to unpickle {module}.{name}: RML2016 files hold only numpy arrays"
            )
        found = allowed[(module, name)]
        return functools.partial(found, path=self._path) if found in (_latin1_encode, _empty_bytes) else found


def _latin1_encode(text: str, encoding: str = "latin1", *, path: Path) -> bytes:
    """What Python 3 protocol-2 pickles of ``bytes`` call (``_codecs.encode``), limited to latin-1."""
    if not isinstance(text, str) or encoding.lower().replace("_", "-") not in ("latin1", "latin-1"):
        raise SNN2FPGAError(
            f"{path}: refused to unpickle _codecs.encode with encoding {encoding!r}: RML2016 files hold only "
            "numpy arrays and latin-1 bytes"
        )
    return text.encode("latin1")


def _empty_bytes(*args: Any, path: Path) -> bytes:
    """What protocol-2 pickles call for an empty ``bytes`` (the data of an empty array): ``bytes()`` only."""
    if args:
        raise SNN2FPGAError(f"{path}: refused to unpickle bytes{args!r:.40}: RML2016 files hold only numpy arrays")
    return b""


@functools.cache
def _allowed_globals() -> dict[tuple[str, str], Callable[..., Any] | type]:
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric  # type: ignore[no-redef]
    table: dict[tuple[str, str], Callable[..., Any] | type] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
        ("__builtin__", "bytes"): _empty_bytes,
        ("builtins", "bytes"): _empty_bytes,
    }
    for core in ("numpy.core", "numpy._core"):
        table[(f"{core}.multiarray", "_reconstruct")] = multiarray._reconstruct
        table[(f"{core}.multiarray", "scalar")] = multiarray.scalar
        table[(f"{core}.numeric", "_frombuffer")] = numeric._frombuffer
    return table


def _read_rml2016_pickle(path: Path) -> dict[tuple[str, int], np.ndarray]:
    expected = "a dict {(modulation, SNR dB): float32 array [N, 2, T]} (RML2016.10a_dict.pkl)"
    try:
        with path.open("rb") as fh:
            obj = _RestrictedUnpickler(fh, path).load()
    except SNN2FPGAError:
        raise
    except OSError as exc:
        raise SNN2FPGAError(f"cannot read RML2016 file {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # corrupt pickles fail in many ways (EOFError, UnpicklingError, ValueError, ...)
        raise SNN2FPGAError(
            f"{path} is not a readable RML2016 pickle ({type(exc).__name__}: {exc}); expected {expected}"
        ) from None
    if not isinstance(obj, dict) or not obj:
        raise SNN2FPGAError(f"{path} holds a {type(obj).__name__}, expected {expected}")
    out: dict[tuple[str, int], np.ndarray] = {}
    for key, arr in obj.items():
        ok_key = (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str | bytes)
                  and isinstance(key[1], int | np.integer) and not isinstance(key[1], bool))
        if not ok_key:
            raise SNN2FPGAError(f"{path}: key {key!r} is not (modulation, SNR dB); expected {expected}")
        if not isinstance(arr, np.ndarray) or arr.ndim != 3 or arr.shape[1] != 2 or arr.dtype.kind != "f":
            what = f"array {arr.dtype} {list(arr.shape)}" if isinstance(arr, np.ndarray) else type(arr).__name__
            raise SNN2FPGAError(f"{path}: entry {key!r} is a {what}; expected {expected}")
        mod = key[0].decode("latin1") if isinstance(key[0], bytes) else key[0]
        out[(mod, int(key[1]))] = arr
    lengths = {a.shape[2] for a in out.values()}
    if len(lengths) != 1:
        raise SNN2FPGAError(f"{path}: frames of different lengths {sorted(lengths)}; expected one length T")
    return out


def load_rml2016(path: str | Path, classes: Iterable[str] | None = None, snrs: Iterable[int] | None = None,
                 max_per_class_snr: int | None = None, test_fraction: float = DEFAULT_TEST_FRACTION,
                 seed: int = 0) -> RadioData:
    """RML2016.10a (``RML2016.10a_dict.pkl``, a Python 2 pickle of {(mod, SNR): [N, 2, 128]}).

    The pickle is read with an unpickler that resolves only numpy array constructors, so a file holding
    anything else is refused without running it. Classes are the file's modulation names, sorted;
    ``classes`` / ``snrs`` (dB) select, ``max_per_class_snr`` subsamples each (class, SNR) group by
    ``seed``, which also drives the split. Frames become [N, T, 2] float32.
    """
    p = Path(path)
    data = _read_rml2016_pickle(p)
    names = _resolve_classes(sorted({m for m, _ in data}), classes, f"RML2016 file {p}")
    snr_list = _resolve_snrs({s for m, s in data if m in names}, snrs, f"RML2016 file {p}")
    iq, labels, snr_out = [], [], []
    for label, mod in enumerate(names):
        for snr in snr_list:
            arr = data.get((mod, snr))
            if arr is None:
                continue
            keep = _subsample(np.arange(arr.shape[0]), max_per_class_snr, seed, (label, snr))
            iq.append(np.ascontiguousarray(np.transpose(arr[keep], (0, 2, 1)), dtype=np.float32))
            labels.append(np.full(keep.size, label, dtype=np.int64))
            snr_out.append(np.full(keep.size, snr, dtype=np.int64))
    frames = RadioFrames(np.concatenate(iq), np.concatenate(labels), np.concatenate(snr_out), names)
    return split_radio(frames, "rml2016", test_fraction, seed)


def _read_rows(ds: Any, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` (sorted, unique) of an HDF5 dataset, read block by block in index order."""
    out = np.empty((idx.size, *ds.shape[1:]), dtype=np.float32)
    pos = 0
    for block in np.unique(idx // _ROW_BLOCK):
        sel = idx[(idx >= block * _ROW_BLOCK) & (idx < (block + 1) * _ROW_BLOCK)]
        lo, hi = int(sel[0]), int(sel[-1]) + 1
        if sel.size * 8 >= hi - lo:  # dense enough: one slice, then pick the rows
            out[pos : pos + sel.size] = ds[lo:hi][sel - lo]
        else:  # sparse: one read per run of consecutive rows
            at = pos
            for run in np.split(sel, np.flatnonzero(np.diff(sel) != 1) + 1):
                out[at : at + run.size] = ds[int(run[0]) : int(run[-1]) + 1]
                at += run.size
        pos += sel.size
    return out


def load_rml2018(path: str | Path, classes: Iterable[str] | None = None, snrs: Iterable[int] | None = None,
                 max_per_class_snr: int | None = None, test_fraction: float = DEFAULT_TEST_FRACTION,
                 seed: int = 0) -> RadioData:
    """RadioML 2018.01A (``GOLD_XYZ_OSC.0001_1024.hdf5``: X [N, 1024, 2], Y one-hot [N, 24], Z SNR [N, 1]).

    Labels and SNRs are read first; X is then read only at the selected rows (by ``classes`` from
    ``RML2018_CLASSES``, ``snrs`` in dB, at most ``max_per_class_snr`` per (class, SNR) group chosen by
    ``seed``), in ascending row order, so the 20 GB file is never loaded whole.
    """
    try:
        import h5py
    except ImportError:
        raise SNN2FPGAError("reading RadioML 2018 needs h5py: pip install h5py") from None
    p = Path(path)
    expected = "HDF5 datasets X float [N, T, 2], Y one-hot [N, 24], Z SNR dB [N, 1]"
    try:
        fh = h5py.File(p, "r")
    except OSError as exc:
        raise SNN2FPGAError(f"cannot open {p} as HDF5 ({exc}); expected RadioML 2018.01A: {expected}") from None
    with fh:
        missing = [k for k in ("X", "Y", "Z") if not isinstance(fh.get(k), h5py.Dataset)]
        if missing:
            raise SNN2FPGAError(f"{p} lacks dataset(s) {', '.join(missing)}; expected {expected}")
        x, y, z = fh["X"], fh["Y"], fh["Z"]
        n = x.shape[0] if x.ndim else -1
        if x.dtype.kind != "f":
            raise SNN2FPGAError(f"{p}: X is {x.dtype}; RadioML 2018 frames are floating-point I/Q samples")
        bad = (x.ndim != 3 or x.shape[2] != 2 or y.shape != (n, len(RML2018_CLASSES))
               or z.shape not in ((n, 1), (n,)) or n < 1)
        if bad:
            raise SNN2FPGAError(f"{p} has X {list(x.shape)}, Y {list(y.shape)}, Z {list(z.shape)}; expected {expected}")
        try:
            labels = np.empty(n, dtype=np.int64)
            for i in range(0, n, 65536):  # Y is 24 x 8 bytes a row: read it in slices
                chunk = np.asarray(y[i : i + 65536])
                one_hot = np.all((chunk == 0) | (chunk == 1), axis=1) & (chunk.sum(axis=1) == 1)
                if not one_hot.all():
                    row = i + int(np.flatnonzero(~one_hot)[0])
                    raise SNN2FPGAError(f"{p}: Y row {row} is not one-hot (exactly one 1, the rest 0): "
                                        f"{np.asarray(y[row]).tolist()}")
                labels[i : i + len(chunk)] = np.argmax(chunk, axis=1)
            z_all = np.asarray(z[...]).reshape(n)
            if z_all.dtype.kind not in "iuf" or not np.all(np.isfinite(z_all)) or np.any(z_all != np.round(z_all)):
                bad_z = z_all[~(np.isfinite(z_all) & (z_all == np.round(z_all)))][:3] if z_all.dtype.kind in "iuf" \
                    else z_all.dtype
                raise SNN2FPGAError(f"{p}: Z must hold integer SNRs in dB, found {bad_z}")
            snr_all = z_all.astype(np.int64)
            names = _resolve_classes(RML2018_CLASSES, classes, f"RadioML 2018 file {p}")
            wanted = np.array([RML2018_CLASSES.index(c) for c in names])
            in_class = np.isin(labels, wanted)
            snr_list = _resolve_snrs(np.unique(snr_all[in_class]), snrs, f"RadioML 2018 file {p}")
            new_label = {int(old): new for new, old in enumerate(wanted)}
            picked = [_subsample(grp, max_per_class_snr, seed, (new_label[lab], snr))
                      for (lab, snr), grp in _groups(labels, snr_all) if lab in new_label and snr in snr_list]
            idx = np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)
            if idx.size == 0:
                raise SNN2FPGAError(f"{p}: no frames for classes {names} at SNRs {snr_list} dB")
            iq = _read_rows(x, idx)
            if not np.all(np.isfinite(iq)):
                raise SNN2FPGAError(f"{p}: X holds NaN or infinite samples in the selected frames")
        except (OSError, ValueError, TypeError) as exc:
            raise SNN2FPGAError(f"{p}: cannot read the RadioML 2018 data ({exc}); expected {expected}") from None
    remap = np.full(len(RML2018_CLASSES), -1, dtype=np.int64)
    remap[wanted] = np.arange(len(names))
    frames = RadioFrames(iq, remap[labels[idx]], snr_all[idx], names)
    return split_radio(frames, "rml2018", test_fraction, seed)


_SPLIT_KEYS = {"test_fraction", "seed"}
_ACCEPTED = {
    "radioml-synth": _SPLIT_KEYS | {"n_per_class_snr", "snrs", "length", "classes", "noise", "sps", "max_cfo",
                                    "fading"},
    "radioml-synth24": _SPLIT_KEYS | {"n_per_class_snr", "snrs", "length", "classes", "noise", "sps", "max_cfo",
                                      "fading"},
    "rml2016": _SPLIT_KEYS | {"classes", "snrs", "max_per_class_snr"},
    "rml2018": _SPLIT_KEYS | {"classes", "snrs", "max_per_class_snr"},
}


def load_radio_dataset(name: str, data_dir: str | Path | None = None, **selection: Any) -> RadioData:
    """Load ``radioml-synth`` (no files; default 100 frames per class and SNR, 128 samples, SNRs -20..18
    dB), ``radioml-synth24`` (no files; the 24 RadioML 2018 classes, default 100 frames per class and SNR,
    1024 samples, SNRs -20..30 dB), ``rml2016`` (``RML2016.10a_dict.pkl`` in ``data_dir``) or ``rml2018``
    (``GOLD_XYZ_OSC.0001_1024.hdf5`` in ``data_dir``), with the selection keywords of the loader
    (plus ``test_fraction`` and ``seed``; for ``radioml-synth`` the seed drives generator and split)."""
    if name not in _ACCEPTED:
        raise SNN2FPGAError(f"unknown radio dataset {name!r}; known: {', '.join(RADIO_DATASETS)}")
    extra = sorted(set(selection) - _ACCEPTED[name])
    if extra:
        raise SNN2FPGAError(f"{name} does not take {', '.join(extra)}; it takes {', '.join(sorted(_ACCEPTED[name]))}")
    split = {k: selection.pop(k) for k in list(selection) if k in _SPLIT_KEYS}
    if name == "radioml-synth":
        opts = {"n_per_class_snr": 100, "snrs": DEFAULT_SNRS, "classes": RML2016_CLASSES, **selection}
        opts["classes"] = _resolve_classes(RML2016_CLASSES, opts["classes"], "radioml-synth")
        frames = synth_radioml(seed=split.get("seed", 0), **opts)
        return split_radio(frames, name, **split)
    if name == "radioml-synth24":
        opts = {"n_per_class_snr": 100, "snrs": RML2018_SNRS, "length": RML2018_LENGTH, "classes": RML2018_CLASSES,
                **selection}
        opts["classes"] = _resolve_classes(RML2018_CLASSES, opts["classes"], "radioml-synth24")
        off_grid = sorted({int(s) for s in opts["snrs"]} - set(RML2018_SNRS))
        if off_grid:
            raise SNN2FPGAError(f"radioml-synth24: SNRs {off_grid} dB are not on the RadioML 2018 grid "
                                f"{RML2018_SNRS[0]}..{RML2018_SNRS[-1]} dB in 2 dB steps")
        frames = synth_radioml2018(seed=split.get("seed", 0), **opts)
        return split_radio(frames, name, **split)
    file = RML2016_FILE if name == "rml2016" else RML2018_FILE
    if data_dir is None:
        raise SNN2FPGAError(f"{name} is not bundled: {_WHERE}; pass --data-dir DIR holding {file}")
    path = Path(data_dir) / file
    if not path.is_file():
        raise SNN2FPGAError(f"{name}: {path} not found; {_WHERE}, then pass --data-dir DIR holding {file}")
    loader = load_rml2016 if name == "rml2016" else load_rml2018
    return loader(path, **selection, **split)
