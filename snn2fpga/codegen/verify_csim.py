"""C-simulation of the generated top against the QONNX execution of the exported graph, exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.codegen.csim import CSimLibrary
from snn2fpga.codegen.generate import HLSProject, pack_inputs
from snn2fpga.export.execute import run_graph
from snn2fpga.export.graph import PREDICTION, SCORES


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


def verify_csim(
    exported: ModelWrapper, project: HLSProject, lib: CSimLibrary, graph_inputs: np.ndarray,
    labels: np.ndarray | None = None, batch_size: int = 500,
) -> CSimReport:
    """Run ``graph_inputs`` (uint8 features [n, N], or spike trains [T, n, N]) through both and compare."""
    spikes_in = project.input_kind == "spikes"
    total = graph_inputs.shape[1] if spikes_in else graph_inputs.shape[0]
    report = CSimReport(saturations={s: 0 for s in project.stage_names})
    cycles = np.zeros(len(project.stage_names), dtype=np.int64)
    correct = 0
    ref_scores_all: list[np.ndarray] = []
    ref_pred_all: list[np.ndarray] = []
    for start in range(0, total, batch_size):
        chunk = graph_inputs[:, start : start + batch_size] if spikes_in else graph_inputs[start : start + batch_size]
        n = chunk.shape[1] if spikes_in else chunk.shape[0]
        res = lib.run(pack_inputs(chunk, project.input_kind))
        ctx = run_graph(exported, np.asarray(chunk, dtype=np.float32))
        ref_scores = np.asarray(ctx[SCORES]).astype(np.int64)
        ref_scores_all.append(ref_scores)
        ref_pred_all.append(np.asarray(ctx[PREDICTION]).astype(np.int64))
        sim_scores = res.outputs.astype(np.int64)
        sim_pred = np.argmax(sim_scores, axis=1)
        bad_score = np.any(sim_scores != ref_scores, axis=1)
        bad_pred = sim_pred != np.asarray(ctx[PREDICTION])
        bad_spk = np.zeros(n, dtype=bool)
        for layer, counts, maps in zip(project.tap_layers, res.taps, project.tap_maps, strict=True):
            ref_spikes = np.asarray(ctx[f"{layer}_spikes"])
            if maps:  # [T*n, C, H, W] -> per-sample counts in the stream's NHWC order
                per = ref_spikes.reshape(-1, n, *maps).sum(axis=0)
                ref_counts = per.transpose(0, 2, 3, 1).reshape(n, -1).astype(np.int64)
            else:
                ref_counts = ref_spikes.sum(axis=0).astype(np.int64)
            bad_spk |= np.any(counts != ref_counts, axis=1)
        bad = bad_score | bad_pred | bad_spk
        if report.first_mismatch is None and bad.any():
            i = int(np.flatnonzero(bad)[0])
            report.first_mismatch = (
                f"sample {start + i}: csim scores {sim_scores[i].tolist()} vs QONNX {ref_scores[i].tolist()}"
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
    if ref_scores_all:
        report.reference_scores = np.concatenate(ref_scores_all)
        report.reference_predictions = np.concatenate(ref_pred_all)
    return report
