"""Re-estimate the recorded RTL builds of bench/results/rtl/*.json with today's formulas, beside their yosys figures.

No synthesis: each build's folding is applied to its example model (RTL backend) and estimated with the
formulas only (level ``estimate``, the synth cache deliberately not consulted); the ``synth`` column is the
whole-top yosys result the build recorded (level ``synth``, pre-place-and-route). Prints the markdown rows of
bench/HARDWARE.md's table and, per stage, the estimate beside the per-stage yosys figures where the build
recorded them.

    .venv/bin/python bench/rtl_reestimate.py
"""

from __future__ import annotations

import json
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.estimate.report import estimate_model
from snn2fpga.hwir.spec import Backend
from snn2fpga.transforms.folding import ApplyFoldingConfig
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import SpecializeLayers

ROOT = Path(__file__).resolve().parents[1]
BUILDS = {  # recorded build -> (label, example model)
    "digits_auto": ("digits, AutoFolding", "digits-lif-mlp"),
    "digits_narrow": ("digits, narrow folding", "digits-lif-mlp"),
    "fmnist_mlp_narrow": ("Fashion-MNIST MLP", "fmnist-lif-mlp"),
    "fmnist_cnn_auto": ("Fashion-MNIST CNN", "fmnist-lif-cnn"),
}


def reestimate(name: str) -> dict:
    rec = json.loads((ROOT / "bench" / "results" / "rtl" / f"{name}.json").read_text())
    model = lower_to_hw(ModelWrapper(str(ROOT / "examples" / f"{BUILDS[name][1]}.onnx")))
    model = model.transform(SpecializeLayers(Backend.RTL)).transform(ApplyFoldingConfig(rec["folding"]))
    est = estimate_model(model, "pynq-z2")
    return {"name": name, "estimate": est.to_dict(), "recorded_estimate": rec["estimate"], "synth": rec["synth"]}


def main() -> None:
    rows = [reestimate(n) for n in BUILDS]
    print("| build | LUT: estimate now (recorded estimate) / synth LUT + LUTRAM | FF: estimate now (recorded) / synth"
          " | BRAM36: estimate now / synth |\n|---|---|---|---|")
    for r in rows:
        e, old, s = r["estimate"], r["recorded_estimate"], r["synth"]
        print(f"| {BUILDS[r['name']][0]} | {e['lut']:,} ({old['lut']:,}) / {s['lut'] + s['lutram']:,} | "
              f"{e['ff']:,} ({old['ff']:,}) / {s['ff']:,} | {e['bram36']:g} / {s['bram36']:g} |")
    for r in rows:
        stages = r["synth"].get("stages") or {}
        for layer in r["estimate"]["layers"]:
            syn = (stages.get(layer["name"]) or {}).get("synth")
            if syn:
                print(f"  {r['name']} {layer['name']}: estimate {layer['lut']} LUT {layer['ff']} FF "
                      f"{layer['bram36']:g} BRAM36 / synth {syn['lut'] + syn['lutram']} LUT {syn['ff']} FF "
                      f"{syn['bram36']:g} BRAM36")


if __name__ == "__main__":
    main()
