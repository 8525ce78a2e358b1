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
from snn2fpga.io import atomic_write_bytes, check_writable_file
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
            if not module.takes_maps:  # a dense first layer reads the plane flattened (raster order)
                return (module.encoder.grid * module.encoder.grid,)
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
        VerificationError: mismatches between the stages, or saturation when not allowed. The graph is
            verified before it is published: a rejected graph never replaces ``path`` (a verified graph
            from an earlier export stays); it is written beside it as ``<name>.rejected.onnx`` for
            inspection.
    """
    module.eval()
    example = example_input.detach().cpu().numpy() if isinstance(example_input, torch.Tensor) else np.asarray(
        example_input
    )
    layers = collect_layers(module, _input_shape(module, example))
    meta = _meta_for(module, example, layers[-1].out_shape[0], layers[-1].spiking)
    model = build_graph(layers, meta)
    out = Path(path)
    check_writable_file(out, "export output")
    vin = example if verify_inputs is None else (
        verify_inputs.detach().cpu().numpy() if isinstance(verify_inputs, torch.Tensor) else np.asarray(verify_inputs)
    )
    # the bytes that will be published, serialised before verification so the stored QONNX reference is keyed
    # by exactly the file the build reads; the QONNX results of an SNNClassifier's inputs are kept for its C-sim
    data = model.model.SerializeToString()
    key = InputsKey(data) if isinstance(module, SNNClassifier) and len(vin) else None
    report = verify_graph(model, module, layers, vin, key=key) if len(vin) else VerifyReport()
    rejected = rejected_path(out)
    result = ExportResult(rejected, report)
    if report.mismatches:
        atomic_write_bytes(rejected, data)
        raise VerificationError(
            f"export verification FAILED: {report.mismatches} of {report.samples} samples differ between "
            f"PyTorch and the QONNX execution (spikes: {report.spike_mismatches}, membranes: "
            f"{report.membrane_mismatches}, predictions: {report.prediction_mismatches}); first: "
            f"{report.first_mismatch}. {out} was not written; the rejected graph is at {rejected} for inspection",
            result.summary(),
        )
    saturated = {k: v for k, v in report.saturations.items() if v}
    if saturated and not allow_saturation:
        atomic_write_bytes(rejected, data)
        detail = ", ".join(f"{k} ({layers[int(k[5:])].source}): {v} clamps" for k, v in saturated.items())
        raise VerificationError(
            f"state saturation during export verification: {detail} over {report.samples} samples. Stages "
            "agree, but the membrane registers are too narrow for this data: raise state_bits (run "
            "`snn2fpga calibrate` to see the width each layer needs) or pass --allow-saturation to accept it. "
            f"{out} was not written; the rejected graph is at {rejected}",
            result.summary(),
        )
    atomic_write_bytes(out, data)
    rejected.unlink(missing_ok=True)  # a rejected graph of an earlier attempt no longer describes this output
    if key is not None and report.reference is not None:
        try:
            save_reference(key.hexdigest(), report.reference)
        except OSError:  # a cache: the C-simulation recomputes what it cannot find
            pass
    return ExportResult(out, report)


def rejected_path(out: Path) -> Path:
    """Where a graph that failed its verification goes instead of ``out``: ``<stem>.rejected.onnx``."""
    return out.with_name(f"{out.stem}.rejected{out.suffix or '.onnx'}")
