"""The host protocol of the generated top: input quantization, word packing and output unpacking.

This module is the single source of truth for the words that cross the AXI-Stream interfaces;
snn2fpga imports ``pack_inputs`` from here.

* Input stream (32-bit words, TLAST on the last word of a call):
  - ``rate`` / ``latency`` encoders run on chip: a sample is its 8-bit features, 4 per word,
    little-endian (feature ``4k + j`` in bits ``8j .. 8j + 7`` of word ``k``), the last word zero-padded;
    ``ceil(N / 4)`` words per sample.
  - ``spikes``: a sample is its spike train, timestep after timestep, 32 inputs per word (input ``i`` of
    timestep ``t`` at bit ``i % 32`` of word ``t * ceil(N / 32) + i // 32``); ``T * ceil(N / 32)`` words.
  - ``iq``: a sample is an I/Q frame [T, 2] quantised on the host (``iq_codes``: per-frame normalisation,
    then signed 8-bit codes); bytes I(t), Q(t), I(t + 1), Q(t + 1) per word (little-endian, two's
    complement), an odd T zero-pads the last word; ``ceil(T / 2)`` words. The I/Q-plane encoder runs on chip.
* Output stream: per sample, one 32-bit signed word per class (final readout membrane, or spike count),
  TLAST on the last word of the call.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

INPUT_MAX = 255  # largest 8-bit feature code; a feature x in [0, 1] becomes floor(x * 255 + 0.5)
FEATURES_PER_WORD = 4
SPIKES_PER_WORD = 32
INPUT_KINDS = ("rate", "latency", "spikes", "iq")
IQ_NORMS = ("peak", "rms", "none")  # per-frame I/Q normalisation before quantisation (iq_codes)
IQ_CODE_BITS = 8
IQ_CODE_MIN = -(1 << (IQ_CODE_BITS - 1))  # -128
IQ_CODE_MAX = (1 << (IQ_CODE_BITS - 1)) - 1  # 127


def quantize_input(x: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Host-side quantization of features in [0, 1] to 8-bit integers (round half up, clipped).

    Same shape as ``x``; identical to ``snn2fpga.semantics.quantize_input`` (a test holds them equal).
    """
    arr = np.asarray(x, dtype=np.float64)
    return np.clip(np.floor(arr * INPUT_MAX + 0.5), 0, INPUT_MAX).astype(np.uint8)


def iq_normalize(frames: npt.ArrayLike, norm: str) -> npt.NDArray[np.float32]:
    """Per-frame scaling of I/Q frames [..., T, 2] (float32 result), as snn2fpga's ``iq_normalize``.

    ``peak`` divides each frame by its largest |I| or |Q|, ``rms`` by sqrt(mean(I^2 + Q^2)) (in float64),
    ``none`` leaves the values; all-zero frames (and frames whose scale is NaN) are not scaled. The values
    are cast to float32 first, as snn2fpga does.
    """
    x = np.asarray(frames, dtype=np.float32)
    if x.ndim < 2 or x.shape[-1] != 2:
        raise ValueError(f"I/Q frames must be [..., T, 2], got shape {list(x.shape)}")
    if norm == "none":
        return x.copy()
    if norm == "peak":
        scale = np.max(np.abs(x), axis=(-2, -1), keepdims=True)
    elif norm == "rms":
        scale = np.sqrt(np.mean(np.sum(x.astype(np.float64) ** 2, axis=-1), axis=-1))[..., None, None]
    else:
        raise ValueError(f"unknown I/Q normalisation {norm!r}; known: {', '.join(IQ_NORMS)}")
    return (x / np.where(scale > 0, scale, 1.0)).astype(np.float32)


def iq_codes(frames: npt.ArrayLike, norm: str, iq_range: float) -> npt.NDArray[np.int8]:
    """Host-side quantisation of I/Q frames [n, T, 2] to signed 8-bit codes [n, T, 2] (int8).

    Normalise each frame (``iq_normalize``), then ``code = clip(floor(v / iq_range * 128), -128, 127)``
    with NaN as 0 and +-inf clipped; identical to snn2fpga's
    ``quantize_iq(iq_normalize(frames, norm), iq_range)`` (a test holds them equal).
    """
    iq_range = float(iq_range)
    if not iq_range > 0:
        raise ValueError(f"iq_range must be positive, got {iq_range}")
    with np.errstate(all="ignore"):  # inf / NaN / float32 overflow: the values are defined below as snn2fpga's
        arr = np.asarray(iq_normalize(frames, norm), dtype=np.float64)
        if arr.ndim != 3:
            raise ValueError(f"I/Q frames must be [frames, samples, 2], got shape {list(arr.shape)}")
        codes = np.floor(arr / iq_range * (1 << (IQ_CODE_BITS - 1)))
        return np.clip(np.nan_to_num(codes), IQ_CODE_MIN, IQ_CODE_MAX).astype(np.int8)


def iq_frames(codes: npt.ArrayLike, norm: str, iq_range: float
              ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Float I/Q frames [n, T, 2] that ``iq_codes`` turns back into ``codes`` [n, T, 2], and which did.

    The inverse of the host quantisation, for sending stored codes through ``classify``/``run``: ``none``
    gives the middle of each code's bin (always exact); ``peak`` a frame whose largest magnitude is exactly
    1 (only codes some peak-normalised frame produces: one of them must be the code of +1 or -1); ``rms`` a
    frame of RMS 1 inside the codes' bins (only codes some frame of unit RMS produces). An all-zero code
    frame is the zero frame. ``ok[i]`` is False where no frame gives sample ``i``'s codes (e.g. random
    codes under ``peak``); those frames are not meaningful (send such codes with ``pack_inputs``).
    """
    c = np.asarray(codes).astype(np.int64)
    if c.ndim != 3 or c.shape[-1] != 2:
        raise ValueError(f"I/Q codes must be [frames, samples, 2], got shape {list(c.shape)}")
    if norm not in IQ_NORMS:
        raise ValueError(f"unknown I/Q normalisation {norm!r}; known: {', '.join(IQ_NORMS)}")
    r = float(iq_range)
    step = r / (1 << (IQ_CODE_BITS - 1))
    n, steps, _ = c.shape
    with np.errstate(all="ignore"):
        lo = np.where(c == IQ_CODE_MIN, -np.inf, c * step)  # the bin of each code (the extreme codes are open)
        hi = np.where(c == IQ_CODE_MAX, np.inf, (c + 1) * step)
        mid = (c + 0.5) * step
        if norm == "none":
            u = mid
        elif norm == "peak":
            u = np.clip(mid, -1.0, 1.0)
            ends = iq_codes(np.array([[[1.0, -1.0]]]), "none", r)[0, 0].astype(np.int64)  # the codes of +1, -1
            flat = u.reshape(n, -1)  # a view: one sample per frame at the peak, +1 (else -1) where a code allows
            pos, neg = c.reshape(n, -1) == ends[0], c.reshape(n, -1) == ends[1]
            at_pos, at_neg = pos.any(axis=1), neg.any(axis=1) & ~pos.any(axis=1)
            flat[at_pos, np.argmax(pos, axis=1)[at_pos]] = 1.0
            flat[at_neg, np.argmax(neg, axis=1)[at_neg]] = -1.0
        else:  # rms: a point of the bins (shrunk by a margin) at distance sqrt(T) from the origin
            margin = 0.25 * step
            lo_s, hi_s = lo + margin, hi - margin
            near = np.clip(0.0, lo_s, hi_s)
            finite = np.abs(np.where(np.isfinite(lo_s), lo_s, 0)) + np.abs(np.where(np.isfinite(hi_s), hi_s, 0))
            big = np.sqrt(steps) + finite  # beyond every bound: far enough for a sum of squares of T
            far = np.where(np.abs(lo_s) > np.abs(hi_s), np.maximum(lo_s, -big), np.minimum(hi_s, big))
            d = (far - near).reshape(n, -1)
            a = near.reshape(n, -1)
            qa, qb, qc = np.sum(d * d, axis=1), 2 * np.sum(a * d, axis=1), np.sum(a * a, axis=1) - steps
            disc = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
            lam = np.clip(np.where(qa > 0, (-qb + disc) / np.where(qa > 0, 2 * qa, 1.0), 0.0), 0.0, 1.0)
            u = (a + lam[:, None] * d).reshape(c.shape)
        u = np.where((c == 0).all(axis=(1, 2), keepdims=True), 0.0, u)  # all-zero codes: the zero frame
        frames = np.nan_to_num(u).astype(np.float32)
    ok = np.all(iq_codes(frames, norm, r) == c, axis=(1, 2)) if n else np.zeros(0, dtype=bool)
    return frames, ok


def words_per_sample(input_kind: str, features: int, timesteps: int) -> int:
    """32-bit input words per sample for ``features`` inputs (and ``timesteps`` for spike trains and
    I/Q frames)."""
    if input_kind == "iq":
        return -(-timesteps // 2)
    if input_kind == "spikes":
        return timesteps * -(-features // SPIKES_PER_WORD)
    return -(-features // FEATURES_PER_WORD)


def pack_inputs(graph_input: np.ndarray, input_kind: str) -> np.ndarray:
    """Host words [n, words] for a batch: uint8 features [n, N] (4 per word, little-endian), spike
    trains [T, n, N] (32 per word per timestep, input i at bit i % 32 of word i // 32), or signed 8-bit
    I/Q codes [n, T, 2] ("iq": bytes I(t), Q(t), I(t+1), Q(t+1) per word; an odd T pads the last word)."""
    if input_kind == "iq":
        codes = np.asarray(graph_input).astype(np.int64) & 0xFF
        n, steps, _ = codes.shape
        flat = np.zeros((n, -(-steps // 2) * 4), dtype=np.uint64)
        flat[:, : steps * 2] = codes.reshape(n, steps * 2)
        return (flat.reshape(n, -1, 4) << (np.uint64(8) * np.arange(4, dtype=np.uint64))).sum(axis=2).astype(np.uint32)
    if input_kind == "spikes":
        spikes = np.asarray(graph_input).astype(np.uint64)
        steps, n, n_in = spikes.shape
        per_t = -(-n_in // 32)
        padded = np.zeros((n, steps, per_t * 32), dtype=np.uint64)
        padded[:, :, :n_in] = spikes.transpose(1, 0, 2)
        words = (padded.reshape(n, steps, per_t, 32) << np.arange(32, dtype=np.uint64)).sum(axis=3)
        return words.reshape(n, steps * per_t).astype(np.uint32)
    q = np.asarray(graph_input).astype(np.uint64)
    n, n_in = q.shape
    padded = np.zeros((n, -(-n_in // 4) * 4), dtype=np.uint64)
    padded[:, :n_in] = q
    return (padded.reshape(n, -1, 4) << (np.uint64(8) * np.arange(4, dtype=np.uint64))).sum(axis=2).astype(np.uint32)


def unpack_outputs(raw: npt.ArrayLike, out_words: int) -> npt.NDArray[np.int32]:
    """Class scores int32 [n, out_words] from the output stream's words (flat or [n, out_words]).

    The words are reinterpreted as signed 32-bit (a uint32 buffer holding 0xFFFFFFFF gives -1).
    """
    arr = np.ascontiguousarray(raw)
    if arr.dtype.itemsize != 4 or arr.dtype.kind not in "iu":
        raise ValueError(f"output words must be 32-bit integers, got {arr.dtype}")
    if out_words <= 0 or arr.size % out_words:
        raise ValueError(f"{arr.size} output words are not a whole number of samples of {out_words} words")
    return arr.view(np.int32).reshape(-1, out_words).copy()


def predictions(scores: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Predicted class per sample: argmax of the scores [n, C]; ties go to the lowest index."""
    return np.argmax(np.asarray(scores), axis=1).astype(np.int64)
