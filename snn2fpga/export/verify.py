"""Spike-for-spike verification of an exported graph against the PyTorch integer forward."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from snn2fpga.export.execute import run_graph
from snn2fpga.export.graph import PREDICTION, SCORES
from snn2fpga.export.layers import ExportLayer
from snn2fpga.export.reference import GraphReference, InputsKey, spiking_layers
from snn2fpga.nn.model import SNNClassifier
from snn2fpga.nn.neurons import LayerTrace


@dataclass
class VerifyReport:
    """Per-sample comparison of two stages; a sample counts once in ``mismatches`` whatever differs."""

    samples: int = 0
    mismatches: int = 0
    spike_mismatches: int = 0
    membrane_mismatches: int = 0
    prediction_mismatches: int = 0
    saturations: dict[str, int] = field(default_factory=dict)
    first_mismatch: str | None = None
    reference: GraphReference | None = field(default=None, repr=False)  # QONNX results per sample

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "reference"}


def _torch_forward(module: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(graph input, torch scores) for a batch, running the module's own eval forward."""
    module.eval()
    with torch.no_grad():
        if isinstance(module, SNNClassifier):
            scores = module.scores(module(x)).numpy()
            return module.quantize(x).astype(np.float32), scores
        out = module(torch.as_tensor(x, dtype=torch.float32))
    out_np = out.numpy()
    scores = out_np[-1] if out_np.dtype == np.int64 else out_np.sum(axis=0)
    graph_in = np.asarray(x, dtype=np.float32)
    if graph_in.ndim == 5:  # spike maps [T, B, C, H, W] -> the graph's [T*B, C, H, W]
        graph_in = graph_in.reshape(-1, *graph_in.shape[2:])
    return graph_in, scores


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def verify_graph(
    model: ModelWrapper, module: nn.Module, layers: list[ExportLayer], inputs: np.ndarray, batch_size: int = 50,
    key: InputsKey | None = None,
) -> VerifyReport:
    """Compare spikes, final membranes, saturation counts and predictions of every layer, exactly.

    ``inputs`` are features [N, ...] for an SNNClassifier, or spike trains [T, N, in] for a plain module.
    With ``key`` (an SNNClassifier's feature inputs only), the graph inputs are fed to it and the QONNX
    results kept in ``report.reference``, for the C-simulation to reuse.

    With two or more cores, QONNX runs chunk i in a worker thread while PyTorch runs chunk i + 1 (numpy,
    onnxruntime and torch release the GIL in their kernels); chunks are compared in order, so the report
    is the same either way.
    """
    report = VerifyReport(saturations={layer.name: 0 for layer in layers if layer.weighted})
    spike_input = not isinstance(module, SNNClassifier)
    if key is not None and spike_input:
        raise ValueError("a reference key needs sample-major feature inputs (an SNNClassifier)")
    refs: list[GraphReference] = []
    spiking = spiking_layers(model)
    total = inputs.shape[1] if spike_input else inputs.shape[0]
    pool = ThreadPoolExecutor(1, thread_name_prefix="snn2fpga-qonnx") if _cores() > 1 else None
    pending: tuple[_Chunk, Future[dict[str, np.ndarray]] | dict[str, np.ndarray]] | None = None
    try:
        for start in range(0, total, batch_size):
            chunk = inputs[:, start : start + batch_size] if spike_input else inputs[start : start + batch_size]
            graph_in, torch_scores = _torch_forward(module, chunk)
            n = chunk.shape[1] if spike_input else chunk.shape[0]
            traces = {layer.name: layer.neuron.last_trace for layer in layers if layer.weighted}  # type: ignore[union-attr]
            if pending is not None:
                _compare(report, layers, spiking, key, refs, *pending)
            job = _Chunk(start, n, graph_in, torch_scores, traces)
            pending = (job, pool.submit(run_graph, model, graph_in) if pool else run_graph(model, graph_in))
        if pending is not None:
            _compare(report, layers, spiking, key, refs, *pending)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if refs:
        report.reference = GraphReference.concatenate(refs)
    return report


@dataclass
class _Chunk:
    """One chunk's PyTorch side: first sample, size, graph input, scores and per-layer traces."""

    start: int
    n: int
    graph_in: np.ndarray
    torch_scores: np.ndarray
    traces: dict[str, LayerTrace | None]


def _compare(report: VerifyReport, layers: list[ExportLayer], spiking: list[str], key: InputsKey | None,
             refs: list[GraphReference], job: _Chunk,
             result: Future[dict[str, np.ndarray]] | dict[str, np.ndarray]) -> None:
    """Add one chunk's comparison to ``report`` (and its QONNX results to ``refs`` / ``key``)."""
    ctx = result.result() if isinstance(result, Future) else result
    n = job.n
    if key is not None:
        key.update(job.graph_in)
        refs.append(GraphReference.from_context(ctx, spiking, n))
    bad_spk = np.zeros(n, dtype=bool)
    bad_mem = np.zeros(n, dtype=bool)
    for layer in layers:
        if not layer.weighted:
            continue
        trace = job.traces[layer.name]
        assert trace is not None
        if layer.spiking:
            g_spk = ctx[f"{layer.name}_spikes"].astype(np.uint8).reshape(trace.spikes.shape)
            bad_spk |= np.any((g_spk != trace.spikes).reshape(g_spk.shape[0], n, -1), axis=(0, 2))
        g_v = np.asarray(ctx[f"{layer.name}_vfinal"]).reshape(trace.v_final.shape)
        bad_mem |= np.any((g_v != trace.v_final).reshape(n, -1), axis=1)
        bad_mem |= ctx[f"{layer.name}_sat"] != trace.saturations
        report.saturations[layer.name] += int(ctx[f"{layer.name}_sat"].sum())
    torch_pred = np.argmax(job.torch_scores, axis=1)
    bad_pred = (ctx[PREDICTION] != torch_pred) | np.any(ctx[SCORES] != job.torch_scores, axis=1)
    bad = bad_spk | bad_mem | bad_pred
    if report.first_mismatch is None and bad.any():
        i = int(np.flatnonzero(bad)[0])
        report.first_mismatch = (
            f"sample {job.start + i}: spikes {'differ' if bad_spk[i] else 'equal'}, membranes "
            f"{'differ' if bad_mem[i] else 'equal'}, prediction graph={int(ctx[PREDICTION][i])} "
            f"torch={int(torch_pred[i])}"
        )
    report.samples += n
    report.mismatches += int(bad.sum())
    report.spike_mismatches += int(bad_spk.sum())
    report.membrane_mismatches += int(bad_mem.sum())
    report.prediction_mismatches += int(bad_pred.sum())
