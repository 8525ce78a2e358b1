"""RadioML: RML2016 pickles (Python 2 style, restricted unpickler), RML2018 HDF5, synthetic generator, split."""

from __future__ import annotations

import os
import pickle
import struct

import numpy as np
import pytest

from snn2fpga.data.radioml import (
    RML2016_FILE,
    RML2018_CLASSES,
    RML2018_FILE,
    RadioData,
    iq_normalize,
    load_radio_dataset,
    load_rml2016,
    load_rml2018,
    split_radio,
)
from snn2fpga.data.radioml_synth import RML2016_CLASSES, RadioFrames, synth_radioml
from snn2fpga.errors import SNN2FPGAError

h5py = pytest.importorskip("h5py")


def _py2_str(b: bytes) -> bytes:
    """A Python 2 ``str`` as cPickle writes it (SHORT_BINSTRING / BINSTRING)."""
    return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<I", len(b))) + b


def _py2_array(arr: np.ndarray) -> bytes:
    """Protocol-2 opcodes of a float32 ndarray as Python 2 numpy pickled it."""
    dtype = (b"cnumpy\ndtype\n" + _py2_str(b"f4") + b"J\x00\x00\x00\x00J\x01\x00\x00\x00\x87R"
             + b"(J\x03\x00\x00\x00" + _py2_str(b"<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffJ\x00\x00\x00\x00tb")
    shape = b"(" + b"".join(b"J" + struct.pack("<i", d) for d in arr.shape) + b"t"
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nJ\x00\x00\x00\x00\x85" + _py2_str(b"b")
            + b"\x87R(J\x01\x00\x00\x00" + shape + dtype + b"\x89" + _py2_str(arr.astype("<f4").tobytes()) + b"tb")


def _py2_pickle(data: dict[tuple[str, int], np.ndarray]) -> bytes:
    items = b"".join(_py2_str(m.encode()) + b"J" + struct.pack("<i", snr) + b"\x86" + _py2_array(a)
                     for (m, snr), a in data.items())
    return b"\x80\x02}(" + items + b"u."


def _rml2016_dict(n: int = 6, t: int = 16) -> dict[tuple[str, int], np.ndarray]:
    rng = np.random.default_rng(0)
    return {(m, snr): rng.standard_normal((n, 2, t)).astype(np.float32)
            for m in ("BPSK", "QPSK", "WBFM") for snr in (-10, 0, 10)}


@pytest.fixture
def rml2016_py2(tmp_path):
    data = _rml2016_dict()
    path = tmp_path / RML2016_FILE
    path.write_bytes(_py2_pickle(data))
    return path, data


def test_rml2016_python2_pickle_selection_and_layout(rml2016_py2):
    path, data = rml2016_py2
    ds = load_rml2016(path, classes=["WBFM", "BPSK"], snrs=[0, 10], test_fraction=0.5, seed=1)
    assert isinstance(ds, RadioData) and ds.classes == ["BPSK", "WBFM"]
    assert ds.x_train.shape == (12, 16, 2) and ds.x_test.shape == (12, 16, 2)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64 and ds.snr_train.dtype == np.int64
    assert set(ds.snr_train.tolist()) == {0, 10}
    for x, y, snr in ((ds.x_train, ds.y_train, ds.snr_train), (ds.x_test, ds.y_test, ds.snr_test)):
        for frame, label, s in zip(x, y, snr, strict=True):
            src = data[(ds.classes[label], int(s))]  # [N, 2, T]: the frame is its transpose, I then Q
            assert any(np.array_equal(frame, f.T) for f in src)


def test_rml2016_python3_protocol2_bytes_keys(tmp_path):
    data = _rml2016_dict(n=4)
    path = tmp_path / "py3.pkl"
    path.write_bytes(pickle.dumps({(m.encode(), s): a for (m, s), a in data.items()}, protocol=2))
    ds = load_rml2016(path, snrs=[-10], max_per_class_snr=2)
    assert ds.classes == ["BPSK", "QPSK", "WBFM"]
    assert len(ds.y_train) + len(ds.y_test) == 6 and set(ds.snr_test.tolist()) == {-10}


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_rml2016_refuses_code_in_pickle(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({("BPSK", 0): _Evil(marker)}, protocol=2))
    with pytest.raises(SNN2FPGAError, match=r"refused to unpickle \w+\.system: RML2016 files hold only numpy"):
        load_rml2016(path)
    assert not marker.exists()
    codec = tmp_path / "codec.pkl"  # bytes via _codecs.encode are allowed for latin-1 only
    codec.write_bytes(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R.")
    with pytest.raises(SNN2FPGAError, match=r"codec\.pkl: refused to unpickle _codecs\.encode with encoding 'zlib'"):
        load_rml2016(codec)


def test_rml2016_corrupt_files(tmp_path, rml2016_py2):
    path, _ = rml2016_py2
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(path.read_bytes()[:700])
    with pytest.raises(SNN2FPGAError, match=r"cut\.pkl is not a readable RML2016 pickle.*expected a dict"):
        load_rml2016(cut)
    wrong = tmp_path / "list.pkl"
    wrong.write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(SNN2FPGAError, match=r"list\.pkl holds a list, expected a dict"):
        load_rml2016(wrong)
    flat = tmp_path / "flat.pkl"
    flat.write_bytes(pickle.dumps({("BPSK", 0): np.zeros((3, 128), np.float32)}, protocol=2))
    with pytest.raises(SNN2FPGAError, match=r"array float32 \[3, 128\]; expected"):
        load_rml2016(flat)
    with pytest.raises(SNN2FPGAError, match="unknown or empty class selection"):
        load_rml2016(path, classes=["QAM256"])
    with pytest.raises(SNN2FPGAError, match=r"SNRs \[4\] dB not available"):
        load_rml2016(path, snrs=[4])


def _write_rml2018(path, n_per=4, t=16, snrs=(-20, 0, 30), **replace):
    labels = np.repeat(np.arange(24), len(snrs) * n_per)
    snr = np.tile(np.repeat(np.array(snrs), n_per), 24)
    perm = np.random.default_rng(0).permutation(labels.size)  # rows not grouped, as a stress
    labels, snr = labels[perm], snr[perm]
    x = np.zeros((labels.size, t, 2), np.float32)
    x[:, :, 0] = np.arange(labels.size)[:, None]  # I holds the row number, Q its negative
    x[:, :, 1] = -x[:, :, 0]
    arrays = {"X": x, "Y": np.eye(24, dtype=np.int64)[labels], "Z": snr[:, None].astype(np.int64), **replace}
    with h5py.File(path, "w") as f:
        for k, v in arrays.items():
            if v is not None:
                f.create_dataset(k, data=v)
    return labels, snr


def test_rml2018_selective_read(tmp_path):
    path = tmp_path / RML2018_FILE
    labels, snr = _write_rml2018(path)
    ds = load_rml2018(path, classes=["FM", "BPSK", "OOK"], snrs=[0, 30], test_fraction=0.25)
    assert ds.classes == ["OOK", "BPSK", "FM"]
    assert len(ds.y_train) == 18 and len(ds.y_test) == 6 and ds.x_train.shape[1:] == (16, 2)
    for x, y, s in ((ds.x_train, ds.y_train, ds.snr_train), (ds.x_test, ds.y_test, ds.snr_test)):
        rows = x[:, 0, 0].astype(int)
        assert np.all(np.diff(rows) > 0)  # ascending file order
        assert np.array_equal(x[:, :, 1], -x[:, :, 0])
        assert [RML2018_CLASSES[i] for i in labels[rows]] == [ds.classes[i] for i in y]
        assert np.array_equal(snr[rows], s)
    # (one frame per group would leave an empty test split: an error, tests/data/test_radio_refusals.py)
    sub = load_rml2018(path, max_per_class_snr=2, seed=5)
    assert len(sub.y_train) + len(sub.y_test) == 24 * 3 * 2 and len(sub.y_test) == 24 * 3
    assert np.array_equal(load_rml2018(path, max_per_class_snr=2, seed=5).x_test, sub.x_test)


def test_rml2018_bad_files(tmp_path):
    garbled = tmp_path / "garbled.hdf5"
    garbled.write_bytes(b"\x89HDF\r\n\x1a\n" + np.random.default_rng(0).bytes(2000))
    with pytest.raises(SNN2FPGAError, match=r"cannot open .*garbled\.hdf5 as HDF5"):
        load_rml2018(garbled)
    no_z = tmp_path / "no_z.hdf5"
    _write_rml2018(no_z, Z=None)
    with pytest.raises(SNN2FPGAError, match=r"no_z\.hdf5 lacks dataset\(s\) Z"):
        load_rml2018(no_z)
    bad_y = tmp_path / "bad_y.hdf5"
    _write_rml2018(bad_y, Y=np.zeros((288, 11), np.int64))
    with pytest.raises(SNN2FPGAError, match=r"Y \[288, 11\].*expected HDF5 datasets X"):
        load_rml2018(bad_y)


def test_load_radio_dataset_names_and_missing_files(tmp_path):
    with pytest.raises(SNN2FPGAError, match=r"deepsig.*downloaded by the user"):
        load_radio_dataset("rml2018", data_dir=tmp_path)
    with pytest.raises(SNN2FPGAError, match=r"not bundled.*RML2016\.10a_dict\.pkl"):
        load_radio_dataset("rml2016")
    with pytest.raises(SNN2FPGAError, match="unknown radio dataset"):
        load_radio_dataset("rml2022")
    with pytest.raises(SNN2FPGAError, match="does not take length"):
        load_radio_dataset("rml2016", data_dir=tmp_path, length=5)
    ds = load_radio_dataset("radioml-synth", n_per_class_snr=5, snrs=[0, 10], classes=["QPSK", "BPSK"], seed=2)
    assert ds.classes == ["BPSK", "QPSK"] and ds.input_shape == [128, 2] and len(ds.y_test) == 4


def test_synth_shapes_determinism_and_independent_groups():
    a = synth_radioml(3, snrs=[-4, 10], length=64, seed=1)
    assert a.iq.shape == (11 * 2 * 3, 64, 2) and a.iq.dtype == np.float32 and a.classes == RML2016_CLASSES
    assert np.array_equal(a.labels, np.repeat(np.arange(11), 6))
    assert np.array_equal(a.snr[:6], [-4, -4, -4, 10, 10, 10])
    assert np.array_equal(synth_radioml(3, snrs=[-4, 10], length=64, seed=1).iq, a.iq)
    assert not np.array_equal(synth_radioml(3, snrs=[-4, 10], length=64, seed=2).iq, a.iq)
    only = synth_radioml(3, snrs=[10], length=64, classes=["WBFM", "8PSK"], seed=1)
    assert only.classes == ["8PSK", "WBFM"]
    assert np.array_equal(only.iq, a.iq[(a.snr == 10) & np.isin(a.labels, [0, 10])])


def test_synth_unit_power_and_snr():
    clean = synth_radioml(20, snrs=[0, 10], seed=4, noise=False)
    power = np.mean(np.sum(clean.iq.astype(np.float64) ** 2, axis=-1), axis=-1)
    assert np.allclose(power, 1.0, atol=1e-5)
    noisy = synth_radioml(20, snrs=[0, 10], seed=4)
    for snr in (0, 10):
        sel = noisy.snr == snr
        noise_power = np.mean(np.sum((noisy.iq[sel] - clean.iq[sel]).astype(np.float64) ** 2, axis=-1))
        assert abs(10 * np.log10(1.0 / noise_power) - snr) < 0.2


def _features(iq: np.ndarray) -> np.ndarray:
    s = iq[..., 0] + 1j * iq[..., 1]
    a = np.abs(s)
    f = [a.std(1), ((a - a.mean(1, keepdims=True)) ** 4).mean(1) / a.var(1) ** 2]
    f += [np.abs(np.fft.fft(s**k, axis=1)).max(1) / s.shape[1] for k in (1, 2, 4)]
    spec = np.abs(np.fft.fft(s, axis=1)) ** 2
    f.append(np.sort(spec, 1)[:, -8:].sum(1) / spec.sum(1))
    f.append(np.abs(np.diff(np.unwrap(np.angle(s), axis=1), axis=1)).std(1))
    return np.stack(f, 1)


def test_synth_classes_are_distinguishable():
    fr = synth_radioml(40, snrs=[18], seed=3)
    x, y = _features(iq_normalize(fr.iq, "rms").astype(np.float64)), fr.labels
    tr = np.arange(y.size) % 2 == 0
    z = (x - x[tr].mean(0)) / x[tr].std(0)
    centroids = np.stack([z[tr & (y == c)].mean(0) for c in range(11)])
    pred = np.argmin(((z[~tr, None, :] - centroids[None]) ** 2).sum(-1), axis=1)
    assert np.mean(pred == y[~tr]) > 0.5  # chance is 1/11


def test_iq_normalize_modes():
    iq = (np.random.default_rng(0).standard_normal((3, 32, 2)) * [[[5.0]], [[0.1]], [[0.0]]]).astype(np.float32)
    peak = iq_normalize(iq, "peak")
    assert np.allclose(np.abs(peak[:2]).max(axis=(1, 2)), 1.0) and np.all(peak[2] == 0)
    rms = iq_normalize(iq, "rms")
    assert np.allclose(np.mean(np.sum(rms[:2] ** 2, -1), -1), 1.0, atol=1e-5)
    assert np.array_equal(iq_normalize(iq, "none"), iq)
    with pytest.raises(SNN2FPGAError, match="unknown I/Q normalisation"):
        iq_normalize(iq, "minmax")


def test_split_is_deterministic_and_stratified():
    n = 10
    labels = np.repeat(np.arange(3), 2 * n)
    snr = np.tile(np.repeat([-6, 6], n), 3)
    iq = np.broadcast_to(np.arange(labels.size, dtype=np.float32)[:, None, None], (labels.size, 4, 2)).copy()
    frames = RadioFrames(iq, labels, snr, ["a", "b", "c"])
    a = split_radio(frames, "t", test_fraction=0.3, seed=7)
    ids_tr, ids_te = a.x_train[:, 0, 0].astype(int), a.x_test[:, 0, 0].astype(int)
    assert sorted(ids_tr.tolist() + ids_te.tolist()) == list(range(labels.size))
    for c in range(3):
        for s in (-6, 6):
            assert np.sum((a.y_test == c) & (a.snr_test == s)) == 3
    b = split_radio(frames, "t", test_fraction=0.3, seed=7)
    assert np.array_equal(a.x_test, b.x_test) and np.array_equal(a.snr_train, b.snr_train)
    assert not np.array_equal(split_radio(frames, "t", test_fraction=0.3, seed=8).x_test, a.x_test)
    with pytest.raises(SNN2FPGAError, match="strictly between 0 and 1"):
        split_radio(frames, "t", test_fraction=1.0)


def test_mean_accuracy_snr_ge0_averages_only_non_negative_snrs():
    from snn2fpga.data.radioml import mean_accuracy_snr_ge0

    assert mean_accuracy_snr_ge0({"-2": 0.0, "0": 0.5, "10": 0.25}) == 0.375
    assert mean_accuracy_snr_ge0({"-4": 0.9, "-2": 0.1}) is None
