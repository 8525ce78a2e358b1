"""`snn2fpga import-nir`: a NIR graph -> quantized SNNClassifier -> an ordinary checkpoint.

Steps: read the graph, map it onto float layers (:mod:`snn2fpga.nir.layers`, exact in float), wrap
them with our 8-bit input quantizer and spike encoder, quantize the weights post-training
(:func:`snn2fpga.train.quantize_post_training`, percentile clipping) and calibrate the membrane width
on data (:func:`snn2fpga.train.calibrate_state`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from snn2fpga.checkpoint import save_checkpoint
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.graph import read_graph
from snn2fpga.nir.layers import FloatLayers, read_layers
from snn2fpga.nir.semantics import Reset, resolve_preset
from snn2fpga.nn import EncoderConfig, ModelSpec, SNNClassifier
from snn2fpga.semantics import EncoderKind
from snn2fpga.semantics.neuron import MAX_STATE_BITS
from snn2fpga.train import calibrate_state, evaluate, quantize_post_training

NEURON_TYPES = ("lif", "if", "li")


@dataclass
class ImportOptions:
    """Options of `snn2fpga import-nir` (units: bits, timesteps, seconds for dt).

    ``state_bits`` 0 means: the width the calibration asks for (at most 32).
    """

    dataset: str | None = "digits"
    calibration: Path | None = None
    data_dir: str | None = None
    weight_bits: int = 8
    state_bits: int = 16
    per_channel: bool = False
    clip_percentile: float = 99.9
    timesteps: int = 16
    encoder: str = "rate"
    seed: int = 0
    preset: str = "snntorch"
    dt: float | None = None
    discretisation: str | None = None
    reset: str | None = None
    beta_frac_bits: int = 8
    calib_margin: float = 0.1
    classes: list[str] | None = None


@dataclass
class ImportResult:
    """The imported model and how it was made."""

    model: SNNClassifier
    float_model: SNNClassifier
    report: list[dict[str, Any]]
    calibration: list[dict[str, Any]]
    metrics: dict[str, Any] = field(default_factory=dict)
    checkpoint: Path | None = None

    def summary(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint) if self.checkpoint else None, "nodes": self.report,
                "calibration": self.calibration, **self.metrics}


def float_model(layers: FloatLayers, opts: ImportOptions, classes: list[str], input_shape: list[int]) -> SNNClassifier:
    """Our float SNNClassifier holding the NIR graph's weights (quantization off)."""
    state_bits = opts.state_bits or MAX_STATE_BITS
    specs = [dict(s, state_bits=state_bits) if s["type"] in NEURON_TYPES else dict(s) for s in layers.specs]
    try:
        enc = EncoderConfig(EncoderKind(opts.encoder), opts.timesteps, opts.seed)
    except ValueError:
        raise SNN2FPGAError(f"unknown encoder {opts.encoder!r}: use rate or latency") from None
    if opts.timesteps < 1:
        raise SNN2FPGAError(f"--timesteps must be >= 1, got {opts.timesteps}")
    spec = ModelSpec(layers=specs, encoder=enc, classes=classes, input_shape=input_shape, arch="nir")
    model = SNNClassifier(spec)
    lin = [m for m in model.layers if hasattr(m, "weight")]
    with torch.no_grad():
        for mod, w in zip(lin, layers.weights, strict=True):
            mod.weight.copy_(torch.from_numpy(w).to(mod.weight.dtype))
    return model.eval()


def _data(opts: ImportOptions) -> tuple[np.ndarray, Any]:
    """(calibration features [N, ...] in [0, 1], the dataset or None). With both a calibration file and a
    dataset, the file calibrates and the dataset gives the classes, the test accuracy and the checkpoint's
    dataset (what `export` verifies and `build` C-simulates on)."""
    data = None
    if opts.dataset:
        from snn2fpga.data import load_any_dataset

        data = load_any_dataset(opts.dataset, opts.data_dir, {})
    if opts.calibration is not None:
        path = Path(opts.calibration)
        if not path.is_file():
            raise SNN2FPGAError(f"calibration file not found: {path} (a .npy of features [N, ...] in [0, 1])")
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise SNN2FPGAError(f"{path} is not a plain .npy array: {exc}") from None
        if x.ndim < 2 or len(x) == 0 or not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise SNN2FPGAError(f"{path} must hold features [N, ...] in [0, 1], N >= 1; got shape {x.shape}")
        return x.astype(np.float32), data
    if data is None:
        raise SNN2FPGAError("import-nir needs calibration data: --dataset NAME or --calibration FILE.npy")
    return data.x_train, data


def import_nir(source: Any, output: str | Path | None = None, options: ImportOptions | None = None,
               log: Any = None) -> ImportResult:
    """Import a NIR graph (``nir.NIRGraph`` or ``.nir`` path) as a quantized, calibrated SNNClassifier.

    Writes an ordinary checkpoint to ``output`` when given (``export`` and ``build`` take it).
    """
    opts = options or ImportOptions()
    say = log or (lambda *_: None)
    preset = resolve_preset(opts.preset, opts.dt, opts.discretisation)
    try:
        reset = Reset(opts.reset) if opts.reset else None
    except ValueError:
        raise SNN2FPGAError(f"unknown reset {opts.reset!r}: use zero or subtract") from None
    layers = read_layers(read_graph(source), preset, opts.beta_frac_bits, reset)
    x_cal, data = _data(opts)
    features = int(np.prod(layers.input_shape))
    if int(np.prod(x_cal.shape[1:])) != features:
        raise SNN2FPGAError(f"the NIR graph takes {features} inputs, the calibration data has "
                            f"{int(np.prod(x_cal.shape[1:]))} features per sample ({list(x_cal.shape[1:])})")
    outputs = int(layers.specs[-2]["out_features"])
    classes = list(opts.classes or (data.classes if data is not None else [str(i) for i in range(outputs)]))
    if len(classes) != outputs:
        raise SNN2FPGAError(f"the NIR graph has {outputs} outputs but the data has {len(classes)} classes")
    maps = len(layers.input_shape) == 3  # a convolution first: the encoder reshapes spikes to these maps
    fmodel = float_model(layers, opts, classes, layers.input_shape if maps else list(x_cal.shape[1:]))
    model = quantize_post_training(fmodel, opts.weight_bits, opts.clip_percentile, opts.per_channel)
    calib = calibrate_state(model, x_cal, opts.calib_margin)
    if not opts.state_bits:  # auto: the widest need of any layer, then re-measure saturations
        need = max(c.required_bits for c in calib)
        spec = copy.deepcopy(model.spec)
        for s in spec.layers:
            if s["type"] in NEURON_TYPES:
                s["state_bits"] = need
        sized = SNNClassifier(spec)
        sized.load_state_dict(model.state_dict())
        model = sized.eval()
        calib = calibrate_state(model, x_cal, opts.calib_margin)
    model.spec.extra.update(nir={"preset": preset.name, "dt": preset.dt, "discretisation": preset.discretisation.value,
                                 "source": str(source) if isinstance(source, (str, Path)) else "graph"})
    if opts.dataset and data is not None:
        model.spec.extra["dataset"] = opts.dataset
    sats = {c.layer: c.saturations for c in calib if c.saturations}
    if sats:
        say(f"WARNING: state saturation on the calibration data at the chosen width: {sats}; "
            "use --state-bits 0 (auto) or a wider state")
    metrics: dict[str, Any] = {"preset": preset.name, "dt": preset.dt, "weight_bits": opts.weight_bits,
                               "state_bits": model.spec.layers[1]["state_bits"]}
    if data is not None:
        metrics["test_accuracy_float"] = evaluate(fmodel, data.x_test, data.y_test, batch_size=200)
        metrics["test_accuracy"] = evaluate(model, data.x_test, data.y_test, batch_size=200)
        say(f"test accuracy: float {metrics['test_accuracy_float']:.4f}, integer (hardware-exact) "
            f"{metrics['test_accuracy']:.4f}")
    result = ImportResult(model, fmodel, layers.report, [c.to_dict() for c in calib], metrics)
    if output is not None:
        training = {"dataset": opts.dataset if data is not None else None, "data_dir": opts.data_dir,
                    "source": "nir", "nir_preset": preset.name, "weight_bits": opts.weight_bits,
                    "clip_percentile": opts.clip_percentile, "per_channel": opts.per_channel,
                    "timesteps": opts.timesteps, "encoder": opts.encoder, "seed": opts.seed}
        result.checkpoint = save_checkpoint(model, output, {**metrics, "import": layers.report,
                                                            "calibration": result.calibration}, training)
        say(f"wrote {output}")
    return result
