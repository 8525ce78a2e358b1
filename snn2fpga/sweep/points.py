"""One sweep point: an independent, serialisable job (so that a distributed executor can run it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga.io import atomic_write_text

RESULT_FILE = "result.json"


@dataclass(frozen=True)
class SweepPoint:
    """Everything one point needs; plain data (JSON round-trip via ``to_dict`` / ``from_dict``)."""

    name: str
    out_dir: str
    dataset: str
    arch: str
    weight_bits: int
    state_bits: int
    timesteps: int = 16
    quant: str = "qat"
    epochs: int = 5
    hidden: tuple[int, ...] = (128,)
    seed: int = 0
    board: str = "pynq-z2"
    csim_samples: int = 50
    data_dir: str | None = None
    train_extra: dict[str, Any] = field(default_factory=dict)
    folding_budgets: tuple[float, ...] = ()
    target_fps: float | None = None
    source: str | None = None  # a trained checkpoint to re-quantize instead of training (sweep --from)
    clip_percentile: float = 99.9

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["folding_budgets"] = list(self.folding_budgets)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SweepPoint:
        return cls(**{**d, "hidden": tuple(d.get("hidden", (128,))),
                      "folding_budgets": tuple(d.get("folding_budgets", ()))})

    @property
    def result_path(self) -> Path:
        return Path(self.out_dir) / self.name / RESULT_FILE


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of samples whose label is among the k highest scores (ties to the lower index)."""
    if len(labels) == 0:
        return 0.0
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(order == labels[:, None], axis=1)))


def _quiet(_msg: str) -> None:
    """Points run in worker processes: their logs stay in their build folders."""


def folding_estimates(onnx_path: Path, board: str, budgets: tuple[float, ...]) -> list[dict[str, Any]]:
    """Estimates of one exported model folded by AutoFolding within each budget (share of every resource)."""
    from qonnx.core.modelwrapper import ModelWrapper

    from snn2fpga.boards import load_board
    from snn2fpga.estimate.report import estimate_model
    from snn2fpga.transforms.folding import AutoFolding, folding_config
    from snn2fpga.transforms.lower import lower_to_hw

    target = load_board(board)
    hw = lower_to_hw(ModelWrapper(str(onnx_path)))
    rows = []
    for budget in budgets:
        folded = hw.transform(AutoFolding(target, max_fraction=budget))
        est = estimate_model(folded, target)
        rows.append({"budget": budget, "lut": est.lut, "ff": est.ff, "bram36": est.bram36, "dsp": est.dsp,
                     "ii_us": est.ii_cycles / est.clock_mhz, "latency_us": est.latency_us, "fps": est.fps,
                     "fits": est.fits, "folding": folding_config(folded)})
    return rows


def run_point(point: SweepPoint) -> dict[str, Any]:
    """Train (QAT or PTQ), export + verify, build (estimate + C-simulation of a sample), estimate the
    extra folding budgets; write result.json."""
    import torch

    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.commands import TrainOptions, run_train
    from snn2fpga.data import load_any_dataset
    from snn2fpga.export.checkpoint_export import export_checkpoint
    from snn2fpga.flow.config import BuildConfig
    from snn2fpga.flow.driver import run_build, summary_of
    from snn2fpga.sweep.requant import requantize_checkpoint

    torch.set_num_threads(1)  # points run in parallel processes
    pdir = Path(point.out_dir) / point.name
    pdir.mkdir(parents=True, exist_ok=True)
    if point.source:
        train = requantize_checkpoint(Path(point.source), pdir / "model.pt", point.weight_bits, point.state_bits,
                                      point.clip_percentile, point.data_dir)
    else:
        opts = TrainOptions(
            dataset=point.dataset, output=pdir / "model.pt", data_dir=point.data_dir, arch=point.arch,
            hidden=point.hidden, weight_bits=point.weight_bits, state_bits=point.state_bits,
            timesteps=point.timesteps, quant=point.quant, epochs=point.epochs, seed=point.seed, progress=False,
            **point.train_extra,
        )
        train = run_train(opts, log=_quiet)
    model, meta = load_checkpoint(pdir / "model.pt")
    data = load_any_dataset(model.spec.extra.get("dataset", point.dataset), point.data_dir,
                            model.spec.extra.get("dataset_selection", {}))
    with torch.no_grad():
        scores = np.concatenate([model.scores(model(data.x_test[i : i + 200])).numpy()
                                 for i in range(0, len(data.x_test), 200)])
    saturations = sum(c["saturations"] for c in meta["metrics"].get("calibration", []))
    # narrow states saturate by design in a sweep: the export is verified, and saturation is reported
    export = export_checkpoint(pdir / "model.pt", pdir / "model.onnx", point.csim_samples, point.data_dir, True,
                               log=_quiet)
    cfg = BuildConfig(model=pdir / "model.onnx", board=point.board, output_dir=pdir / "build",
                      csim_samples=point.csim_samples, target_fps=point.target_fps,
                      jobs=1)  # points already run in parallel processes
    build = summary_of(run_build(cfg, _quiet), cfg, point.board)
    out = {
        **point.to_dict(),
        "top1": float(train["test_accuracy"]),
        "top5": top_k_accuracy(scores, data.y_test, 5),
        "saturations": int(saturations),
        "accuracy_by_snr": meta["metrics"].get("accuracy_by_snr", {}),
        "train_seconds": train["train_seconds"],
        "export_mismatches": export["mismatches"],
        "csim_samples": build["csim"]["samples"],
        "csim_mismatches": build["csim"]["mismatches"],
        **{k: build["estimate"][k] for k in ("lut", "ff", "bram36", "dsp", "latency_us", "fps", "fits")},
        "foldings": folding_estimates(pdir / "model.onnx", point.board, point.folding_budgets),
    }
    atomic_write_text(point.result_path, json.dumps(out, indent=1, sort_keys=True))
    return out
