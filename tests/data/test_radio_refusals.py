"""Issue 11, class 5 (data): malformed RadioML files are refused by name; a selection that leaves an empty
test split is an error; a valid protocol-2 pickle holding an empty array loads."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from snn2fpga.data.radioml import RML2018_CLASSES, load_rml2016, load_rml2018
from snn2fpga.errors import SNN2FPGAError

h5py = pytest.importorskip("h5py")


def _rml2018(path, n=48, edit=None, x_dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 16, 2)).astype(x_dtype)
    labels = np.arange(n) % 4
    y = np.zeros((n, len(RML2018_CLASSES)), dtype=np.int64)
    y[np.arange(n), labels] = 1
    z = ((np.arange(n) // 4) % 2 * 10).astype(np.float64).reshape(n, 1)
    arrays = {"X": x, "Y": y, "Z": z}
    if edit:
        edit(arrays)
    with h5py.File(path, "w") as f:
        for k, v in arrays.items():
            f.create_dataset(k, data=v)
    return path


def test_good_file_loads(tmp_path):
    data = load_rml2018(_rml2018(tmp_path / "g.hdf5"), classes=RML2018_CLASSES[:4])
    assert len(data.x_test) > 0 and len(data.x_train) > 0


def _two_ones(a):
    a["Y"][5, 7] = 1


def _nonint_snr(a):
    a["Z"][3, 0] = 2.5


def _nan_x(a):
    a["X"][2, 0, 0] = np.nan


def _inf_x(a):
    a["X"][9, 3, 1] = np.inf


@pytest.mark.parametrize("edit,needle", [
    (_two_ones, "Y row 5 is not one-hot"),
    (_nonint_snr, "Z must hold integer SNRs in dB, found [2.5]"),
    (_nan_x, "X holds NaN or infinite"),
    (_inf_x, "X holds NaN or infinite"),
])
def test_malformed_rml2018_is_refused_by_name(tmp_path, edit, needle):
    path = _rml2018(tmp_path / "b.hdf5", edit=edit)
    with pytest.raises(SNN2FPGAError) as ei:
        load_rml2018(path, classes=RML2018_CLASSES[:4])
    assert needle in str(ei.value)


def test_integer_typed_x_is_refused(tmp_path):
    path = _rml2018(tmp_path / "i.hdf5", x_dtype=np.int16)
    with pytest.raises(SNN2FPGAError, match="X is int16; RadioML 2018 frames are floating-point"):
        load_rml2018(path)


def test_selection_with_an_empty_test_split_is_an_error(tmp_path):
    path = _rml2018(tmp_path / "g.hdf5")
    with pytest.raises(SNN2FPGAError, match="leaves an empty test split"):
        load_rml2018(path, classes=RML2018_CLASSES[:4], max_per_class_snr=1)


def test_protocol_2_pickle_with_an_empty_array_loads(tmp_path):
    d = {("BPSK", 0): np.zeros((0, 2, 16), np.float32),
         ("QPSK", 0): np.random.default_rng(0).standard_normal((5, 2, 16)).astype(np.float32),
         ("BPSK", 10): np.ones((5, 2, 16), np.float32)}
    path = tmp_path / "e.pkl"
    path.write_bytes(pickle.dumps(d, protocol=2))
    data = load_rml2016(path)
    assert len(data.x_train) + len(data.x_test) == 10


def test_bytes_with_arguments_stay_refused(tmp_path):
    class Big:
        def __reduce__(self):
            return (bytes, (10**12,))  # would allocate a terabyte

    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps({("BPSK", 0): Big()}, protocol=2))
    with pytest.raises(SNN2FPGAError, match="refused to unpickle bytes"):
        load_rml2016(path)
