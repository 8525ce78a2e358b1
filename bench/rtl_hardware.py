"""Build the shipped examples with the RTL backend and tabulate measured against modelled hardware figures.

For each example: `snn2fpga build --backend rtl` (AutoFolding for pynq-z2, or a folding file), then from its
JSON summary: the estimate (our formulas) next to yosys `synth_xilinx` (pre-place-and-route), and the RTL
cycle model next to the Verilator-measured latency and interval. Writes bench/results/rtl_hardware.json and
prints the markdown rows of bench/HARDWARE.md.

    .venv/bin/python bench/rtl_hardware.py [--only digits-lif-mlp] [--samples N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "digits-lif-mlp": ROOT / "examples" / "digits-lif-mlp.onnx",
    "fmnist-lif-mlp": ROOT / "examples" / "fmnist-lif-mlp.onnx",
    "fmnist-lif-cnn": ROOT / "examples" / "fmnist-lif-cnn.onnx",
}
OUT_DIR = ROOT / "bench" / "results" / "rtl_work"  # the build folders (not kept in git)


def build(name: str, model: Path, samples: int | None, clock_mhz: float) -> dict:
    out = OUT_DIR / name
    cmd = [sys.executable, "-m", "snn2fpga.cli", "build", "--board", "pynq-z2", "--backend", "rtl", "--model",
           str(model), "-o", str(out), "--json"]
    if samples:
        cmd += ["--csim-samples", str(samples)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if res.returncode not in (0, 4):
        return {"name": name, "error": (res.stderr or res.stdout)[-2000:], "rc": res.returncode}
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    summary.update(name=name, wall_s=round(wall, 1), clock_mhz=clock_mhz)
    return summary


def rows(s: dict) -> list[str]:
    if "error" in s:
        return [f"| {s['name']} | build failed (exit {s['rc']}): {s['error'].splitlines()[-1][:120]} |"]
    est, syn, sim = s["estimate"], s["synth"], s["rtlsim"]
    us = sim["interval_cycles"] / s["clock_mhz"]
    return [
        f"| {s['name']} | LUT | {est['lut']} | {syn['lut']} + {syn['lutram']} LUTRAM |",
        f"| | FF | {est['ff']} | {syn['ff']} |",
        f"| | BRAM36 | {est['bram36']} | {syn['bram36']} |",
        f"| | DSP | {est['dsp']} | {syn['dsp']} |",
        f"| | latency (cycles) | {sim['model']['latency']} (RTL model) | {sim['latency_cycles']} (rtlsim) |",
        f"| | interval (cycles/sample) | {sim['model']['interval']} (RTL model) | {sim['interval_cycles']} (rtlsim)"
        f" = {us:.2f} us/sample at {s['clock_mhz']:g} MHz |",
        f"| | rtlsim check | {sim['samples']} test samples, random stalls | {sim['mismatches']} mismatches vs QONNX,"
        f" accuracy {sim['accuracy']:.4f} |",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=sorted(EXAMPLES), default=sorted(EXAMPLES))
    ap.add_argument("--samples", type=int, help="test samples to simulate (default: the whole split)")
    ap.add_argument("--clock-mhz", type=float, default=100.0)
    args = ap.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results = [build(n, EXAMPLES[n], args.samples, args.clock_mhz) for n in args.only]
    (OUT_DIR.parent / "rtl_hardware.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print("| example | figure | modelled (estimate) | measured |\n|---|---|---|---|")
    for s in results:
        print("\n".join(rows(s)))


if __name__ == "__main__":
    main()
