"""Training-time image augmentation: random shifts (zero fill) and horizontal flips, per sample.

Only the training batches are changed; evaluation, export verification and the hardware see the
data as it is. Flips suit datasets whose classes are mirror-symmetric (Fashion-MNIST), not digits.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from snn2fpga.errors import SNN2FPGAError

MAX_SHIFT = 2  # pixels in each direction


class Augment(StrEnum):
    """What `--augment` does to each training image."""

    NONE = "none"
    SHIFT = "shift"
    SHIFT_FLIP = "shift-flip"


def parse_augment(name: str) -> Augment:
    try:
        return Augment(name)
    except ValueError:
        raise SNN2FPGAError(
            f"unknown augmentation {name!r}; choose one of {', '.join(a.value for a in Augment)}"
        ) from None


def check_augmentable(augment: Augment, input_shape: list[int], dataset: str, radio: bool = False) -> None:
    """Refuse augmentation of data that are not images ([H, W] or [C, H, W]), e.g. radio frames."""
    if augment is not Augment.NONE and (radio or len(input_shape) not in (2, 3)):
        raise SNN2FPGAError(
            f"--augment {augment.value} shifts and flips images, but {dataset} samples have shape "
            f"{input_shape}; use --augment none"
        )


def augment_batch(x: np.ndarray, augment: Augment, rng: np.random.Generator) -> np.ndarray:
    """A randomly shifted (and, for SHIFT_FLIP, flipped) copy of images x [B, (C,) H, W]."""
    if augment is Augment.NONE:
        return x
    h, w = x.shape[-2:]
    pad = [(0, 0)] * (x.ndim - 2) + [(MAX_SHIFT, MAX_SHIFT), (MAX_SHIFT, MAX_SHIFT)]
    padded = np.pad(x, pad)
    dy = rng.integers(0, 2 * MAX_SHIFT + 1, len(x))
    dx = rng.integers(0, 2 * MAX_SHIFT + 1, len(x))
    out = np.stack([padded[i, ..., dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(len(x))])
    if augment is Augment.SHIFT_FLIP:
        flip = rng.random(len(x)) < 0.5
        out[flip] = out[flip][..., ::-1]
    return out
