"""$readmemh ROM files of the MLP-path RTL kernels (rtl/snn_dense_engine.sv, snn_dense_lif.sv, snn_dense_li.sv).

The integer arrays are the ones the HLS backend already builds (``_dense_arrays`` in snn2fpga/ops/hls.py):
weights ``[OUT, IN]`` with the inputs in the kernel's stream order, thresholds ``[OUT]``.

Layouts (one ROM word per line, hex, most significant digit first, no ``@`` addresses; bit 0 is the word's
least significant bit; every field two's complement):

* weights (``dense_weight_rom``): NF*SF words of PE*SIMD*WEIGHT_BITS bits (NF = OUT/PE, SF = IN/SIMD);
  word ``nf*SF + sf`` holds ``W[nf*PE + p][sf*SIMD + l]`` in bits ``(p*SIMD + l)*WEIGHT_BITS +: WEIGHT_BITS``
  (lane p major, SIMD element l minor): the word the engine reads for iteration (nf, sf).
* thresholds (``threshold_rom``): NF words of PE*STATE_BITS bits; word ``nf`` holds ``theta[nf*PE + p]`` in
  bits ``p*STATE_BITS +: STATE_BITS``.

A value outside its signed range would wrap in hardware instead of matching the reference, so it raises an
SNN2FPGAError naming the stage, as the HLS backend's ``_rom`` does.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from snn2fpga.errors import SNN2FPGAError

MIN_WEIGHT_BITS, MAX_WEIGHT_BITS = 2, 16
MIN_STATE_BITS, MAX_STATE_BITS = 2, 32


def _integers(values: npt.ArrayLike, what: str, stage: str) -> npt.NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.all(np.rint(arr) == arr):
            raise SNN2FPGAError(f"stage '{stage}': {what} must be integers (the quantized integer arrays)")
    return np.rint(arr).astype(np.int64)


def _check_fits(flat: npt.NDArray[np.int64], what: str, bits: int, stage: str) -> None:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if flat.size and (int(flat.min()) < lo or int(flat.max()) > hi):
        raise SNN2FPGAError(f"stage '{stage}': {what} range [{int(flat.min())}, {int(flat.max())}] does not fit "
                            f"{bits}-bit signed integers [{lo}, {hi}]")


def _hex_lines(fields: npt.NDArray[np.int64], bits: int) -> list[str]:
    """Rows of signed fields -> one hex line per row, field 0 in the least significant bits."""
    mask = (1 << bits) - 1
    digits = -(-fields.shape[1] * bits // 4)
    lines = []
    for row in fields:
        word = 0
        for i, v in enumerate(row):
            word |= (int(v) & mask) << (i * bits)
        lines.append(f"{word:0{digits}x}")
    return lines


def dense_weight_rom(weights_out_in: npt.ArrayLike, pe: int, simd: int, bits: int,
                     stage: str = "dense") -> list[str]:
    """The weight ROM lines of a dense kernel (layout in the module docstring).

    Args:
        weights_out_in: integer weights [OUT, IN] (units of the weight scale), inputs in stream order.
        pe: neurons per cycle, divides OUT.
        simd: inputs per cycle, divides IN.
        bits: WEIGHT_BITS, 2..16.
        stage: the stage name for error messages.
    """
    w = _integers(weights_out_in, "weights", stage)
    if w.ndim != 2:
        raise SNN2FPGAError(f"stage '{stage}': weights must be [OUT, IN], got shape {w.shape}")
    n_out, n_in = w.shape
    if pe < 1 or n_out % pe:
        raise SNN2FPGAError(f"stage '{stage}': PE={pe} must divide OUT={n_out}")
    if simd < 1 or n_in % simd:
        raise SNN2FPGAError(f"stage '{stage}': SIMD={simd} must divide IN={n_in}")
    if not MIN_WEIGHT_BITS <= bits <= MAX_WEIGHT_BITS:
        raise SNN2FPGAError(f"stage '{stage}': weight bits={bits} out of range: "
                            f"use {MIN_WEIGHT_BITS}..{MAX_WEIGHT_BITS}")
    _check_fits(w, "weights", bits, stage)
    # [NF, PE, SF, SIMD] -> [NF, SF, PE, SIMD]: word (nf, sf), field p*SIMD + l
    folded = w.reshape(n_out // pe, pe, n_in // simd, simd).transpose(0, 2, 1, 3)
    return _hex_lines(folded.reshape(-1, pe * simd), bits)


def threshold_rom(theta: npt.ArrayLike, pe: int, bits: int, stage: str = "dense") -> list[str]:
    """The threshold ROM lines of a dense LIF kernel: NF words of PE signed ``bits``-bit thresholds.

    Args:
        theta: integer thresholds [OUT] (units of the weight scale), 1..2^(bits-1)-1 for a LIF layer.
        pe: neurons per cycle, divides OUT.
        bits: STATE_BITS, 2..32.
        stage: the stage name for error messages.
    """
    th = _integers(theta, "thresholds", stage).ravel()
    if pe < 1 or th.size % pe:
        raise SNN2FPGAError(f"stage '{stage}': PE={pe} must divide the {th.size} thresholds")
    if not MIN_STATE_BITS <= bits <= MAX_STATE_BITS:
        raise SNN2FPGAError(f"stage '{stage}': state bits={bits} out of range: "
                            f"use {MIN_STATE_BITS}..{MAX_STATE_BITS}")
    _check_fits(th, "thresholds", bits, stage)
    return _hex_lines(th.reshape(-1, pe), bits)


def write_rom(path: str | os.PathLike[str], lines: Sequence[str]) -> Path:
    """Write ROM lines to ``path`` atomically (temporary file in the same folder, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write("".join(f"{line}\n" for line in lines))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def conv_weight_rom(weight: npt.ArrayLike, pe: int, simd: int, bits: int, stage: str = "conv") -> list[str]:
    """The weight ROM lines of a conv kernel (rtl/snn_conv.sv, rtl/snn_conv_event.sv).

    The PyTorch/reference weights [COUT, CIN, K, K] become the HLS kernel matrix [COUT, K*K*CIN] with column
    (ky*K + kx)*CIN + ci (as ``SpikingConv_hls.stage_code``), folded exactly as ``dense_weight_rom``: word
    nf*SF + sf (SF = K*K*CIN/SIMD) holds Wm[nf*PE + p][sf*SIMD + l] in bits (p*SIMD + l)*bits.

    Args:
        weight: integer weights [COUT, CIN, K, K] (units of the weight scale).
        pe: output channels per cycle, divides COUT.
        simd: input channels per cycle, divides CIN (1 for the event-driven conv).
        bits: WEIGHT_BITS, 2..16.
        stage: the stage name for error messages.
    """
    w = _integers(weight, "weights", stage)
    if w.ndim != 4 or w.shape[2] != w.shape[3]:
        raise SNN2FPGAError(f"stage '{stage}': conv weights must be [COUT, CIN, K, K] with a square kernel, "
                            f"got shape {w.shape}")
    cout, cin, k, _ = w.shape
    if simd < 1 or cin % simd:
        raise SNN2FPGAError(f"stage '{stage}': SIMD={simd} must divide CIN={cin}")
    return dense_weight_rom(w.transpose(0, 2, 3, 1).reshape(cout, k * k * cin), pe, simd, bits, stage)
