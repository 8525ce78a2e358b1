"""C-simulation of the generated top against the QONNX execution of the exported graph, exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.codegen.csim import CSimLibrary, run_chunks, usable_jobs
from snn2fpga.codegen.generate import HLSProject, pack_inputs
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.execute import run_graph
from snn2fpga.export.reference import GraphReference, spiking_layers

MIN_CHUNK = 50  # samples: below this a chunk's process round trip outweighs its simulation


@dataclass
class CSimReport:
    """Per-sample comparison of C-simulation and QONNX execution (a sample counts once in mismatches).

    Attributes:
        samples: samples compared.
        mismatches: samples where anything differs.
        score_mismatches: readout membranes / spike counts differ.
        prediction_mismatches: predicted class differs.
        spike_count_mismatches: a hidden layer's per-neuron spike count differs.
        accuracy: C-simulation accuracy when labels were given, else None.
        cycles_per_sample: pipelined-loop iterations per stage and sample (from the csim counters).
        saturations: membrane clamps per stage counted in C-simulation.
        reference_scores / reference_predictions: the QONNX scores [n, C] and predictions [n] of every
            sample (the golden vectors of the deploy package; not part of ``to_dict``).
    """

    samples: int = 0
    mismatches: int = 0
    score_mismatches: int = 0
    prediction_mismatches: int = 0
    spike_count_mismatches: int = 0
    accuracy: float | None = None
    cycles_per_sample: dict[str, float] = field(default_factory=dict)
    saturations: dict[str, int] = field(default_factory=dict)
    first_mismatch: str | None = None
    reference_scores: np.ndarray | None = field(default=None, repr=False)
    reference_predictions: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able summary (without the QONNX reference arrays)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("reference_")}


def _reference_counts(ref: GraphReference, layer: str, maps: list[int]) -> np.ndarray:
    """A layer's per-sample spike counts in the order the csim tap records them ([n, channels])."""
    counts = ref.spike_counts[layer]
    if maps:  # [n, C, H, W] -> the stream's NHWC order
        return counts.transpose(0, 2, 3, 1).reshape(counts.shape[0], -1)
    return counts.reshape(counts.shape[0], -1)


def verify_csim(
    exported: ModelWrapper, project: HLSProject, lib: CSimLibrary, graph_inputs: np.ndarray,
    labels: np.ndarray | None = None, batch_size: int = 500, jobs: int | None = None,
    reference: GraphReference | None = None,
) -> CSimReport:
    """Run ``graph_inputs`` (uint8 features [n, N], or spike trains [T, n, N]) through both and compare.

    Args:
        batch_size: most samples per C-simulation run (and per QONNX run).
        jobs: C-simulation processes (default: the available cores); chunks are merged in order.
        reference: the QONNX results of exactly these inputs computed earlier (see
            :mod:`snn2fpga.export.reference`); QONNX runs here when None.
    """
    spikes_in = project.input_kind == "spikes"
    total = graph_inputs.shape[1] if spikes_in else graph_inputs.shape[0]
    if reference is not None and reference.samples != total:
        raise SNN2FPGAError(f"the QONNX reference holds {reference.samples} samples, the C-simulation {total}")
    jobs = usable_jobs(lib, jobs)  # a library subclass (RTL simulation) keeps one process and 500-sample runs
    # chunks small enough that every process gets work, large enough to keep per-run overhead low
    step = max(1, min(batch_size, max(MIN_CHUNK, -(-total // jobs))))
    starts = list(range(0, total, step))
    chunks = [graph_inputs[:, s : s + step] if spikes_in else graph_inputs[s : s + step] for s in starts]
    layers = spiking_layers(exported)
    report = CSimReport(saturations={s: 0 for s in project.stage_names})
    cycles = np.zeros(len(project.stage_names), dtype=np.int64)
    correct = 0
    refs: list[GraphReference] = []
    words = [pack_inputs(chunk, project.input_kind) for chunk in chunks]
    for start, chunk, res in zip(starts, chunks, run_chunks(lib, words, jobs), strict=True):
        n = chunk.shape[1] if spikes_in else chunk.shape[0]
        if reference is None:
            ref = GraphReference.from_context(run_graph(exported, np.asarray(chunk, dtype=np.float32)), layers, n)
        else:
            ref = GraphReference(reference.scores[start : start + n], reference.predictions[start : start + n],
                                 {k: v[start : start + n] for k, v in reference.spike_counts.items()})
        refs.append(ref)
        sim_scores = res.outputs.astype(np.int64)
        sim_pred = np.argmax(sim_scores, axis=1)
        bad_score = np.any(sim_scores != ref.scores, axis=1)
        bad_pred = sim_pred != ref.predictions
        bad_spk = np.zeros(n, dtype=bool)
        for layer, counts, maps in zip(project.tap_layers, res.taps, project.tap_maps, strict=True):
            bad_spk |= np.any(counts != _reference_counts(ref, layer, maps), axis=1)
        bad = bad_score | bad_pred | bad_spk
        if report.first_mismatch is None and bad.any():
            i = int(np.flatnonzero(bad)[0])
            report.first_mismatch = (
                f"sample {start + i}: csim scores {sim_scores[i].tolist()} vs QONNX {ref.scores[i].tolist()}"
            )
        report.samples += n
        report.mismatches += int(bad.sum())
        report.score_mismatches += int(bad_score.sum())
        report.prediction_mismatches += int(bad_pred.sum())
        report.spike_count_mismatches += int(bad_spk.sum())
        cycles += np.asarray(res.stage_cycles, dtype=np.int64)
        for name, sat in zip(project.stage_names, res.stage_saturations, strict=True):
            report.saturations[name] += sat
        if labels is not None:
            correct += int((sim_pred == labels[start : start + n]).sum())
    if report.samples:
        report.cycles_per_sample = {s: float(c) / report.samples for s, c in zip(project.stage_names, cycles,
                                                                                   strict=True)}
    if labels is not None and report.samples:
        report.accuracy = correct / report.samples
    if refs:
        merged = reference if reference is not None else GraphReference.concatenate(refs)
        report.reference_scores = merged.scores
        report.reference_predictions = merged.predictions
    return report
