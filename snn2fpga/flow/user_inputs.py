"""The user's own inputs for the C-simulation check (``build --inputs FILE.npy``, ``BuildConfig.inputs``).

The file holds what the model takes, as a plain array (never a pickle):

- models with an on-chip encoder (rate/latency): features [n, *input_shape] (or [n, N]) in [0, 1];
- I/Q models: frames [n, T, 2] (float, normalised on the host like the dataset's);
- models that take spike trains (encoder none): spikes [T, n, N] of 0/1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError


def load_user_inputs(path: Path, meta: dict[str, Any], limit: int | None) -> np.ndarray:
    """The graph inputs of ``path`` (the first ``limit`` samples), checked against the model's metadata."""
    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise SNN2FPGAError(f"--inputs {path} does not exist") from None
    except (OSError, ValueError, EOFError) as exc:
        raise SNN2FPGAError(f"--inputs {path} is not a readable .npy array (pickles are refused): {exc}") from None
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
        raise SNN2FPGAError(f"--inputs {path}: expected a numeric array, got {getattr(x, 'dtype', type(x))}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise SNN2FPGAError(f"--inputs {path} holds NaN or infinite values")
    n_in = int(np.prod(meta["input_shape"]))
    timesteps = int(meta["timesteps"])
    encoder = meta["encoder"]
    if encoder == "none":
        if x.ndim != 3 or x.shape[0] != timesteps or x.shape[2] != n_in or not np.isin(x, (0, 1)).all():
            raise SNN2FPGAError(f"--inputs {path}: this model takes spike trains [T={timesteps}, n, N={n_in}] of "
                                f"0/1, got {x.dtype} {list(x.shape)}")
        x = x[:, :limit] if limit is not None else x
        if x.shape[1] < 1:
            raise SNN2FPGAError(f"--inputs {path} holds no samples")
        return x.astype(np.uint8)
    if encoder == "iq_plane":
        if x.ndim != 3 or x.shape[2] != 2 or x.dtype.kind != "f":
            raise SNN2FPGAError(f"--inputs {path}: this model takes I/Q frames [n, T, 2] (float), got {x.dtype} "
                                f"{list(x.shape)}")
    else:
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != n_in:
            shape = ", ".join(map(str, meta["input_shape"]))
            raise SNN2FPGAError(f"--inputs {path}: this model takes features [n, {shape}] in [0, 1], got "
                                f"{list(x.shape)}")
        if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
            raise SNN2FPGAError(f"--inputs {path}: features must lie in [0, 1] (the host quantises them to 8 bits), "
                                f"got {float(x.min()):g}..{float(x.max()):g}")
    x = x[:limit] if limit is not None else x
    if len(x) < 1:
        raise SNN2FPGAError(f"--inputs {path} holds no samples")
    return x


def vacuous(scores: np.ndarray | None) -> bool:
    """A check is vacuous when every reference score is 0: nothing fired and nothing was integrated, so
    '0 mismatches' says nothing about the design."""
    return scores is not None and scores.size > 0 and not np.any(scores)
