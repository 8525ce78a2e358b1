"""The prior work's quantization study on a trained radio SNN, through `snn2fpga sweep --from`.

Runs the sweep (every point re-quantizes the checkpoint: post-training weights at the point's bits,
every neuron state at the point's width; export verified, build C-simulated), then writes
``quant_table.md`` (float vs each weight/state width, overall and at SNR >= 0 dB) and
``state_width.png`` (accuracy vs state bits per weight width, with the float accuracy and its half).

    .venv/bin/python bench/radioml_quant.py --from examples/radioml-snn.pt --out bench/results/radioml_quant
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from snn2fpga.cli import main  # noqa: E402
from snn2fpga.data.radioml import mean_accuracy_snr_ge0  # noqa: E402


def table(rows: list[dict[str, Any]], float_top1: float, failed: dict[str, str]) -> str:
    lines = ["| weights | state | top-1 (all SNRs) | top-1 (SNR >= 0 dB) | top-5 | saturations | LUT (estimate) "
             "| BRAM36 (estimate) |", "|---|---|---|---|---|---|---|---|",
             f"| float | float | {float_top1:.1%} | | | | | |"]
    for r in sorted(rows, key=lambda r: (-r["weight_bits"], -r["state_bits"])):
        ge0 = mean_accuracy_snr_ge0(r.get("accuracy_by_snr", {}))
        lines.append(f"| {r['weight_bits']}-bit | {r['state_bits']}-bit | {r['top1']:.1%} | "
                     f"{'' if ge0 is None else f'{ge0:.1%}'} | {r['top5']:.1%} | {r['saturations']} | {r['lut']} | "
                     f"{r['bram36']} |")
    for name, why in sorted(failed.items()):
        lines.append(f"| {name} | failed | {why} | | | | | |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], float_top1: float, out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for wb in sorted({r["weight_bits"] for r in rows}, reverse=True):
        pts = sorted((r["state_bits"], r["top1"]) for r in rows if r["weight_bits"] == wb)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{wb}-bit weights")
    ax.axhline(float_top1, color="k", linestyle="--", linewidth=1, label="float")
    ax.axhline(float_top1 / 2, color="grey", linestyle=":", linewidth=1, label="half of float")
    ax.set_xlabel("state bits")
    ax.set_ylabel("test accuracy, all SNRs (integer, hardware-exact)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def run() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="source", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("bench/results/radioml_quant"))
    ap.add_argument("--weight-bits", nargs="+", default=["8", "4", "2"])
    ap.add_argument("--state-bits", nargs="+", default=["24", "20", "16", "14", "12", "10", "8"])
    ap.add_argument("--csim-samples", default="50")
    ap.add_argument("--workers", default="2")
    args = ap.parse_args()
    argv = ["sweep", "--from", str(args.source), "--weight-bits", *args.weight_bits, "--state-bits",
            *args.state_bits, "--csim-samples", args.csim_samples, "--workers", args.workers, "--no-progress",
            "-o", str(args.out / "sweep"), "--json"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    if rc != 0:
        raise SystemExit(f"the sweep failed (exit {rc}):\n{buf.getvalue()}")
    summary = json.loads(buf.getvalue().strip().splitlines()[-1])
    rows = json.loads((args.out / "sweep" / "results.json").read_text())
    for r in rows:
        r.pop("foldings", None)
    float_top1, failed = summary["float_top1"], summary["failed"]
    summary_path = args.out / "summary.json"
    (args.out / "quant_table.md").write_text(table(rows, float_top1, failed))
    plot(rows, float_top1, args.out / "state_width.png")
    summary_path.write_text(json.dumps({"float_top1": float_top1, "rows": rows, "failed": failed}, indent=1))
    print((args.out / "quant_table.md").read_text())


if __name__ == "__main__":
    run()
