"""Reader for the IDX format of MNIST / Fashion-MNIST (plain or gzip-compressed)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from snn2fpga.errors import SNN2FPGAError

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (``.gz`` is decompressed) into a numpy array of its declared shape."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SNN2FPGAError(f"cannot read IDX file {path}: {exc.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SNN2FPGAError(f"{path} is a corrupt gzip file: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise SNN2FPGAError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise SNN2FPGAError(f"{path} is truncated (incomplete IDX header)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(shape)) if shape else 0
    if len(raw) - header != count * dtype.itemsize:
        raise SNN2FPGAError(
            f"{path} is truncated or padded: header says {shape} ({count * dtype.itemsize} bytes), "
            f"file holds {len(raw) - header} bytes of data"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).copy()


def find_idx(directory: Path, stem: str) -> Path | None:
    """The IDX file ``stem`` in ``directory``, plain or ``.gz``, if present."""
    for name in (stem, stem + ".gz"):
        cand = directory / name
        if cand.is_file():
            return cand
    return None
