"""Simulator throughput and toolchain time, side by side in one run.

Measures samples/s of the integer reference (numpy), the PyTorch integer eval path, the QONNX
execution (qonnx execute_onnx), the C-simulation of the generated top (g++, ctypes) and snnTorch's
float forward of the same network (same weights, Leaky neurons), and the wall time of `export`
(with verification) and of `build` up to a verified C-simulation.

    .venv/bin/python bench/simulators.py --checkpoint runs/digits/model.pt --samples 360
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch


def _rate(fn, n: int, repeats: int = 3) -> float:
    best = min(_timed(fn) for _ in range(repeats))
    return n / best


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--samples", type=int, default=360)
    ap.add_argument("--out", type=Path, default=Path("bench/results/simulators.json"))
    args = ap.parse_args()

    import snntorch
    from qonnx.core.modelwrapper import ModelWrapper
    from snn2fpga_board.host import pack_inputs

    import snn2fpga
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.codegen.csim import CSimLibrary
    from snn2fpga.data import load_any_dataset
    from snn2fpga.export import collect_layers, run_graph
    from snn2fpga.flow.config import BuildConfig
    from snn2fpga.flow.driver import run_build
    from snn2fpga.semantics import dense_currents, run_neurons

    torch.set_num_threads(2)
    model, meta = load_checkpoint(args.checkpoint)
    data = load_any_dataset(meta["training"]["dataset"], None, {})
    x = data.x_test[: args.samples]
    n = len(x)
    work = Path("bench/results/sim_work")
    work.mkdir(parents=True, exist_ok=True)

    t_export = _timed(lambda: snn2fpga.export(model, x[:1], work / "model.onnx", verify_inputs=x))
    cfg = BuildConfig(model=work / "model.onnx", output_dir=work / "build", csim_samples=n, force=True)
    t_build = _timed(lambda: run_build(cfg, log=lambda _m: None))
    results = json.loads((work / "build" / "build_state.json").read_text())["results"]
    lib = CSimLibrary(Path(results["csim"]["library"]))

    layers = collect_layers(model, (int(np.prod(model.spec.input_shape)),))
    q = model.quantize(x)
    spikes_in = model.encode(x).numpy().astype(np.uint8)

    def reference() -> None:
        s = spikes_in
        for layer in layers:
            s = run_neurons(dense_currents(s, layer.weight), layer.threshold, layer.neuron.params).spikes

    onnx_model = ModelWrapper(str(work / "model.onnx"))
    words = pack_inputs(q, "rate")

    # snnTorch float forward of the same network: same (dequantised) weights, Leaky neurons
    lins, leaks = [], []
    for layer in layers:
        lin = torch.nn.Linear(layer.weight.shape[1], layer.weight.shape[0], bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.weight * layer.scale[:, None]).float())
        lins.append(lin)
        beta = layer.neuron.beta_float
        leaks.append(snntorch.Leaky(beta=beta if beta < 1.0 else 1.0, threshold=layer.neuron.threshold,
                                    reset_mechanism="subtract", reset_delay=False))
    spikes_f = torch.from_numpy(spikes_in).float()

    def snntorch_forward() -> None:
        with torch.no_grad():
            mems = [lk.init_leaky() for lk in leaks]
            for t in range(spikes_f.shape[0]):
                s = spikes_f[t]
                for i, (lin, lk) in enumerate(zip(lins, leaks, strict=True)):
                    s, mems[i] = lk(lin(s), mems[i])

    rates = {
        "integer reference (numpy)": _rate(reference, n),
        "PyTorch integer eval": _rate(lambda: model.predict(x), n),
        "QONNX execute_onnx": _rate(lambda: run_graph(onnx_model, q.astype(np.float32)), n, repeats=1),
        "C-simulation (g++ -O1, ctypes)": _rate(lambda: lib.run(words, with_taps=False), n),
        "snnTorch float forward": _rate(snntorch_forward, n),
    }
    base = rates["snnTorch float forward"]
    out = {
        "checkpoint": str(args.checkpoint), "samples": n, "timesteps": model.encoder.timesteps,
        "samples_per_s": {k: round(v, 1) for k, v in rates.items()},
        "ratio_to_snntorch": {k: round(v / base, 3) for k, v in rates.items()},
        "export_seconds": round(t_export, 2), "build_to_verified_hls_seconds": round(t_build, 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print("| simulator | samples/s | vs snnTorch |\n|---|---|---|")
    for k, v in rates.items():
        print(f"| {k} | {v:,.0f} | {v / base:.2f}x |")
    print(f"\nexport (with verification of {n} samples): {t_export:.1f} s; "
          f"build to verified HLS (lower..csim of {n} samples, incl. g++): {t_build:.1f} s")


if __name__ == "__main__":
    main()
