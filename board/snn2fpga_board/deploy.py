"""Read and validate a deploy folder (the contract between ``snn2fpga build`` and the board).

snn2fpga writes the folder; this module only reads it. Layout::

    deploy/
      model.json              metadata, format below
      golden.npz              golden test vectors, format below
      bitfile/snn2fpga.bit    bitstream      } only when Vivado ran; the .hwh must sit beside the .bit
      bitfile/snn2fpga.hwh    hardware handoff } with the same stem (pynq.Overlay reads it)
      csim/libsnn_csim.so     the compiled C-simulation library of the same top (the emulated device)
      hls/                    the generated HLS sources + kernel headers (csim_lib.cpp rebuilds the .so)
      snn2fpga_board/         a copy of this runtime package
      snn2fpga_demo.ipynb     the demo notebook

``model.json`` (all keys required unless marked optional; lists may be JSON arrays of any length)::

    {"format": "snn2fpga-deploy", "version": 1, "top": "snn_top",
     "input": {"kind": "rate" | "latency" | "spikes" | "iq",
               "shape": [8, 8],            # one sample's features (spikes: [N], the input neurons; iq: [T, 2])
               "features": 64,             # N = prod(shape)  (iq: 2 * T)
               "timesteps": 16,            # T
               "bits": 8,                  # feature bits: 8 for rate/latency/iq; informational for spikes
               "scale": 0.00392156862745098,   # feature value of one code step (1/255; informational for iq)
               "words_per_sample": 16,     # rate/latency: ceil(N/4); spikes: T * ceil(N/32); iq: ceil(T/2)
               "iq": {"grid": 32,          # iq only: bins per axis of the on-chip I/Q-plane encoder, 2..256
                      "range": 1.0,        #   the codes span [-range, range) of the normalised frame, > 0
                      "norm": "peak"}},    #   per-frame normalisation on the host: "peak" | "rms" | "none"
     "output": {"kind": "membrane" | "spike_count", "classes": ["0", ...],
                "words_per_sample": 10},   # = len(classes): one signed 32-bit score per class
     "encoder": {"kind": "rate", "timesteps": 16, "seed": 0},   # object, informational ("none": spikes)
     "quantization": {"layers": [{"name": "layer0", "weight_bits": 4, "state_bits": 16, ...}]},
     "folding": {"layer0": {"PE": 4, "SIMD": 8}, ...},         # object, informational
     "estimate": {...},                                         # object, informational
     "board": {"name": "pynq-z2", "part": "xc7z020clg400-1", "pmbus_power": false},
     "clock_mhz": 100.0,                   # number or null
     "ip": {"name": "snn_top_0",           # the HLS IP's name in the overlay (ol.<name>)
            "dma": "axi_dma_0",            # the AXI DMA's name in the overlay
            "num_samples_offset": 16},     # AXI-Lite byte offset of num_samples (ap_ctrl at 0)
     "bitstream": "bitfile/snn2fpga.bit" | null}   # relative to the deploy folder

``golden.npz`` (n >= 1 samples)::

    inputs       uint8 [n, features] quantized features, uint8 0/1 spikes [T, n, N], or
                 int8 [n, T, 2] I/Q codes (iq: host.iq_codes of the frames)
    words        uint32 [n, input.words_per_sample]   the host words of the inputs (pack_inputs)
    scores       int32 [n, C]                          reference readout membranes / spike counts
    predictions  int64 [n]                             argmax of scores (ties: lowest index)
    labels       int64 [n]                             optional: dataset labels
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga_board.errors import DeployError
from snn2fpga_board.host import (
    INPUT_KINDS,
    INPUT_MAX,
    IQ_CODE_MAX,
    IQ_CODE_MIN,
    IQ_NORMS,
    iq_frames,
    words_per_sample,
)

FORMAT = "snn2fpga-deploy"
VERSION = 1
MODEL_JSON = "model.json"
GOLDEN_NPZ = "golden.npz"
LIBRARY = "csim/libsnn_csim.so"
RTL_LIBRARY = "rtlsim/libsnn_rtlsim.so"  # RTL backend: the Verilator model of the RTL top (ROM .mem files beside it)
EMULATION_LIBRARIES = {"csim": LIBRARY, "rtlsim": RTL_LIBRARY}  # model.json "emulation.kind" -> library
HLS_DIR = "hls"
OUTPUT_KINDS = ("membrane", "spike_count")


@dataclass(frozen=True)
class IQSpec:
    """How the host quantises I/Q frames (``host.iq_codes``) and the on-chip encoder's grid."""

    grid: int  # bins per axis of the I/Q plane (informational: the encoder is on chip)
    range: float  # codes span [-range, range) of the normalised frame
    norm: str  # peak | rms | none


@dataclass(frozen=True)
class InputSpec:
    """What one sample looks like on the host and on the input stream."""

    kind: str  # rate | latency (features, encoded on chip) | spikes (spike trains from the host) | iq
    shape: tuple[int, ...]  # one sample's features (spikes: (N,); iq: (T, 2))
    features: int  # N
    timesteps: int  # T
    bits: int
    scale: float  # feature value per code step
    words_per_sample: int  # 32-bit words
    iq: IQSpec | None = None  # kind iq only


@dataclass(frozen=True)
class OutputSpec:
    """What the top returns per sample."""

    kind: str  # membrane | spike_count
    classes: tuple[str, ...]
    words_per_sample: int  # 32-bit signed words, one per class


@dataclass(frozen=True)
class GoldenVectors:
    """Golden test vectors: inputs, their host words and the reference outputs (see module doc).

    ``sample``/``batch`` give the inputs as ``SNNOverlay.classify``/``run`` take them, which quantise them
    back to exactly the stored inputs; with ``codes=True`` they give the stored inputs themselves, as
    ``classify_codes``/``run_codes`` take them. I/Q codes have a float frame only when some normalised
    frame produces them (``exact_frames``); random codes under ``peak`` or ``rms`` normalisation have none.
    """

    inputs: np.ndarray
    words: np.ndarray
    scores: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray | None
    input: InputSpec
    iq_frames: np.ndarray | None = field(default=None, repr=False)  # iq: float32 [n, T, 2] (host.iq_frames)
    iq_exact: np.ndarray | None = field(default=None, repr=False)  # iq: bool [n], which frames give the codes

    @property
    def count(self) -> int:
        """Number of samples."""
        return int(self.words.shape[0])

    @property
    def exact_frames(self) -> bool:
        """Whether every sample has a float input that quantises back to its stored inputs (always, except
        I/Q codes that no normalised frame produces: send those with ``codes=True``)."""
        return self.iq_exact is None or bool(np.all(self.iq_exact))

    def _limit(self, limit: int | None) -> int:
        return self.count if limit is None else max(0, min(int(limit), self.count))

    def _check_frames(self, which: np.ndarray) -> None:
        if self.iq_exact is not None and not np.all(self.iq_exact[which]):
            i = int(which[~self.iq_exact[which]][0])
            iq = self.input.iq
            raise DeployError(
                f"golden sample {i}'s I/Q codes come from no {iq.norm if iq else ''}-normalised frame (e.g. random "
                "codes), so no float frame reproduces them: use sample(i, codes=True) / batch(n, codes=True) with "
                "SNNOverlay.classify_codes / run_codes, which send the stored codes as they are"
            )

    def sample(self, i: int, codes: bool = False) -> np.ndarray:
        """Sample ``i`` as ``SNNOverlay.classify`` takes it: features in [0, 1] of the input shape (float64,
        exactly the golden codes after quantization), a spike train [T, N] (uint8), or an I/Q frame [T, 2]
        (float32, giving the golden codes after normalisation and quantisation).

        ``codes=True``: the stored inputs as ``classify_codes`` takes them: uint8 features of the input shape,
        the spike train, or int8 I/Q codes [T, 2].
        """
        kind = self.input.kind
        if kind == "spikes":
            return self.inputs[:, i, :].copy()
        if codes:
            return self.inputs[i].reshape(self.input.shape).copy()
        if kind == "iq":
            self._check_frames(np.arange(self.count)[[i]])
            return self.iq_frames[i].copy()
        return (self.inputs[i].astype(np.float64) / INPUT_MAX).reshape(self.input.shape)

    def batch(self, limit: int | None = None, codes: bool = False) -> np.ndarray:
        """The first ``limit`` (default all) samples as ``SNNOverlay.run`` takes them: features [n, *shape]
        in [0, 1], spike trains [T, n, N], or I/Q frames [n, T, 2] (float32).

        ``codes=True``: the stored inputs as ``run_codes`` takes them (uint8 features [n, *shape], spike
        trains, or int8 I/Q codes [n, T, 2]).
        """
        n = self._limit(limit)
        kind = self.input.kind
        if kind == "spikes":
            return self.inputs[:, :n, :].copy()
        if codes:
            return self.inputs[:n].reshape(n, *self.input.shape).copy()
        if kind == "iq":
            self._check_frames(np.arange(n))
            return self.iq_frames[:n].copy()
        return (self.inputs[:n].astype(np.float64) / INPUT_MAX).reshape(n, *self.input.shape)


@dataclass
class DeployInfo:
    """A validated deploy folder. ``meta`` is the whole model.json; the other fields are its checked parts."""

    root: Path
    top: str
    input: InputSpec
    output: OutputSpec
    board: dict[str, Any]
    ip: dict[str, Any]
    clock_mhz: float | None
    bitstream: Path | None  # absolute path, or None when Vivado did not run
    meta: dict[str, Any] = field(repr=False)
    golden_vectors: GoldenVectors = field(repr=False)

    @property
    def emulation_kind(self) -> str:
        """What the emulated device runs: ``csim`` (C-simulation of the HLS top) or ``rtlsim`` (Verilator model
        of the RTL top), from model.json's ``emulation.kind`` (packages without it are HLS builds: csim)."""
        emulation = self.meta.get("emulation")
        return str(emulation["kind"]) if isinstance(emulation, dict) else "csim"

    @property
    def library_path(self) -> Path:
        """The library of the emulated device (a fixed path inside the package for each kind)."""
        return self.root / EMULATION_LIBRARIES[self.emulation_kind]

    @property
    def hls_dir(self) -> Path:
        return self.root / HLS_DIR

    @property
    def board_name(self) -> str:
        return str(self.board.get("name", "the board"))

    @property
    def pmbus_power(self) -> bool:
        return bool(self.board.get("pmbus_power", False))


def _get(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``d[key]`` checked against ``kind`` (bool is never accepted as a number)."""
    if not isinstance(d, dict) or key not in d:
        raise DeployError(f"{MODEL_JSON} is incomplete: '{where}{key}' is missing")
    value = d[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise DeployError(f"{MODEL_JSON}: '{where}{key}' must be {_names(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise DeployError(f"{MODEL_JSON}: '{where}{key}' must be {_names(kind)}, got {value!r}")
    return value


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object",
                        bool: "a boolean", type(None): "null"}.get(k, k.__name__) for k in kinds)


def _positive(value: int, where: str) -> int:
    if value <= 0:
        raise DeployError(f"{MODEL_JSON}: '{where}' must be positive, got {value}")
    return value


def _iq_spec(d: dict[str, Any]) -> IQSpec:
    grid = _get(d, "grid", int, "input.iq.")
    if not 2 <= grid <= 256:
        raise DeployError(f"{MODEL_JSON}: input.iq.grid must be 2..256 bins, got {grid}")
    iq_range = float(_get(d, "range", (int, float), "input.iq."))
    if not (math.isfinite(iq_range) and iq_range > 0):
        raise DeployError(f"{MODEL_JSON}: input.iq.range must be a positive number, got {iq_range}")
    norm = _get(d, "norm", str, "input.iq.")
    if norm not in IQ_NORMS:
        raise DeployError(f"{MODEL_JSON}: input.iq.norm '{norm}' is not one of {', '.join(IQ_NORMS)}")
    return IQSpec(grid, iq_range, norm)


def _input_spec(d: dict[str, Any]) -> InputSpec:
    kind = _get(d, "kind", str, "input.")
    if kind not in INPUT_KINDS:
        raise DeployError(f"{MODEL_JSON}: input.kind '{kind}' is not one of {', '.join(INPUT_KINDS)}")
    shape = tuple(_get(d, "shape", list, "input."))
    if not shape or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise DeployError(f"{MODEL_JSON}: input.shape must be a list of positive integers, got {list(shape)}")
    features = _positive(_get(d, "features", int, "input."), "input.features")
    if math.prod(shape) != features:
        raise DeployError(f"{MODEL_JSON}: input.shape {list(shape)} does not hold input.features = {features}")
    timesteps = _positive(_get(d, "timesteps", int, "input."), "input.timesteps")
    bits = _positive(_get(d, "bits", int, "input."), "input.bits")
    if kind != "spikes" and bits != 8:
        raise DeployError(f"{MODEL_JSON}: input.bits is {bits}; the host protocol packs 8-bit features")
    scale = float(_get(d, "scale", (int, float), "input."))
    iq = None
    if kind == "iq":
        if shape != (timesteps, 2):
            raise DeployError(f"{MODEL_JSON}: input.shape of I/Q frames must be [timesteps, 2] = [{timesteps}, 2], "
                              f"got {list(shape)}")
        iq = _iq_spec(_get(d, "iq", dict, "input."))
    words = _positive(_get(d, "words_per_sample", int, "input."), "input.words_per_sample")
    expected = words_per_sample(kind, features, timesteps)
    if words != expected:
        what = f"I/Q frames of {timesteps} timesteps (2 per word)" if kind == "iq" else \
            f"{features} {kind} inputs over {timesteps} timesteps"
        raise DeployError(f"{MODEL_JSON}: input.words_per_sample is {words}, but {what} take {expected} words")
    return InputSpec(kind, shape, features, timesteps, bits, scale, words, iq)


def _output_spec(d: dict[str, Any]) -> OutputSpec:
    kind = _get(d, "kind", str, "output.")
    if kind not in OUTPUT_KINDS:
        raise DeployError(f"{MODEL_JSON}: output.kind '{kind}' is not one of {', '.join(OUTPUT_KINDS)}")
    classes = tuple(str(c) for c in _get(d, "classes", list, "output."))
    if len(classes) < 1:
        raise DeployError(f"{MODEL_JSON}: output.classes is empty")
    words = _positive(_get(d, "words_per_sample", int, "output."), "output.words_per_sample")
    if words != len(classes):
        raise DeployError(f"{MODEL_JSON}: output.words_per_sample is {words} but there are {len(classes)} classes "
                          "(one score word per class)")
    return OutputSpec(kind, classes, words)


def _array(data: Any, key: str, kinds: str, ndim: int, path: Path) -> np.ndarray:
    if key not in data.files:
        raise DeployError(f"golden vectors {path} lack '{key}' (has: {', '.join(data.files)}): rebuild the deploy "
                          "folder with `snn2fpga build`")
    arr = data[key]
    if arr.dtype.kind not in kinds or arr.ndim != ndim:
        raise DeployError(f"golden vectors {path}: '{key}' is {arr.dtype} {list(arr.shape)}, expected an integer "
                          f"array of {ndim} dimensions")
    return arr


def load_golden(path: Path, inp: InputSpec, out: OutputSpec) -> GoldenVectors:
    """Load and check ``golden.npz`` against the input and output specs."""
    if not path.is_file():
        raise DeployError(f"golden vectors {path} are missing: rebuild the deploy folder with `snn2fpga build`")
    try:
        with np.load(path, allow_pickle=False) as data:
            spikes, iq = inp.kind == "spikes", inp.kind == "iq"
            inputs = _array(data, "inputs", "biu", 3 if spikes or iq else 2, path)
            words = _array(data, "words", "iu", 2, path).astype(np.uint32)
            scores = _array(data, "scores", "iu", 2, path).astype(np.int32)
            preds = _array(data, "predictions", "iu", 1, path).astype(np.int64)
            labels = _array(data, "labels", "iu", 1, path).astype(np.int64) if "labels" in data.files else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DeployError(f"golden vectors {path} cannot be read ({exc}): rebuild the deploy folder") from None
    n = words.shape[0]
    want_inputs = (inp.timesteps, n, inp.features) if spikes else (n, inp.timesteps, 2) if iq else (n, inp.features)
    lo, hi = (IQ_CODE_MIN, IQ_CODE_MAX) if iq else (0, 1 if spikes else INPUT_MAX)
    checks = [
        (n >= 1, "hold no samples"),
        (inputs.shape == want_inputs, f"have inputs {list(inputs.shape)}, expected {list(want_inputs)}"),
        (words.shape == (n, inp.words_per_sample), f"have words {list(words.shape)}, expected "
                                                    f"[{n}, {inp.words_per_sample}]"),
        (scores.shape == (n, out.words_per_sample), f"have scores {list(scores.shape)}, expected "
                                                     f"[{n}, {out.words_per_sample}]"),
        (preds.shape == (n,), f"have predictions {list(preds.shape)}, expected [{n}]"),
        (labels is None or labels.shape == (n,), f"have labels {None if labels is None else list(labels.shape)}, "
                                                 f"expected [{n}]"),
        (inputs.size == 0 or int(inputs.max()) <= hi and int(inputs.min()) >= lo,
         f"have input values out of range (expected {lo}..{hi})"),
    ]
    for ok, what in checks:
        if not ok:
            raise DeployError(f"golden vectors {path} {what}: rebuild the deploy folder with `snn2fpga build`")
    if iq and inp.iq is not None:
        codes = inputs.astype(np.int8)
        frames, exact = iq_frames(codes, inp.iq.norm, inp.iq.range)
        return GoldenVectors(codes, words, scores, preds, labels, inp, frames, exact)
    return GoldenVectors(inputs.astype(np.uint8), words, scores, preds, labels, inp)


def load_deploy(deploy_dir: str | Path) -> DeployInfo:
    """Read and validate ``deploy_dir/model.json`` and ``golden.npz``; raises DeployError naming the problem.

    The C-simulation library and the bitstream are checked by the device that needs them.
    """
    root = Path(deploy_dir).expanduser().resolve()
    if not root.is_dir():
        raise DeployError(f"deploy folder {root} does not exist: copy the deploy folder of `snn2fpga build` "
                          "(build/<board>/deploy) here, or pass its path")
    meta_path = root / MODEL_JSON
    if not meta_path.is_file():
        raise DeployError(f"{meta_path} is missing: {root} is not a deploy folder of `snn2fpga build`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeployError(f"{meta_path} is not valid JSON ({exc}): rebuild the deploy folder") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DeployError(f"{meta_path} is not snn2fpga deploy metadata (\"format\" must be \"{FORMAT}\")")
    version = _get(meta, "version", int, "")
    if version != VERSION:
        raise DeployError(f"{meta_path} has format version {version}; this runtime reads version {VERSION}: use the "
                          "snn2fpga_board package copied into the same deploy folder")
    top = _get(meta, "top", str, "")
    inp = _input_spec(_get(meta, "input", dict, ""))
    out = _output_spec(_get(meta, "output", dict, ""))
    for key in ("encoder", "quantization", "folding", "estimate"):
        _get(meta, key, dict, "")
    board = _get(meta, "board", dict, "")
    _get(board, "name", str, "board.")
    _get(board, "pmbus_power", bool, "board.")
    ip = _get(meta, "ip", dict, "")
    _get(ip, "name", str, "ip.")
    _get(ip, "dma", str, "ip.")
    _get(ip, "num_samples_offset", int, "ip.")
    clock = _get(meta, "clock_mhz", (int, float, type(None)), "")
    bit = _get(meta, "bitstream", (str, type(None)), "")
    if "emulation" in meta:
        kind = _get(_get(meta, "emulation", dict, ""), "kind", str, "emulation.")
        if kind not in EMULATION_LIBRARIES:
            raise DeployError(f"{meta_path}: emulation.kind {kind!r} is not one of {sorted(EMULATION_LIBRARIES)}")
    golden = load_golden(root / GOLDEN_NPZ, inp, out)
    return DeployInfo(
        root=root, top=top, input=inp, output=out, board=board, ip=ip,
        clock_mhz=None if clock is None else float(clock), bitstream=None if bit is None else root / bit,
        meta=meta, golden_vectors=golden,
    )
