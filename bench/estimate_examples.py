"""Hardware estimates of the shipped example models on a board, at several folding budgets, next to
the published SNN-on-FPGA points (DEVELOPERS.md / the project brief).

For each example .onnx: lower to hardware ops, run AutoFolding within a share of every resource
(no throughput target: grow until the budget is spent), estimate, and print a Markdown table.

    .venv/bin/python bench/estimate_examples.py [--board pynq-z2] [--fractions 0.15 0.3 0.5]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from snn2fpga.boards import load_board
from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.sweep.points import folding_estimates

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ["digits-lif-mlp", "fmnist-lif-mlp", "fmnist-lif-cnn"]
PUBLISHED = [  # (design, dataset, accuracy, time per image, LUT, BRAM36)
    ("Spiker+ (published)", "MNIST", "93.85 %", "780 us", "-", "-"),
    ("Artix-7 SNN (published)", "MNIST", "-", "520 us", "6,358", "40.5"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="pynq-z2")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.15, 0.3, 0.5],
                        help="AutoFolding budgets: share of every resource")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    board = load_board(args.board)
    rows = []
    for name in NAMES:
        _, meta = load_checkpoint(EXAMPLES / f"{name}.pt")
        for est in folding_estimates(EXAMPLES / f"{name}.onnx", args.board, tuple(args.fractions)):
            rows.append({"model": name, "accuracy": meta["metrics"]["test_accuracy"], **est})
    print(f"### Example models on {board.name} ({board.part}) at {board.clock_mhz:g} MHz, by estimate\n")
    print("| design | test accuracy | budget | time / image (II) | latency | images/s | LUT | FF | BRAM36 | DSP |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['accuracy']:.2%} | {r['budget']:.0%} | {r['ii_us']:.1f} us | "
              f"{r['latency_us']:.1f} us | {r['fps']:,.0f} | {r['lut']:,} | {r['ff']:,} | {r['bram36']:g} | "
              f"{r['dsp']} |")
    for design, dataset, acc, t, lut, bram in PUBLISHED:
        print(f"| {design}, {dataset} | {acc} | - | {t} | - | - | {lut} | - | {bram} | - |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
