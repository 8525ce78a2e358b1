"""Export a saved checkpoint (``model.pt``) to verified QONNX: what `snn2fpga export` and the build
flow's export step both do."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.data import load_any_dataset
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.api import export


def _verify_inputs(meta: dict[str, Any], count: int | None, data_dir: str | None,
                   selection: dict[str, Any]) -> np.ndarray:
    """The first ``count`` (None: all) test inputs of the checkpoint's dataset."""
    dataset = meta.get("training", {}).get("dataset")
    if not dataset:
        raise SNN2FPGAError("the checkpoint does not name its dataset; export with --verify 0 to skip verification")
    data = load_any_dataset(dataset, data_dir or meta["training"].get("data_dir"), selection)
    return data.x_test if count is None else data.x_test[:count]


def export_checkpoint(
    checkpoint: Path, output: Path | None, verify: int | None, data_dir: str | None, allow_saturation: bool,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Export ``checkpoint`` to QONNX beside it (or at ``output``) and verify the first ``verify`` test
    samples of its dataset against PyTorch (None: all, 0: none); returns the export summary."""
    model, meta = load_checkpoint(checkpoint)
    out = output or checkpoint.with_suffix(".onnx")
    selection = model.spec.extra.get("dataset_selection", {})
    inputs = (_verify_inputs(meta, verify, data_dir, selection) if verify != 0
              else np.zeros((0, *model.spec.input_shape)))
    t0 = time.perf_counter()
    result = export(model, inputs[:1] if len(inputs) else np.zeros((1, *model.spec.input_shape)), out,
                    verify_inputs=inputs, allow_saturation=allow_saturation)
    summary = result.summary()
    log(f"wrote {out}; verified {summary['verified_samples']} samples against PyTorch: "
        f"{summary['mismatches']} mismatches [{time.perf_counter() - t0:.1f}s]")
    saturated = {k: v for k, v in result.report.saturations.items() if v}
    if saturated:
        log(f"WARNING: state saturation (allowed): {saturated}")
    return summary
