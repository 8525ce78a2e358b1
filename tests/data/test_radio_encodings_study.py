"""The input encodings of `bench/radioml_encodings.py` (issue 13 item 3's encoding study).

The encoders live in the bench script, so it is imported by path. The level-crossing rule is checked
against a hand-computed example, spike for spike with `==`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from snn2fpga.errors import SNN2FPGAError

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "radioml_encodings.py"


@pytest.fixture(scope="module")
def study() -> ModuleType:
    spec = importlib.util.spec_from_file_location("radioml_encodings_study", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


# One frame, 6 samples; I reaches +delta exactly at t=2 (fires: >=), Q spans the whole code range.
CODES = np.array([[[0, -128], [5, 127], [8, 127], [20, 100], [-4, 110], [-4, 90]]], dtype=np.int8)
# By hand, deltas (8, 16), input index (ch * 2 + level) * 2 + (0 up | 1 down):
#   I/8:  r=0: t2 e=8 up (r=8), t3 e=12 up (r=20), t4 e=-24 down (r=-4)
#   I/16: r=0: t3 e=20 up (r=20), t4 e=-24 down (r=-4)
#   Q/8:  r=0: t0 e=-128 down (r=-128), t1 e=255 up (r=127), t3 e=-27 down (r=100), t4 e=10 up (r=110),
#         t5 e=-20 down (r=90)
#   Q/16: t0 down (r=-128), t1 up (r=127), t3 e=-27 down (r=100), t4 e=10 none, t5 e=-10 none
EXPECTED = np.array([
    [0, 0, 0, 0, 0, 1, 0, 1],
    [0, 0, 0, 0, 1, 0, 1, 0],
    [1, 0, 0, 0, 0, 0, 0, 0],
    [1, 0, 1, 0, 0, 1, 0, 1],
    [0, 1, 0, 1, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 1, 0, 0],
], dtype=np.uint8)


def test_level_crossing_hand_example(study: ModuleType) -> None:
    out = study.level_crossing_spikes(CODES, (8, 16))
    assert out.dtype == np.uint8 and out.shape == (1, 6, 8)
    assert (out[0] == EXPECTED).all()


def test_level_crossing_frames_independent(study: ModuleType) -> None:
    other = np.random.default_rng(0).integers(-128, 128, size=(2, 6, 2)).astype(np.int8)
    out = study.level_crossing_spikes(np.concatenate([other[:1], CODES, other[1:]]), (8, 16))
    assert (out[1] == EXPECTED).all()
    assert (out[0] == study.level_crossing_spikes(other[:1], (8, 16))[0]).all()


def test_level_crossing_never_up_and_down(study: ModuleType) -> None:
    codes = np.random.default_rng(1).integers(-128, 128, size=(4, 64, 2)).astype(np.int8)
    out = study.level_crossing_spikes(codes, (1, 8, 255)).reshape(4, 64, 2, 3, 2)
    assert int((out[..., 0] & out[..., 1]).sum()) == 0
    # delta 1 fires whenever the code differs from the last reference, i.e. from the previous sample
    changed = np.diff(codes.astype(np.int64), axis=1, prepend=0) != 0
    assert ((out[:, :, :, 0, 0] | out[:, :, :, 0, 1]) == changed).all()


@pytest.mark.parametrize("deltas", [(0,), (256,), (), (8, -1)])
def test_level_crossing_refuses_bad_deltas(study: ModuleType, deltas: tuple[int, ...]) -> None:
    with pytest.raises(SNN2FPGAError, match="deltas must be 1..255"):
        study.level_crossing_spikes(CODES, deltas)


def test_level_crossing_refuses_bad_codes(study: ModuleType) -> None:
    with pytest.raises(SNN2FPGAError, match=r"frames, samples, 2"):
        study.level_crossing_spikes(CODES[0], (8,))
    with pytest.raises(SNN2FPGAError, match="-128..127"):
        study.level_crossing_spikes(CODES.astype(np.int64) + 200, (8,))


def test_encoders_shapes_and_values(study: ModuleType) -> None:
    n, plane = study.encoder("iq-plane", 8, (8, 16))
    x = plane(CODES)
    assert n == 64 and tuple(x.shape) == (6, 1, 64)
    assert (x.sum(dim=2) == 1).all()  # one spike per step
    # bin of (0, -128): row (128 * 8) >> 8 = 4, col 0
    assert int(x[0, 0].argmax()) == 4 * 8 + 0
    n, cur = study.encoder("iq-current", 8, (8, 16))
    assert n == 2 and torch.equal(cur(CODES)[:, 0] * 128, torch.from_numpy(CODES[0].astype(np.float32)))
    n, both = study.encoder("iq-current+level-crossing", 8, (8, 16))
    y = both(CODES)
    assert n == 10 and torch.equal(y[:, 0, 2:], torch.from_numpy(EXPECTED.astype(np.float32)))
    with pytest.raises(SNN2FPGAError, match="unknown encoding"):
        study.encoder("delta", 8, (8,))


def test_input_gain_gives_unit_mean_square(study: ModuleType) -> None:
    codes = np.random.default_rng(2).integers(-128, 128, size=(8, 32, 2)).astype(np.int8)
    for kind in study.ENCODINGS:
        n, enc = study.encoder(kind, 8, (8, 16, 32, 64))
        g = study.input_gain(enc, codes)
        assert float((enc(codes) * g).pow(2).sum(dim=2).mean()) == pytest.approx(n, rel=1e-5)
    # the one-hot plane has |x|^2 = 1 at every step: its gain is sqrt(G * G) exactly
    assert study.input_gain(study.encoder("iq-plane", 8, (8,))[1], codes) == 8.0
