"""``SNNOverlay``: classify with the deployed network on a PYNQ board, or emulated anywhere else."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga_board.deploy import DeployInfo, GoldenVectors, load_deploy
from snn2fpga_board.devices import Device, import_pynq, open_device
from snn2fpga_board.errors import DeployError
from snn2fpga_board.host import INPUT_MAX, IQ_CODE_MAX, IQ_CODE_MIN, iq_codes, pack_inputs, predictions, quantize_input

FLOAT32_MAX = float(np.finfo(np.float32).max)  # I/Q values are normalised in float32 (host.iq_normalize)


@dataclass
class RunResult:
    """A batch through the device.

    Attributes:
        predictions: int64 [n] predicted class indices (argmax, ties to the lowest index).
        scores: int32 [n, C] readout membranes or spike counts.
        seconds: wall time of the device call (buffers, DMA and compute; not host quantization/packing).
        samples_per_s: n / seconds.
        classes: the class names.
    """

    predictions: np.ndarray
    scores: np.ndarray
    seconds: float
    samples_per_s: float
    classes: tuple[str, ...]

    @property
    def class_names(self) -> list[str]:
        """Predicted class names, one per sample."""
        return [self.classes[int(i)] for i in self.predictions]


class SNNOverlay:
    """The deployed network behind one interface, whatever runs it.

    Args:
        deploy_dir: the deploy folder (model.json, golden.npz, bitfile/, csim/ ...).
        device: "auto" (the board when pynq finds one and the folder has a bitstream, else emulated),
            "pynq" or "emulated".
        max_batch: samples per IP call on the board (larger batches are split); None = the default.

    Attributes:
        deploy: the validated deploy folder.
        device_name: which device runs the network, e.g. "emulated (C-simulation of snn_top, ...)".
        device_kind: "pynq" or "emulated".
        device_reason: why ``auto`` chose it ("requested" when named).
    """

    def __init__(self, deploy_dir: str | Path = ".", device: str = "auto", max_batch: int | None = None) -> None:
        self.deploy: DeployInfo = load_deploy(deploy_dir)
        self._device: Device
        self._device, self.device_reason = open_device(self.deploy, device, max_batch)
        self.device_name: str = self._device.name
        self.device_kind: str = self._device.kind

    # ----------------------------------------------------------------------------------------- facts
    @property
    def classes(self) -> tuple[str, ...]:
        return self.deploy.output.classes

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample as ``classify`` takes it: the features' shape, (T, N) for spike trains, or (T, 2) for
        I/Q frames."""
        inp = self.deploy.input
        return (inp.timesteps, inp.features) if inp.kind == "spikes" else inp.shape

    def __repr__(self) -> str:
        inp, out = self.deploy.input, self.deploy.output
        iq = f" ({inp.iq.norm} norm, range {inp.iq.range:g}, {inp.iq.grid}x{inp.iq.grid} grid)" if inp.iq else ""
        return (f"SNNOverlay({self.deploy.root}: {inp.kind} input {list(self.input_shape)}{iq}, T={inp.timesteps}, "
                f"{len(out.classes)} classes ({out.kind}), device={self.device_name})")

    # ------------------------------------------------------------------------------------ inputs
    def _expected(self, batch: bool, codes: bool = False) -> str:
        inp = self.deploy.input
        if inp.kind == "iq":
            t = inp.timesteps
            if codes:
                return (f"I/Q codes [n, {t}, 2]" if batch else f"I/Q codes [{t}, 2]") + \
                    f" of integers in {IQ_CODE_MIN}..{IQ_CODE_MAX}"
            return (f"I/Q frames [n, {t}, 2] (n frames of {t} (I, Q) samples, time-major)" if batch
                    else f"an I/Q frame [{t}, 2] ({t} (I, Q) samples, time-major)")
        if codes and inp.kind != "spikes":
            shape = ", ".join(map(str, inp.shape))
            flat = f" (or [n, {inp.features}])" if len(inp.shape) > 1 else ""
            return (f"quantized features [n, {shape}]{flat}" if batch else f"quantized features [{shape}]") + \
                f" of integers in 0..{INPUT_MAX}"
        if inp.kind == "spikes":
            return (f"spike trains [{inp.timesteps}, n, {inp.features}] of 0/1 (timesteps, samples, inputs)" if batch
                    else f"a spike train [{inp.timesteps}, {inp.features}] of 0/1")
        shape = ", ".join(map(str, inp.shape))
        flat = f" (or [n, {inp.features}])" if len(inp.shape) > 1 else ""
        return (f"features [n, {shape}]{flat} in [0, 1]" if batch
                else f"features [{shape}]" + (f" (or [{inp.features}])" if len(inp.shape) > 1 else "") + " in [0, 1]")

    def _array(self, xs: Any, batch: bool, codes: bool) -> np.ndarray:
        try:
            arr = np.asarray(xs)
        except (ValueError, TypeError) as exc:
            raise DeployError(f"input is not an array ({exc}); expected {self._expected(batch, codes)}") from None
        kinds = "iuf" if self.deploy.input.kind == "iq" else "biuf"
        if arr.dtype.kind not in kinds:
            allowed = "int or float" if kinds == "iuf" else "bool, int or float"
            raise DeployError(f"input has dtype {arr.dtype}; expected {self._expected(batch, codes)} ({allowed})")
        return arr

    def _shape_error(self, xs: Any, batch: bool, codes: bool) -> DeployError:
        inp = self.deploy.input
        got = list(np.shape(xs))
        hint = ""
        if inp.kind == "iq" and len(got) == (3 if batch else 2) and got[-2:] == [2, inp.timesteps]:
            hint = (": I/Q frames are time-major; frames stored as I and Q rows [.., 2, T] need "
                    + ("frames.transpose(0, 2, 1)" if batch else "frame.T"))
        return DeployError(f"input has shape {got}; expected {self._expected(batch, codes)}{hint}")

    def _finite(self, arr: np.ndarray, batch: bool, codes: bool) -> np.ndarray:
        values = arr.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise DeployError(f"input contains NaN or infinity; expected {self._expected(batch, codes)}")
        return values

    def _words(self, xs: Any, batch: bool = True, codes: bool = False) -> np.ndarray:
        """Validated host words uint32 [n, in_words] for a batch (or one sample when not ``batch``).

        ``codes``: ``xs`` are already quantized (as golden.npz stores them) and are sent as they are.
        """
        inp = self.deploy.input
        arr = self._array(xs, batch, codes)
        if inp.kind == "spikes":
            if not batch and arr.ndim == 2:
                arr = arr[:, None, :]
            ok = arr.ndim == 3 and arr.shape[0] == inp.timesteps and arr.shape[2] == inp.features
        else:
            if not batch:
                arr = arr[None]
            shapes = (inp.shape,) if inp.kind == "iq" else (inp.shape, (inp.features,))
            ok = arr.ndim >= 2 and arr.shape[1:] in shapes
        n = arr.shape[1] if inp.kind == "spikes" and arr.ndim == 3 else (arr.shape[0] if arr.ndim else 0)
        if not ok or n < 1:
            raise self._shape_error(xs, batch, codes)
        values = self._finite(arr, batch, codes)
        if inp.kind == "spikes":
            if not np.all((values == 0) | (values == 1)):
                raise DeployError(f"spike trains must hold only 0 and 1; expected {self._expected(batch)}")
            return pack_inputs(values.astype(np.uint8), "spikes")
        if codes:
            lo, hi = (IQ_CODE_MIN, IQ_CODE_MAX) if inp.kind == "iq" else (0, INPUT_MAX)
            if not np.all((values >= lo) & (values <= hi) & (values == np.floor(values))):
                raise DeployError(f"codes must be integers, got values in [{values.min():g}, {values.max():g}]; "
                                  f"expected {self._expected(batch, codes)}")
            q = values.astype(np.int8 if inp.kind == "iq" else np.uint8)
            return pack_inputs(q if inp.kind == "iq" else q.reshape(n, inp.features), inp.kind)
        if inp.kind == "iq":
            with np.errstate(over="ignore"):
                overflow = not np.all(np.isfinite(arr.astype(np.float32)))
            if overflow:
                raise DeployError(f"I/Q values reach {float(np.abs(values).max()):g}, beyond float32 "
                                  f"({FLOAT32_MAX:g}), in which the host normalises them; expected "
                                  f"{self._expected(batch)}")
            return pack_inputs(iq_codes(arr, inp.iq.norm, inp.iq.range), "iq")  # as snn2fpga: cast to float32
        lo, hi = float(values.min()), float(values.max())
        if lo < 0.0 or hi > 1.0:
            raise DeployError(f"features must lie in [0, 1], got values in [{lo:g}, {hi:g}]: scale them as in "
                              f"training; expected {self._expected(batch)}")
        return pack_inputs(quantize_input(values.reshape(n, inp.features)), inp.kind)

    # ----------------------------------------------------------------------------------- running
    def run_words(self, words: np.ndarray) -> RunResult:
        """Run host words uint32 [n, in_words] (see ``snn2fpga_board.host``) through the device."""
        t0 = time.perf_counter()
        scores = self._device.run(words)
        seconds = time.perf_counter() - t0
        n = scores.shape[0]
        return RunResult(predictions(scores), scores, seconds, n / seconds if seconds > 0 else float("inf"),
                         self.classes)

    def run(self, xs: Any) -> RunResult:
        """Classify a batch: features [n, *shape] in [0, 1], spike trains [T, n, N] of 0/1, or I/Q frames
        [n, T, 2] (float; each frame normalised and quantised on the host, ``host.iq_codes``)."""
        return self.run_words(self._words(xs, batch=True))

    def classify(self, x: Any) -> int:
        """The predicted class index of one sample: features of the input shape in [0, 1], a spike
        train [T, N], or an I/Q frame [T, 2] (float). ``classes[i]`` names it."""
        return int(self.run_words(self._words(x, batch=False)).predictions[0])

    def run_codes(self, codes: Any) -> RunResult:
        """Classify a batch of already quantized inputs, sent as they are (as golden.npz stores them): I/Q
        codes [n, T, 2] (int8 values), features [n, *shape] of 0..255, or spike trains [T, n, N]."""
        return self.run_words(self._words(codes, batch=True, codes=True))

    def classify_codes(self, code: Any) -> int:
        """The predicted class index of one already quantized sample (see ``run_codes``): I/Q codes [T, 2],
        features of the input shape of 0..255, or a spike train [T, N]."""
        return int(self.run_words(self._words(code, batch=False, codes=True)).predictions[0])

    def measure(self, xs: Any, repeats: int = 3, codes: bool = False) -> dict[str, Any]:
        """Latency of one sample (batch 1) and throughput of the whole batch; best of ``repeats`` runs.

        ``xs`` as ``run`` takes them, or as ``run_codes`` takes them with ``codes=True``.
        Returns latency_us (microseconds per sample at batch 1), throughput_samples_per_s (for the batch),
        batch, repeats, device, emulated (True: these are C-simulation timings on this CPU, not the FPGA's).
        """
        if repeats < 1:
            raise DeployError(f"repeats must be >= 1, got {repeats}")
        words = self._words(xs, batch=True, codes=codes)
        best_one = min(self.run_words(words[:1]).seconds for _ in range(repeats))
        best_all = min(self.run_words(words).seconds for _ in range(repeats))
        return {
            "device": self.device_name, "emulated": self.device_kind == "emulated", "batch": int(words.shape[0]),
            "repeats": int(repeats), "latency_us": best_one * 1e6,
            "throughput_samples_per_s": words.shape[0] / best_all if best_all > 0 else float("inf"),
        }

    # ------------------------------------------------------------------------------------- power
    def power(self) -> dict[str, Any]:
        """Board power from the PMBus rails (``pynq.get_rails()``), in watts, volts and amperes.

        ``{"available": True, "rails": {name: {"power_w", "voltage_v", "current_a"}}, "total_w"}`` (the sum of
        the rails' powers), or ``{"available": False, "reason": ...}`` saying why not.
        """
        board = self.deploy.board_name
        if not self.deploy.pmbus_power:
            return {"available": False, "reason": f"{board} exposes no PMBus power rails"}
        if self.device_kind != "pynq":
            return {"available": False, "reason": f"not running on a board (device: {self.device_name})"}
        try:
            rails = import_pynq().get_rails()
        except Exception as exc:
            return {"available": False, "reason": f"pynq.get_rails() failed on {board}: {exc}"}
        readings: dict[str, dict[str, float | None]] = {}
        for name, rail in sorted(rails.items()):
            reading = {key: _sensor(rail, attr) for key, attr in
                       (("power_w", "power"), ("voltage_v", "voltage"), ("current_a", "current"))}
            if reading["power_w"] is None and reading["voltage_v"] is not None and reading["current_a"] is not None:
                reading["power_w"] = reading["voltage_v"] * reading["current_a"]
            readings[str(name)] = reading
        if not readings:
            return {"available": False, "reason": f"pynq.get_rails() found no power rails on {board}"}
        total = sum(r["power_w"] for r in readings.values() if r["power_w"] is not None)
        return {"available": True, "board": board, "rails": readings, "total_w": total}

    # ------------------------------------------------------------------------------------ golden
    def golden(self) -> GoldenVectors:
        """The golden test vectors of the deploy folder."""
        return self.deploy.golden_vectors

    def check_golden(self, limit: int | None = None) -> dict[str, Any]:
        """Run the first ``limit`` (default all) golden vectors and compare with the reference.

        Returns samples, mismatches (samples where the host words, scores or prediction differ),
        word_mismatches (host packing differs from the stored words), score_mismatches,
        prediction_mismatches, accuracy (vs. the labels, None without), first_mismatch (text or None), device.
        """
        g = self.golden()
        n = g.count if limit is None else max(0, min(int(limit), g.count))
        if n == 0:
            raise DeployError(f"limit must be >= 1, got {limit}")
        inputs = g.inputs[:, :n] if self.deploy.input.kind == "spikes" else g.inputs[:n]
        bad_words = np.any(pack_inputs(inputs, self.deploy.input.kind) != g.words[:n], axis=1)
        res = self.run_words(g.words[:n])
        bad_scores = np.any(res.scores != g.scores[:n], axis=1)
        bad_preds = res.predictions != g.predictions[:n]
        bad = bad_words | bad_scores | bad_preds
        first = None
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            first = f"sample {i}: device scores {res.scores[i].tolist()} vs golden {g.scores[i].tolist()}"
            if bad_words[i]:
                first = f"sample {i}: host words differ from the golden words (host protocol mismatch)"
        return {
            "samples": n, "mismatches": int(bad.sum()), "word_mismatches": int(bad_words.sum()),
            "score_mismatches": int(bad_scores.sum()), "prediction_mismatches": int(bad_preds.sum()),
            "accuracy": None if g.labels is None else float(np.mean(res.predictions == g.labels[:n])),
            "first_mismatch": first, "device": self.device_name,
        }

    # ---------------------------------------------------------------------------------- lifetime
    def close(self) -> None:
        """Release the device (DMA buffers, library)."""
        self._device.close()

    def __enter__(self) -> SNNOverlay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sensor(rail: Any, attr: str) -> float | None:
    """A PYNQ rail sensor's value (None when the rail has no such sensor or it cannot be read)."""
    sensor = getattr(rail, attr, None)
    if sensor is None:
        return None
    try:
        return float(sensor.value)
    except Exception:
        return None
