"""I/Q deploy packages (input.kind "iq"): host quantisation equals snn2fpga's, the emulated device equals
the golden codes and snn2fpga's own predictions, input checks, and the inverse frames of golden codes."""

from __future__ import annotations

import dataclasses
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from snn2fpga_board import DeployError, SNNOverlay, host, load_deploy

from snn2fpga.codegen.csim import CSimLibrary
from snn2fpga.data.radioml import iq_normalize
from snn2fpga.semantics.iq import quantize_iq
from tests.board.conftest import IQ_T, with_random_iq_codes


def _reference(frames: np.ndarray, norm: str, iq_range: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return quantize_iq(iq_normalize(frames, norm), iq_range)


def _edge_frames(iq_range: float) -> np.ndarray:
    """Frames [n, 4, 2] at and around every code boundary, plus zeros, NaN, inf, huge and tiny values."""
    step = iq_range / 128
    bounds = np.arange(-130, 131) * step
    values = np.concatenate([bounds, np.nextafter(bounds, -np.inf), np.nextafter(bounds, np.inf),
                             np.float32(bounds).astype(np.float64), bounds + step / 2])
    values = np.concatenate([values, np.zeros((-len(values)) % 8)]).reshape(-1, 4, 2)
    specials = np.array([
        np.zeros((4, 2)),
        [[np.nan, 0.5], [0.25, -0.25], [0, 0], [1, 1]],
        [[np.inf, 0.5], [0.25, -0.25], [0, 0], [1, 1]],
        [[-np.inf, np.inf], [0.25, np.nan], [0, 0], [1, 1]],
        [[1e300, 0.5], [0.25, -0.25], [0, 0], [1, 1]],  # beyond float32: inf after the cast
        [[3.5e38, -3.5e38], [0.25, -0.25], [0, 0], [1, 1]],
        [[1e30, -1e30], [1e-30, -1e-45], [0, 0], [1, 1]],
        [[1e-45, 0], [0, 0], [0, 0], [0, -1e-45]],  # float32 subnormals only
        [[-0.0, 0.0], [0, 0], [0, 0], [0, 0]],
        np.full((4, 2), 7.0),
        [[1, -1], [-1, 1], [1, 1], [-1, -1]],
    ])
    return np.concatenate([values, specials])


@pytest.mark.parametrize("norm", host.IQ_NORMS)
@pytest.mark.parametrize("iq_range", [1.0, 0.5, 2.0, 0.3, 3.75, 1e-3, 300.0])
def test_iq_codes_equal_snn2fpga_quantisation(norm, iq_range):
    rng = np.random.default_rng(int(iq_range * 1000) + len(norm))
    amplitude = rng.choice([1e-6, 0.01, 0.3, 1.0, 5.0, 1e6], size=(400, 1, 1))
    for frames in (_edge_frames(iq_range), rng.normal(size=(400, 12, 2)) * amplitude,
                   (rng.normal(size=(300, 9, 2)) * amplitude[:300]).astype(np.float32),
                   rng.integers(-200, 200, size=(50, 5, 2)), np.zeros((0, 6, 2))):
        ours, theirs = host.iq_codes(frames, norm, iq_range), _reference(frames, norm, iq_range)
        assert ours.dtype == theirs.dtype == np.int8 and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_iq_codes_reject_what_snn2fpga_rejects():
    with pytest.raises(ValueError, match="normalisation 'max'"):
        host.iq_codes(np.zeros((1, 4, 2)), "max", 1.0)
    with pytest.raises(ValueError, match="positive"):
        host.iq_codes(np.zeros((1, 4, 2)), "peak", 0.0)
    with pytest.raises(ValueError, match=r"\[\.\.\., T, 2\]"):
        host.iq_codes(np.zeros((1, 4, 3)), "peak", 1.0)
    with pytest.raises(ValueError, match=r"\[frames, samples, 2\]"):
        host.iq_codes(np.zeros((4, 2)), "peak", 1.0)


@pytest.mark.parametrize("norm", host.IQ_NORMS)
@pytest.mark.parametrize("iq_range", [1.0, 0.5, 2.0, 0.3, 300.0])
def test_iq_frames_invert_the_quantisation(norm, iq_range):
    rng = np.random.default_rng(7)
    frames = rng.normal(size=(300, 10, 2)) * rng.choice([0.01, 1.0, 10.0], size=(300, 1, 1))
    frames[0] = 0.0
    reachable = _reference(frames, norm, iq_range)
    back, ok = host.iq_frames(reachable, norm, iq_range)
    assert back.dtype == np.float32 and ok.all()  # codes that come from a frame always have one
    np.testing.assert_array_equal(_reference(back, norm, iq_range), reachable)
    codes = rng.integers(-128, 128, size=(300, 10, 2))
    codes[:3] = [[[0, 0]] * 10, [[127, -128]] * 10, [[-128, -128]] * 10]
    back, ok = host.iq_frames(codes, norm, iq_range)
    np.testing.assert_array_equal(_reference(back[ok], norm, iq_range), codes[ok])  # ok says which are exact
    if norm == "none":
        assert ok.all()
    assert ok[0]  # the zero frame
    if norm == "peak" and iq_range == 2.0:  # the normalised peak is the code +-64: random codes have no frame
        assert not ok[3:].any()


def test_iq_words_carry_two_samples_per_word():
    codes = np.array([[[1, -1], [127, -128], [5, 6]]], dtype=np.int8)  # odd T: the last word is zero-padded
    np.testing.assert_array_equal(host.pack_inputs(codes, "iq"), [[0x80_7F_FF_01, 0x00_00_06_05]])
    assert host.words_per_sample("iq", 6, 3) == 2 and host.words_per_sample("iq", 32, 16) == 8


def test_the_deploy_folder_describes_the_iq_input(iq_deploy):
    info = load_deploy(iq_deploy.deploy)
    inp = info.input
    assert inp.kind == "iq" and inp.shape == (IQ_T, 2) and inp.features == 2 * IQ_T and inp.words_per_sample == 8
    assert inp.iq is not None and (inp.iq.grid, inp.iq.range, inp.iq.norm) == (8, 1.0, "peak")
    g = info.golden_vectors
    assert g.inputs.dtype == np.int8 and g.inputs.shape == (len(iq_deploy.x), IQ_T, 2)
    assert g.exact_frames  # codes of real frames: each has a float frame
    assert len(set(g.predictions.tolist())) > 1


def test_the_design_spikes(iq_deploy):
    g = load_deploy(iq_deploy.deploy).golden_vectors
    taps = CSimLibrary(iq_deploy.deploy / "csim" / "libsnn_csim.so").run(g.words).taps
    counts = taps[0].sum(axis=1)
    assert (counts > 0).all() and counts.max() < taps[0].shape[1] * IQ_T  # spikes, but not saturated


def test_golden_codes_float_frames_and_snn2fpga_agree(iq_deploy):
    with SNNOverlay(iq_deploy.deploy) as snn:
        assert snn.input_shape == (IQ_T, 2) and "iq input [16, 2] (peak norm" in repr(snn)
        check = snn.check_golden()
        assert check["samples"] == len(iq_deploy.x) and check["mismatches"] == 0, check["first_mismatch"]
        g = snn.golden()
        np.testing.assert_array_equal(g.predictions, iq_deploy.reference_predictions)
        res = snn.run(iq_deploy.x)  # float frames, normalised and quantised on the host
        np.testing.assert_array_equal(res.predictions, iq_deploy.torch_predictions)
        np.testing.assert_array_equal(res.scores, g.scores)
        np.testing.assert_array_equal(snn.run_codes(g.inputs).scores, g.scores)
        np.testing.assert_array_equal(snn.run(g.batch()).scores, g.scores)
        np.testing.assert_array_equal(snn.run_codes(g.batch(codes=True)).scores, g.scores)
        for i in range(g.count):
            assert snn.classify(g.sample(i)) == g.predictions[i]
            assert snn.classify_codes(g.sample(i, codes=True)) == g.predictions[i]
            assert snn.classify(iq_deploy.x[i].tolist()) == iq_deploy.torch_predictions[i]
        assert snn.measure(g.batch(codes=True), repeats=1, codes=True)["batch"] == g.count


def _variant(src: Path, dst: Path, **iq: object) -> Path:
    shutil.copytree(src, dst)
    meta = json.loads((dst / "model.json").read_text())
    meta["input"]["iq"].update(iq)
    (dst / "model.json").write_text(json.dumps(meta))
    return dst


@pytest.mark.parametrize("norm,iq_range", [("none", 1.0), ("none", 2.5), ("rms", 0.5), ("rms", 3.0), ("peak", 0.5)])
def test_other_normalisations_equal_snn2fpga_predict(iq_deploy, tmp_path, norm, iq_range):
    """The compiled design does not depend on the host normalisation: the same top serves every setting."""
    deploy = _variant(iq_deploy.deploy, tmp_path / "deploy", norm=norm, range=iq_range)
    model = iq_deploy.model
    saved = model.encoder
    model.encoder = dataclasses.replace(saved, iq_norm=norm, iq_range=iq_range)
    try:
        expected = model.predict(iq_deploy.x)
    finally:
        model.encoder = saved
    with SNNOverlay(deploy) as snn:
        np.testing.assert_array_equal(snn.run(iq_deploy.x).predictions, expected)
        assert snn.check_golden()["mismatches"] == 0
        g = snn.golden()
        if g.exact_frames:
            np.testing.assert_array_equal(snn.run(g.batch()).scores, g.scores)
        else:
            with pytest.raises(DeployError, match=r"no .*-normalised frame .* codes=True"):
                g.batch()
        for i in np.flatnonzero(g.iq_exact):  # the float frames of golden codes reproduce them
            assert snn.classify(g.sample(i)) == g.predictions[i]


def test_random_golden_codes_go_through_the_codes_path(iq_deploy, tmp_path):
    deploy = with_random_iq_codes(iq_deploy.deploy, tmp_path / "deploy")
    scores = np.load(deploy / "golden.npz")["scores"]
    with SNNOverlay(deploy) as snn:
        g = snn.golden()
        assert not g.exact_frames and not g.iq_exact.any()
        assert snn.check_golden()["mismatches"] == 0
        with pytest.raises(DeployError, match="golden sample 0's I/Q codes come from no peak-normalised frame"):
            g.sample(0)
        with pytest.raises(DeployError, match="golden sample 0's"):
            g.batch(3)
        np.testing.assert_array_equal(snn.run_codes(g.batch(codes=True)).scores, scores)
        assert snn.classify_codes(g.sample(4, codes=True)) == g.predictions[4]


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.zeros((3, IQ_T, 3)), r"shape \[3, 16, 3\]; expected I/Q frames \[n, 16, 2\]"),
        (np.zeros((3, 2, IQ_T)), r"shape \[3, 2, 16\]; .* time-major; .* frames.transpose\(0, 2, 1\)"),
        (np.zeros((IQ_T, 2)), r"shape \[16, 2\]; expected I/Q frames \[n, 16, 2\]"),
        (np.zeros((3, 2 * IQ_T)), r"shape \[3, 32\]; expected I/Q frames \[n, 16, 2\]"),
        (np.zeros((0, IQ_T, 2)), r"shape \[0, 16, 2\]"),
        (np.full((2, IQ_T, 2), np.nan), "NaN"),
        (np.full((2, IQ_T, 2), -np.inf), "infinity"),
        (np.full((2, IQ_T, 2), 1e300), "beyond float32"),
        (np.full((2, IQ_T, 2), "a"), "dtype <U1; expected I/Q frames .* \\(int or float\\)"),
        (np.zeros((2, IQ_T, 2), dtype=bool), "dtype bool"),
        (np.zeros((2, IQ_T, 2), dtype=complex), "dtype complex128"),
    ],
)
def test_bad_iq_batches_name_the_expected_shape(iq_deploy, bad, match):
    with SNNOverlay(iq_deploy.deploy) as snn, pytest.raises(DeployError, match=match):
        snn.run(bad)


def test_bad_iq_single_frames_and_codes(iq_deploy):
    with SNNOverlay(iq_deploy.deploy) as snn:
        with pytest.raises(DeployError, match=r"shape \[1, 16, 2\]; expected an I/Q frame \[16, 2\]"):
            snn.classify(np.zeros((1, IQ_T, 2)))
        with pytest.raises(DeployError, match=r"shape \[2, 16\]; .* frame.T"):
            snn.classify(np.zeros((2, IQ_T)))
        with pytest.raises(DeployError, match=r"shape \[32\]; expected an I/Q frame \[16, 2\]"):
            snn.classify(np.zeros(2 * IQ_T))
        with pytest.raises(DeployError, match="NaN"):
            snn.classify(np.full((IQ_T, 2), np.nan))
        with pytest.raises(DeployError, match=r"codes must be integers, got values in \[-129, -129\]; "
                                              r"expected I/Q codes \[n, 16, 2\] of integers in -128..127"):
            snn.run_codes(np.full((1, IQ_T, 2), -129))
        with pytest.raises(DeployError, match=r"got values in \[0.5, 0.5\]; expected I/Q codes \[16, 2\]"):
            snn.classify_codes(np.full((IQ_T, 2), 0.5))
        with pytest.raises(DeployError, match=r"shape \[16, 2\]; expected I/Q codes \[n, 16, 2\] of integers"):
            snn.run_codes(np.zeros((IQ_T, 2), dtype=np.int8))


def test_codes_path_of_the_other_input_kinds(rate_deploy, spike_deploy):
    with SNNOverlay(rate_deploy.deploy) as snn:
        g = snn.golden()
        assert g.exact_frames and g.sample(0, codes=True).shape == (8, 8)
        np.testing.assert_array_equal(snn.run_codes(g.batch(codes=True)).scores, g.scores)
        np.testing.assert_array_equal(snn.run_codes(g.inputs).scores, g.scores)  # flat [n, 64]
        assert snn.classify_codes(g.sample(2, codes=True)) == g.predictions[2]
        with pytest.raises(DeployError, match=r"codes must be integers, .* of integers in 0..255"):
            snn.run_codes(g.batch())
    with SNNOverlay(spike_deploy.deploy) as snn:
        g = snn.golden()
        np.testing.assert_array_equal(snn.run_codes(g.batch(codes=True)).scores, g.scores)


@pytest.mark.parametrize(
    "edit,match",
    [
        (lambda i: i.pop("iq"), "incomplete: 'input.iq' is missing"),
        (lambda i: i["iq"].pop("norm"), "incomplete: 'input.iq.norm' is missing"),
        (lambda i: i["iq"].update(grid=1), "input.iq.grid must be 2..256 bins, got 1"),
        (lambda i: i["iq"].update(grid=257), "input.iq.grid must be 2..256 bins, got 257"),
        (lambda i: i["iq"].update(grid=8.0), "'input.iq.grid' must be an integer"),
        (lambda i: i["iq"].update(range=0), "input.iq.range must be a positive number, got 0"),
        (lambda i: i["iq"].update(range=-1.5), "input.iq.range must be a positive number"),
        (lambda i: i["iq"].update(range="1"), "'input.iq.range' must be an integer or a number"),
        (lambda i: i["iq"].update(norm="max"), "input.iq.norm 'max' is not one of peak, rms, none"),
        (lambda i: i.update(words_per_sample=16), "words_per_sample is 16, but I/Q frames of 16 timesteps .* 8 words"),
        (lambda i: i.update(shape=[2, 16]), r"input.shape of I/Q frames must be \[timesteps, 2\] = \[16, 2\]"),
        (lambda i: i.update(shape=[32], features=32), r"must be \[timesteps, 2\]"),
        (lambda i: i.update(bits=4), "input.bits is 4"),
    ],
)
def test_bad_iq_model_json(iq_deploy, tmp_path, edit, match):
    deploy = tmp_path / "deploy"
    shutil.copytree(iq_deploy.deploy, deploy)
    meta = json.loads((deploy / "model.json").read_text())
    edit(meta["input"])
    (deploy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(DeployError, match=match):
        load_deploy(deploy)


def test_bad_iq_golden_vectors(iq_deploy, tmp_path):
    deploy = tmp_path / "deploy"
    shutil.copytree(iq_deploy.deploy, deploy)
    data = dict(np.load(deploy / "golden.npz"))
    n = len(data["words"])
    for inputs, match in (
        (data["inputs"].reshape(n, -1), rf"'inputs' is int8 \[{n}, 32\], expected an integer array of 3"),
        (data["inputs"].transpose(0, 2, 1), rf"have inputs \[{n}, 2, 16\], expected \[{n}, 16, 2\]"),
        (data["inputs"].astype(np.int16) * 2, r"out of range \(expected -128..127\)"),
        (data["inputs"].astype(np.float32), "'inputs' is float32"),
    ):
        np.savez(deploy / "golden.npz", **{**data, "inputs": inputs})
        with pytest.raises(DeployError, match=match):
            load_deploy(deploy)
