"""What the QONNX execution of an exported graph gave for a set of inputs, stored by content (torch-free).

Export verification and the build's C-simulation step both run QONNX on the test split; the first
stores, per sample, everything the second compares (scores, predictions, per-neuron spike counts of
every spiking layer), keyed by a hash of the graph file and of the inputs as QONNX sees them
(float32, sample-major). The C-simulation step finds it by recomputing the key from its own graph file
and inputs, so QONNX runs once per input set; any change to either gives another key.

Entries live in ``$SNN2FPGA_CACHE/reference`` (default ``~/.cache/snn2fpga/reference``); only the
newest :data:`MAX_ENTRIES`, and of those no more than :data:`MAX_BYTES` together, are kept. They are
stored uncompressed: the conv example's 10,000 test images make a 189 MB entry that loads in about
2 s, while compressing it (to 17 MB) took 48 s.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.cache import cache_root
from snn2fpga.export.graph import PREDICTION, SCORES
from snn2fpga.ops import DOMAIN

MAX_ENTRIES = 8
MAX_BYTES = 1 << 30
_SPIKES = "_spikes"


def spiking_layers(model: ModelWrapper) -> list[str]:
    """Names of the graph's neuron layers that emit spikes (their ``<name>_spikes`` outputs)."""
    return [n.output[0][: -len(_SPIKES)] for n in model.graph.node
            if n.domain == DOMAIN and n.output and n.output[0].endswith(_SPIKES)]


@dataclass
class GraphReference:
    """Per-sample QONNX results of n samples.

    Attributes:
        scores: int64 [n, classes] readout membranes or spike counts.
        predictions: int64 [n] predicted classes.
        spike_counts: per spiking layer, spikes per neuron summed over the T timesteps, [n, N] for
            vectors or [n, C, H, W] for maps (graph layout), in the smallest unsigned type that holds T.
    """

    scores: np.ndarray
    predictions: np.ndarray
    spike_counts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def from_context(cls, ctx: dict[str, np.ndarray], layers: list[str], n: int) -> GraphReference:
        """The reference of one QONNX run over n samples (its full execution context)."""
        counts = {}
        for layer in layers:
            spikes = np.asarray(ctx[f"{layer}{_SPIKES}"])
            if spikes.ndim == 3:  # vectors [T, n, N]
                steps, per = spikes.shape[0], spikes.sum(axis=0)
            else:  # maps [T*n, C, H, W]
                steps = spikes.shape[0] // n
                per = spikes.reshape(steps, n, *spikes.shape[1:]).sum(axis=0)
            counts[layer] = per.astype(np.min_scalar_type(steps))
        return cls(np.asarray(ctx[SCORES]).astype(np.int64), np.asarray(ctx[PREDICTION]).astype(np.int64), counts)

    @classmethod
    def concatenate(cls, parts: list[GraphReference]) -> GraphReference:
        """One reference for consecutive chunks of samples."""
        return cls(np.concatenate([p.scores for p in parts]), np.concatenate([p.predictions for p in parts]),
                   {k: np.concatenate([p.spike_counts[k] for p in parts]) for k in parts[0].spike_counts})


class InputsKey:
    """Content key of (graph file, inputs), fed chunk by chunk (sample-major), so that any chunking of the
    same samples gives the same key. Inputs are hashed as float32, the values QONNX executes."""

    def __init__(self, onnx: Path | bytes) -> None:
        """``onnx``: the graph file, or its bytes (before they are written)."""
        self._h = hashlib.sha256(onnx if isinstance(onnx, bytes) else Path(onnx).read_bytes())
        self._shape: tuple[int, ...] | None = None
        self._count = 0

    def update(self, chunk: np.ndarray) -> None:
        arr = np.ascontiguousarray(chunk, dtype=np.float32)
        if self._shape is None:
            self._shape = arr.shape[1:]
        elif arr.shape[1:] != self._shape:
            raise ValueError(f"chunk of per-sample shape {arr.shape[1:]} after {self._shape}")
        self._count += arr.shape[0]
        self._h.update(arr.tobytes())

    def hexdigest(self) -> str:
        h = self._h.copy()
        h.update(repr((self._shape, self._count)).encode())
        return h.hexdigest()


def inputs_key(onnx_path: Path, inputs: np.ndarray, chunk: int = 1000) -> str:
    """:class:`InputsKey` of sample-major inputs [n, ...] in one call."""
    key = InputsKey(onnx_path)
    for start in range(0, len(inputs), chunk):
        key.update(inputs[start : start + chunk])
    return key.hexdigest()


def _entry(key: str) -> Path:
    return cache_root() / "reference" / f"{key[:40]}.npz"


def save_reference(key: str, ref: GraphReference) -> Path:
    """Store ``ref`` under ``key`` (atomically), then drop the oldest entries beyond :data:`MAX_ENTRIES` or
    :data:`MAX_BYTES` (the newest entry is always kept)."""
    path = _entry(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(key), scores=ref.scores, predictions=ref.predictions,
                     layers=np.array(list(ref.spike_counts), dtype=str),
                     **{f"counts_{i}": c for i, c in enumerate(ref.spike_counts.values())})
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    entries = []
    for entry in path.parent.glob("*.npz"):
        try:
            st = entry.stat()
        except FileNotFoundError:  # pruned by another process meanwhile
            continue
        entries.append((st.st_mtime_ns, st.st_size, entry))
    entries.sort(reverse=True)
    total = 0
    for i, (_, size, entry) in enumerate(entries):
        total += size
        if i and (i >= MAX_ENTRIES or total > MAX_BYTES):
            entry.unlink(missing_ok=True)
    return path


def load_reference(key: str) -> GraphReference | None:
    """The reference stored under ``key``, or None (absent, unreadable or another key's entry)."""
    try:
        with np.load(_entry(key)) as f:
            if str(f["key"]) != key:
                return None
            layers = [str(name) for name in f["layers"]]
            return GraphReference(f["scores"], f["predictions"], {k: f[f"counts_{i}"] for i, k in enumerate(layers)})
    except (OSError, KeyError, ValueError):
        return None
