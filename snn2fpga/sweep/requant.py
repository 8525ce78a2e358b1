"""Sweep points that re-quantize one trained checkpoint instead of training (``snn2fpga sweep --from``).

This is the prior work's quantization study: train once, then ask what each weight width and state
width costs. Each point takes the checkpoint's float shadow weights, quantizes them to the point's
weight bits (post-training, percentile clipping as ``train --quant ptq``), sets every neuron layer's
state to the point's state bits, and measures the hardware-exact (integer) accuracy. Narrow states
saturate by design here: the saturation count is reported, and export verifies the same integers.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError

NEURON_LAYERS = ("lif", "if", "li", "dcll")


def _with_widths(model: Any, state_bits: int | None, float_weights: bool) -> Any:
    """A copy of ``model`` with every neuron layer at ``state_bits`` (None: as trained) and, with
    ``float_weights``, every synapse in float (the unquantized reference); the trained weights are kept."""
    from snn2fpga.nn import SNNClassifier

    spec = copy.deepcopy(model.spec)
    for layer in spec.layers:
        if state_bits is not None and layer["type"] in NEURON_LAYERS:
            layer["state_bits"] = state_bits
        if float_weights:
            entry = layer["synapse"] if layer["type"] == "dcll" else layer
            if entry["type"] in ("linear", "conv"):
                entry["weight_bits"] = None
    out = SNNClassifier(spec)
    out.load_state_dict(model.state_dict())
    return out.eval()


def source_dataset(path: Path, model: Any, meta: dict[str, Any]) -> str:
    """The dataset a checkpoint names (its training record, else its model spec), or an SNN2FPGAError."""
    dataset = meta.get("training", {}).get("dataset") or model.spec.extra.get("dataset")
    if not dataset:
        raise SNN2FPGAError(f"{path} does not name the dataset it was trained on, so a sweep cannot evaluate it; "
                            "re-save it with snn2fpga train")
    return str(dataset)


def load_source(path: Path, data_dir: str | None) -> tuple[Any, dict[str, Any], Any]:
    """(model, checkpoint metadata, its dataset) of the checkpoint a sweep re-quantizes."""
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.data import load_any_dataset

    model, meta = load_checkpoint(path)
    data = load_any_dataset(source_dataset(path, model, meta), data_dir, model.spec.extra.get("dataset_selection", {}))
    return model, meta, data


def float_accuracy(path: Path, data_dir: str | None) -> float:
    """Test accuracy of the checkpoint's weights unquantized (float synapses, float neurons)."""
    from snn2fpga.train import evaluate

    model, _meta, data = load_source(path, data_dir)
    return evaluate(_with_widths(model, None, float_weights=True), data.x_test, data.y_test, batch_size=100)


def requantize_checkpoint(
    src: Path, dst: Path, weight_bits: int, state_bits: int, percentile: float, data_dir: str | None,
    calib_margin: float = 0.1,
) -> dict[str, Any]:
    """Write ``dst``: ``src`` at ``weight_bits`` / ``state_bits``, with its test metrics (as ``train`` writes)."""
    from snn2fpga.checkpoint import save_checkpoint
    from snn2fpga.commands import accuracy_by_snr
    from snn2fpga.train import calibrate_state, evaluate, quantize_post_training

    model, meta, data = load_source(src, data_dir)
    per_channel = any(bool((layer.get("synapse") or layer).get("per_channel")) for layer in model.spec.layers
                      if layer["type"] in ("linear", "conv", "dcll"))
    narrowed = _with_widths(model, state_bits, float_weights=False)
    quantized = quantize_post_training(narrowed, weight_bits, percentile, per_channel)
    acc = evaluate(quantized, data.x_test, data.y_test, batch_size=100)
    calib = calibrate_state(quantized, data.x_test, calib_margin)
    metrics = {"test_accuracy": acc, "calibration": [c.to_dict() for c in calib],
               "accuracy_by_snr": accuracy_by_snr(quantized, data), "train_seconds": 0.0}
    training = {**meta.get("training", {}), "weight_bits": weight_bits, "state_bits": state_bits, "quant": "ptq",
                "clip_percentile": percentile, "requantized_from": str(src), "output": str(dst)}
    save_checkpoint(quantized, dst, metrics, training)
    return {"checkpoint": str(dst), "test_accuracy": acc, "train_seconds": 0.0}

