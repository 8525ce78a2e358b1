"""Training-time augmentation: shifts keep pixels (zero fill), flips mirror, bad requests are refused."""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.cli import main
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.train.augment import MAX_SHIFT, Augment, augment_batch, check_augmentable, parse_augment


def _images(n: int = 16, h: int = 8, w: int = 8) -> np.ndarray:
    rng = np.random.default_rng(1)
    x = np.zeros((n, h, w), dtype=np.float32)
    x[:, MAX_SHIFT:-MAX_SHIFT, MAX_SHIFT:-MAX_SHIFT] = rng.random((n, h - 2 * MAX_SHIFT, w - 2 * MAX_SHIFT))
    return x


def test_none_is_identity():
    x = _images()
    assert augment_batch(x, Augment.NONE, np.random.default_rng(0)) is x


def test_shift_moves_content_without_losing_it():
    x = _images()
    out = augment_batch(x, Augment.SHIFT, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    # content sits inside the margin, so a shift of <= MAX_SHIFT keeps every pixel value
    assert np.array_equal(np.sort(out.reshape(len(x), -1), axis=1), np.sort(x.reshape(len(x), -1), axis=1))
    assert not np.array_equal(out, x)


def test_shift_flip_mirrors_some_images():
    x = _images(64)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    shifted = augment_batch(x, Augment.SHIFT, rng_a)
    both = augment_batch(x, Augment.SHIFT_FLIP, rng_b)
    flipped = [i for i in range(len(x)) if not np.array_equal(both[i], shifted[i])]
    assert 0 < len(flipped) < len(x)
    assert all(np.array_equal(both[i], shifted[i][:, ::-1]) for i in flipped)


def test_channel_images_and_determinism():
    x = np.random.default_rng(0).random((4, 2, 6, 6)).astype(np.float32)
    a = augment_batch(x, Augment.SHIFT_FLIP, np.random.default_rng(7))
    b = augment_batch(x, Augment.SHIFT_FLIP, np.random.default_rng(7))
    assert a.shape == x.shape and np.array_equal(a, b)


def test_refusals():
    with pytest.raises(SNN2FPGAError, match="unknown augmentation 'rotate'"):
        parse_augment("rotate")
    with pytest.raises(SNN2FPGAError, match="radioml-synth samples"):
        check_augmentable(Augment.SHIFT, [128, 2], "radioml-synth", radio=True)
    with pytest.raises(SNN2FPGAError, match=r"shape \[64\]"):
        check_augmentable(Augment.SHIFT, [64], "flat")
    check_augmentable(Augment.NONE, [128, 2], "radioml-synth", radio=True)


def test_train_with_augmentation(tmp_path, capsys):
    rc = main(["train", "--dataset", "digits", "--epochs", "1", "--augment", "shift", "--no-progress",
               "-o", str(tmp_path / "m.pt")])
    assert rc == 0
    rc = main(["train", "--dataset", "radioml-synth", "--arch", "dcll-radioml", "--augment", "shift",
               "--synth-frames", "2", "-o", str(tmp_path / "r.pt")])
    err = capsys.readouterr().err
    assert rc == 2 and "--augment shift shifts and flips images" in err and "Traceback" not in err
