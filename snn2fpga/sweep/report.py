"""Sweep tables (CSV, JSON, Markdown) and plots (PNG): accuracy and resources vs bits, Pareto front,
accuracy vs SNR (radio data), and throughput vs resources over folding budgets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from snn2fpga.io import atomic_save, atomic_write_text

COLUMNS = ("name", "weight_bits", "state_bits", "timesteps", "quant", "top1", "top5", "saturations", "lut", "ff",
           "bram36", "dsp", "latency_us", "fps", "fits", "csim_samples", "csim_mismatches", "train_seconds")


FOLDING_COLUMNS = ("name", "weight_bits", "state_bits", "timesteps", "top1", "budget", "lut", "ff", "bram36", "dsp",
                   "latency_us", "fps", "fits")


def folding_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (point, folding budget) for points estimated at several foldings."""
    keep = ("name", "weight_bits", "state_bits", "timesteps", "top1")
    return [{**{k: r[k] for k in keep}, **f} for r in rows for f in r.get("foldings", [])]


def pareto(rows: list[dict[str, Any]], cost: str = "lut") -> list[dict[str, Any]]:
    """Points no other point beats on both accuracy (``top1``, higher) and ``cost`` (lower), by ``cost``."""
    front = [r for r in rows if not any(o["top1"] >= r["top1"] and o[cost] <= r[cost] and
                                        (o["top1"] > r["top1"] or o[cost] < r[cost]) for o in rows)]
    return sorted(front, key=lambda r: (r[cost], str(r.get("name", ""))))


def markdown(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    """The sweep as a Markdown table."""
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |\n" for r in rows)
    return head + body


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _plots(rows: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: dict[str, Path] = {}
    state_values = sorted({r["state_bits"] for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for sb in state_values:
        sel = sorted((r for r in rows if r["state_bits"] == sb), key=lambda r: r["weight_bits"])
        axes[0].plot([r["weight_bits"] for r in sel], [r["top1"] for r in sel], "o-", label=f"{sb}-bit state")
        axes[1].plot([r["weight_bits"] for r in sel], [r["lut"] for r in sel], "o-", label=f"{sb}-bit state")
    axes[0].set(xlabel="weight bits", ylabel="top-1 accuracy (hardware-exact)", title="accuracy vs bits")
    axes[1].set(xlabel="weight bits", ylabel="LUT (estimate)", title="resources vs bits")
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    files["plot_bits"] = out / "accuracy_resources_vs_bits.png"
    fig.savefig(files["plot_bits"], dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter([r["lut"] for r in rows], [r["top1"] for r in rows], c="grey", label="points")
    front = pareto(rows)
    ax.plot([r["lut"] for r in front], [r["top1"] for r in front], "r.-", label="Pareto front")
    for r in rows:
        ax.annotate(f"w{r['weight_bits']}/s{r['state_bits']}", (r["lut"], r["top1"]), fontsize=7)
    ax.set(xlabel="LUT (estimate)", ylabel="top-1 accuracy", title="accuracy vs resources")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    files["plot_pareto"] = out / "pareto.png"
    fig.savefig(files["plot_pareto"], dpi=100)
    plt.close(fig)
    snr_rows = [r for r in rows if r.get("accuracy_by_snr")]
    if snr_rows:
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in snr_rows:
            snrs = sorted(r["accuracy_by_snr"], key=int)
            ax.plot([int(s) for s in snrs], [r["accuracy_by_snr"][s] for s in snrs], "o-", label=r["name"])
        ax.set(xlabel="SNR (dB)", ylabel="accuracy", title="accuracy vs SNR")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        files["plot_snr"] = out / "accuracy_vs_snr.png"
        fig.savefig(files["plot_snr"], dpi=100)
        plt.close(fig)
    return files


def _folding_plot(frows: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in dict.fromkeys(r["name"] for r in frows):
        sel = sorted((r for r in frows if r["name"] == name), key=lambda r: r["budget"])
        ax.plot([r["lut"] for r in sel], [r["fps"] for r in sel], "o-", label=name)
    ax.set(xlabel="LUT (estimate)", ylabel="samples/s (estimate)", yscale="log",
           title="throughput vs resources over folding budgets")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out / "throughput_vs_resources.png"
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)
    return path


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def write_reports(rows: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    """results.csv / results.json / results.md and the PNG plots in ``out``."""
    files = {"csv": out / "results.csv", "json": out / "results.json", "markdown": out / "results.md"}
    _write_csv(files["csv"], COLUMNS, rows)
    atomic_write_text(files["json"], json.dumps(rows, indent=1, sort_keys=True))
    atomic_write_text(files["markdown"], markdown(rows))
    if rows:
        files.update(_plots(rows, out))
    frows = folding_rows(rows)
    if frows:
        files["folding_csv"] = out / "foldings.csv"
        _write_csv(files["folding_csv"], FOLDING_COLUMNS, frows)
        files["folding_markdown"] = out / "foldings.md"
        atomic_write_text(files["folding_markdown"], markdown(frows, FOLDING_COLUMNS))
        files["plot_folding"] = _folding_plot(frows, out)
    return files
