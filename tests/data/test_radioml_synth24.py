"""The 24-class RadioML 2018-style generator: layout, determinism, per-class sanity and refusals; and the
11-class generator unchanged byte for byte."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from snn2fpga.data.radioml import RADIO_DATASETS, load_radio_dataset
from snn2fpga.data.radioml_synth import synth_radioml
from snn2fpga.data.radioml_synth24 import (
    RML2018_CLASSES,
    RML2018_SNRS,
    constellation,
    modulate,
    synth_radioml2018,
)
from snn2fpga.errors import SNN2FPGAError


def _digest(*arrays: np.ndarray) -> str:
    return hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()


def test_eleven_class_generator_is_unchanged():
    """Pinned to the bytes the generator produced before the 24-class one was added (commit 4001fdd)."""
    f = synth_radioml(3, snrs=[-20, 0, 18], length=128, seed=5)
    assert _digest(f.iq, f.labels, f.snr) == "040f6f43a773e34ed37db2948f84ada27dec56624784d1823d6b7547991c569d"
    d = load_radio_dataset("radioml-synth", n_per_class_snr=2, snrs=[0, 10], seed=1)
    assert _digest(d.x_train, d.x_test, d.y_train, d.y_test) == \
        "683c056477629d37721073dc82082182de7a65e329fbcefa21ebefa3f57c35d2"


def test_layout_classes_and_snr_grid():
    assert len(RML2018_CLASSES) == 24 and RML2018_CLASSES[0] == "OOK" and RML2018_CLASSES[-1] == "OQPSK"
    assert RML2018_SNRS == tuple(range(-20, 31, 2)) and len(RML2018_SNRS) == 26
    f = synth_radioml2018(1, length=64)
    assert f.iq.shape == (24 * 26, 64, 2) and f.iq.dtype == np.float32
    assert f.classes == RML2018_CLASSES
    assert np.array_equal(f.labels, np.repeat(np.arange(24), 26))
    assert np.array_equal(f.snr, np.tile(np.array(RML2018_SNRS), 24))
    assert np.all(np.isfinite(f.iq))
    d = load_radio_dataset("radioml-synth24", n_per_class_snr=2, snrs=[0, 30], seed=3)
    assert "radioml-synth24" in RADIO_DATASETS
    assert d.x_train.shape == (24 * 2, 1024, 2) and d.x_test.shape == (24 * 2, 1024, 2)  # stratified 1 + 1
    assert d.classes == RML2018_CLASSES and sorted(set(d.snr_test.tolist())) == [0, 30]
    assert np.array_equal(np.bincount(d.y_test, minlength=24), np.full(24, 2))


def test_same_seed_same_bytes():
    a = synth_radioml2018(2, snrs=[-10, 20], length=128, seed=7)
    b = synth_radioml2018(2, snrs=[-10, 20], length=128, seed=7)
    c = synth_radioml2018(2, snrs=[-10, 20], length=128, seed=8)
    assert a.iq.tobytes() == b.iq.tobytes()
    assert a.iq.tobytes() != c.iq.tobytes()
    # a group does not depend on which other classes or SNRs are generated with it
    sub = synth_radioml2018(2, snrs=[20], length=128, classes=["64APSK"], seed=7)
    k = RML2018_CLASSES.index("64APSK")
    assert sub.iq.tobytes() == a.iq[(2 * k + 1) * 2 : (2 * k + 2) * 2].tobytes()
    # noise=False is the same frame without its AWGN
    clean = synth_radioml2018(2, snrs=[20], length=128, classes=["64APSK"], seed=7, noise=False)
    noise = sub.iq - clean.iq
    assert 0 < noise.std() < 0.2


@pytest.mark.parametrize(("name", "points", "rings"), [
    ("OOK", 2, 2), ("4ASK", 4, 2), ("8ASK", 8, 4), ("BPSK", 2, 1), ("QPSK", 4, 1), ("8PSK", 8, 1),
    ("16PSK", 16, 1), ("32PSK", 32, 1), ("16APSK", 16, 2), ("32APSK", 32, 3), ("64APSK", 64, 4),
    ("128APSK", 128, 6), ("16QAM", 16, 3), ("32QAM", 32, 5), ("64QAM", 64, 9), ("128QAM", 128, None),
    ("256QAM", 256, None), ("OQPSK", 4, 1),
])
def test_constellations(name, points, rings):
    c = constellation(name)
    assert len(np.unique(np.round(c, 9))) == points
    if rings is not None:
        assert len(np.unique(np.round(np.abs(c), 9))) == rings


def test_apsk_ring_ratios_and_cross_qam():
    for name, ratios in (("16APSK", [2.85]), ("32APSK", [2.84, 5.27]), ("64APSK", [2.2, 3.6, 5.2])):
        radii = np.unique(np.round(np.abs(constellation(name)), 9))
        assert np.allclose(radii[1:] / radii[0], ratios)
    for name, side in (("32QAM", 6), ("128QAM", 12)):
        c = constellation(name)
        corner = (np.abs(c.real) == side - 1) & (np.abs(c.imag) == side - 1)
        assert not corner.any() and np.abs(c.real).max() == side - 1


def _matched(frames: np.ndarray, sps: int) -> np.ndarray:
    from scipy.signal import fftconvolve

    from snn2fpga.data.radioml_synth import rrc_taps

    return fftconvolve(frames, rrc_taps(sps)[None, :], mode="same", axes=1)


def _best_phase_error(rail: np.ndarray, alphabet: np.ndarray, sps: int) -> tuple[int, float]:
    """(sampling phase, worst distance to the nearest alphabet point) of matched-filtered symbols."""
    best = (0, np.inf)
    for phase in range(sps):
        s = rail[:, 80 + phase : -80 : sps].ravel()
        err = float(np.abs(s[:, None] - alphabet[None, :]).min(axis=1).max())
        best = min(best, (phase, err), key=lambda b: b[1])
    return best


@pytest.mark.parametrize("name", ["QPSK", "16APSK", "32QAM", "8ASK", "OOK"])
def test_noiseless_symbols_sit_on_the_constellation(name):
    sps = 8
    frames = modulate(name, np.random.default_rng(1), 1, 512, sps)
    c = constellation(name)
    spacing = np.abs(c[:, None] - c[None, :])[~np.eye(c.size, dtype=bool)].min()
    _, err = _best_phase_error(_matched(frames, sps), c, sps)
    assert err < 0.1 * spacing


def test_oqpsk_q_rail_is_half_a_symbol_late():
    sps = 8
    y = _matched(modulate("OQPSK", np.random.default_rng(2), 1, 512, sps), sps)
    rail = np.array([-1, 1]) / np.sqrt(2)
    pi, ei = _best_phase_error(y.real, rail, sps)
    pq, eq = _best_phase_error(y.imag, rail, sps)
    assert ei < 0.05 and eq < 0.05
    assert (pq - pi) % sps == sps // 2
    qy = _matched(modulate("QPSK", np.random.default_rng(2), 1, 512, sps), sps)
    assert _best_phase_error(qy.real, rail, sps)[0] == _best_phase_error(qy.imag, rail, sps)[0]


@pytest.mark.parametrize("name", ["FM", "GMSK"])
def test_constant_envelope(name):
    f = synth_radioml2018(2, snrs=[0], length=256, classes=[name], noise=False, fading=False)
    mag = np.hypot(f.iq[..., 0], f.iq[..., 1])
    assert np.allclose(mag, 1.0, atol=1e-5)  # unit power and constant envelope


def test_am_dsb_sc_is_real_and_am_wc_has_a_carrier():
    f = synth_radioml2018(4, snrs=[0], length=1024, classes=["AM-DSB-SC", "AM-DSB-WC"], noise=False, fading=False,
                          max_cfo=0.0)
    assert f.classes == ["AM-DSB-WC", "AM-DSB-SC"]  # the 2018 order, not the order asked for
    frames = f.iq[..., 0] + 1j * f.iq[..., 1]
    wc, sc = frames[:4], frames[4:]
    for frame in sc:  # one line through the origin: real up to the carrier phase
        rotated = frame * np.exp(-1j * np.angle(frame[np.argmax(np.abs(frame))]))
        assert np.abs(rotated.imag).max() < 1e-5
    assert np.abs(wc.mean(axis=1)).min() > 0.7  # the carrier dominates the mean (unit power frames)
    assert np.median(np.abs(sc.mean(axis=1))) < 0.5  # suppressed carrier: a zero-mean message


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"classes": ["QAM16"]}, "unknown RadioML 2018 classes"),
    ({"length": 1}, "length >= 2"),
    ({"sps": 7}, "even sps"),
    ({"snrs": []}, "at least one class and SNR"),
    ({"seed": -1}, "seed must be >= 0"),
])
def test_generator_refusals(kwargs, match):
    with pytest.raises(SNN2FPGAError, match=match):
        synth_radioml2018(**({"n_per_class_snr": 1} | kwargs))


@pytest.mark.parametrize(("selection", "match"), [
    ({"snrs": [31]}, "on the RadioML 2018 grid"),
    ({"max_per_class_snr": 3}, "does not take max_per_class_snr"),
    ({"n_per_class_snr": 0}, "n_per_class_snr >= 1"),
])
def test_dataset_refusals(selection, match):
    with pytest.raises(SNN2FPGAError, match=match):
        load_radio_dataset("radioml-synth24", **selection)


def test_train_on_the_24_class_data(tmp_path, capsys):
    """`snn2fpga train --dataset radioml-synth24` trains, and the checkpoint records the selection it reloads."""
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.cli import main

    out = tmp_path / "r24.pt"
    rc = main(["train", "--dataset", "radioml-synth24", "--arch", "dcll-radioml", "--synth-frames", "2",
               "--snrs", "10", "30", "--frame-length", "16", "--channels", "2", "--grid", "4", "--kernel", "3",
               "--epochs", "1", "--weight-bits", "8", "--no-progress", "-o", str(out)])
    assert rc == 0, capsys.readouterr().err
    model, meta = load_checkpoint(out)
    assert model.spec.classes == RML2018_CLASSES and model.spec.input_shape == [16, 2]
    assert model.spec.extra["dataset"] == "radioml-synth24"
    assert model.spec.extra["dataset_selection"] == {"seed": 0, "n_per_class_snr": 2, "length": 16,
                                                     "snrs": [10, 30]}
    rc = main(["train", "--dataset", "radioml-synth24", "--arch", "dcll-radioml", "--snrs", "11",
               "--synth-frames", "2", "--frame-length", "16", "-o", str(tmp_path / "bad.pt")])
    err = capsys.readouterr().err
    assert rc == 2 and "not on the RadioML 2018 grid" in err and "Traceback" not in err
