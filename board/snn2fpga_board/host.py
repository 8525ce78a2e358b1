"""The host protocol of the generated top: input quantization, word packing and output unpacking.

This module is the single source of truth for the words that cross the AXI-Stream interfaces;
snn2fpga imports ``pack_inputs`` from here.

* Input stream (32-bit words, TLAST on the last word of a call):
  - ``rate`` / ``latency`` encoders run on chip: a sample is its 8-bit features, 4 per word,
    little-endian (feature ``4k + j`` in bits ``8j .. 8j + 7`` of word ``k``), the last word zero-padded;
    ``ceil(N / 4)`` words per sample.
  - ``spikes``: a sample is its spike train, timestep after timestep, 32 inputs per word (input ``i`` of
    timestep ``t`` at bit ``i % 32`` of word ``t * ceil(N / 32) + i // 32``); ``T * ceil(N / 32)`` words.
* Output stream: per sample, one 32-bit signed word per class (final readout membrane, or spike count),
  TLAST on the last word of the call.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

INPUT_MAX = 255  # largest 8-bit feature code; a feature x in [0, 1] becomes floor(x * 255 + 0.5)
FEATURES_PER_WORD = 4
SPIKES_PER_WORD = 32
INPUT_KINDS = ("rate", "latency", "spikes")


def quantize_input(x: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Host-side quantization of features in [0, 1] to 8-bit integers (round half up, clipped).

    Same shape as ``x``; identical to ``snn2fpga.semantics.quantize_input`` (a test holds them equal).
    """
    arr = np.asarray(x, dtype=np.float64)
    return np.clip(np.floor(arr * INPUT_MAX + 0.5), 0, INPUT_MAX).astype(np.uint8)


def words_per_sample(input_kind: str, features: int, timesteps: int) -> int:
    """32-bit input words per sample for ``features`` inputs (and ``timesteps`` for spike trains)."""
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
