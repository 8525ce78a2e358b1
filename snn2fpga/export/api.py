"""`snn2fpga.export`: a module built from snn2fpga layers -> verified QONNX file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.export.graph import GraphMeta, build_graph
from snn2fpga.export.layers import collect_layers
from snn2fpga.export.reference import InputsKey, save_reference
from snn2fpga.export.verify import VerifyReport, verify_graph
from snn2fpga.nn.model import Readout, SNNClassifier


@dataclass
class ExportResult:
    """Where the graph went and how its verification went."""

    onnx: Path
    report: VerifyReport

    def summary(self) -> dict[str, object]:
        return {
            "onnx": str(self.onnx),
            "verified_samples": self.report.samples,
            "mismatches": self.report.mismatches,
            "spike_mismatches": self.report.spike_mismatches,
            "membrane_mismatches": self.report.membrane_mismatches,
            "prediction_mismatches": self.report.prediction_mismatches,
            "saturations": self.report.saturations,
        }


def _meta_for(module: nn.Module, example: np.ndarray, n_classes: int, spiking_readout: bool) -> GraphMeta:
    if isinstance(module, SNNClassifier):
        spec = module.spec
        enc = spec.encoder
        return GraphMeta(
            timesteps=enc.timesteps, encoder=enc.kind, encoder_seed=enc.seed,
            readout=module.readout.value, classes=spec.classes, input_shape=spec.input_shape, source=spec.arch,
            dataset=str(spec.extra.get("dataset", "")), grid=enc.grid, iq_range=enc.iq_range, iq_norm=enc.iq_norm,
            dataset_selection=dict(spec.extra.get("dataset_selection", {})),
        )
    if example.ndim not in (3, 5):
        raise SNN2FPGAError(
            "example_input for a plain module must be spike trains [T, batch, inputs] or spike maps "
            f"[T, batch, C, H, W], got {example.shape}"
        )
    readout = Readout.SPIKE_COUNT if spiking_readout else Readout.MEMBRANE
    return GraphMeta(
        timesteps=int(example.shape[0]), encoder=None, encoder_seed=0, readout=readout.value,
        classes=[str(i) for i in range(n_classes)], input_shape=[int(d) for d in example.shape[2:]],
        source=type(module).__name__,
    )


def _input_shape(module: nn.Module, example: np.ndarray) -> tuple[int, ...]:
    """Per-sample shape the first layer sees: (N,) or (C, H, W)."""
    if isinstance(module, SNNClassifier):
        if module.encoder.kind.value == "iq_plane":
            return (1, module.encoder.grid, module.encoder.grid)
        shape = module.spec.input_shape
        if module.takes_maps:
            return tuple(shape) if len(shape) == 3 else (1, *shape)
        return (int(np.prod(shape)),)
    return tuple(int(d) for d in example.shape[2:])


def export(
    module: nn.Module,
    example_input: torch.Tensor | np.ndarray,
    path: str | Path,
    verify_inputs: torch.Tensor | np.ndarray | None = None,
    allow_saturation: bool = False,
) -> ExportResult:
    """Export ``module`` to QONNX at ``path`` and verify it spike for spike.

    Args:
        module: an :class:`SNNClassifier`, or any nn.Module whose layers are snn2fpga QuantLinear + LIF/IF
            (+ LI readout), applied in registration order; its forward takes spikes [T, B, inputs].
        example_input: features [B, ...] (SNNClassifier) or spike trains [T, B, inputs] (plain module).
        path: output .onnx file.
        verify_inputs: inputs compared between PyTorch and qonnx (default: example_input).
        allow_saturation: if False, state saturation seen during verification is an error.

    Raises:
        VerificationError: mismatches between the stages, or saturation when not allowed. The file is
            written before verification, so it can be inspected.
    """
    module.eval()
    example = example_input.detach().cpu().numpy() if isinstance(example_input, torch.Tensor) else np.asarray(
        example_input
    )
    layers = collect_layers(module, _input_shape(module, example))
    meta = _meta_for(module, example, layers[-1].out_shape[0], layers[-1].spiking)
    model = build_graph(layers, meta)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    vin = example if verify_inputs is None else (
        verify_inputs.detach().cpu().numpy() if isinstance(verify_inputs, torch.Tensor) else np.asarray(verify_inputs)
    )
    # the QONNX results of an SNNClassifier's inputs are stored for the build's C-simulation to reuse
    key = InputsKey(out) if isinstance(module, SNNClassifier) and len(vin) else None
    report = verify_graph(model, module, layers, vin, key=key) if len(vin) else VerifyReport()
    if key is not None and report.reference is not None and not report.mismatches:
        try:
            save_reference(key.hexdigest(), report.reference)
        except OSError:  # a cache: the C-simulation recomputes what it cannot find
            pass
    result = ExportResult(out, report)
    if report.mismatches:
        raise VerificationError(
            f"export verification FAILED: {report.mismatches} of {report.samples} samples differ between "
            f"PyTorch and the QONNX execution (spikes: {report.spike_mismatches}, membranes: "
            f"{report.membrane_mismatches}, predictions: {report.prediction_mismatches}); first: "
            f"{report.first_mismatch}. The graph was written to {out} for inspection",
            result.summary(),
        )
    saturated = {k: v for k, v in report.saturations.items() if v}
    if saturated and not allow_saturation:
        detail = ", ".join(f"{k} ({layers[int(k[5:])].source}): {v} clamps" for k, v in saturated.items())
        raise VerificationError(
            f"state saturation during export verification: {detail} over {report.samples} samples. Stages "
            "agree, but the membrane registers are too narrow for this data: raise state_bits (run "
            "`snn2fpga calibrate` to see the width each layer needs) or pass --allow-saturation to accept it. "
            f"The graph was written to {out}",
            result.summary(),
        )
    return result
