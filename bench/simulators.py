"""Simulator throughput, side by side: interleaved rounds, min and median, one pinned core.

Compares samples/s of the integer reference (numpy), the PyTorch integer eval path, our QONNX
execution (``snn2fpga.export.execute``, no per-element sanitizing), qonnx's own ``execute_onnx`` (which
sanitizes every tensor; what we used before), the C-simulation of the generated top (g++, ctypes, one
process) and snnTorch's float forward of the same network (same weights, ``Leaky`` neurons), all on the
same batch of test samples.

Method, so that a shared, noisy machine still gives comparable numbers:
- the process is pinned to one CPU (``--cpu``, default the last one it may use) and torch runs one thread,
  so every simulator gets the same single core (onnxruntime's threads included);
- every simulator runs once per round, the rounds interleave them (``--repeats`` rounds, order rotated
  each round), after one warm-up call each; min and median over the rounds are reported. The min is the
  best estimate of the uncontended speed, the median shows how much the machine was disturbed.

    .venv/bin/python bench/simulators.py --checkpoint examples/fmnist-lif-mlp.pt --batch 256 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _pin(cpu: int | None) -> int:
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return chosen


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds per call of every function: one warm-up each, then ``repeats`` rounds in rotated order."""
    names = list(fns)
    for name in names:
        fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=Path("examples/fmnist-lif-mlp.pt"))
    ap.add_argument("--batch", type=int, default=256, help="test samples per call (default 256)")
    ap.add_argument("--repeats", type=int, default=7, help="interleaved rounds (default 7)")
    ap.add_argument("--cpu", type=int, help="CPU to pin to (default: the last allowed one)")
    ap.add_argument("--skip-sanitizing", action="store_true", help="leave out qonnx's sanitizing execute_onnx")
    ap.add_argument("--work", type=Path, default=Path("bench/results/sim_work"))
    ap.add_argument("--out", type=Path, default=Path("bench/results/simulators.json"))
    args = ap.parse_args()

    cpu = _pin(args.cpu)
    import snntorch
    import torch
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from snn2fpga_board.host import pack_inputs

    import snn2fpga
    from snn2fpga.checkpoint import load_checkpoint
    from snn2fpga.codegen.csim import CSimLibrary
    from snn2fpga.data import load_any_dataset
    from snn2fpga.export import collect_layers, run_graph
    from snn2fpga.export.graph import GRAPH_INPUT, input_batch, set_batch
    from snn2fpga.flow.config import BuildConfig
    from snn2fpga.flow.driver import run_build
    from snn2fpga.semantics import dense_currents, run_neurons

    torch.set_num_threads(1)
    model, meta = load_checkpoint(args.checkpoint)
    model.eval()
    data = load_any_dataset(meta["training"]["dataset"], None, {})
    x = data.x_test[: args.batch]
    n = len(x)
    args.work.mkdir(parents=True, exist_ok=True)
    onnx_path = args.work / "model.onnx"
    snn2fpga.export(model, x[:1], onnx_path, verify_inputs=x, allow_saturation=True)
    cfg = BuildConfig(model=onnx_path, output_dir=args.work / "build", csim_samples=n, jobs=1)
    results = run_build(cfg, log=lambda _m: None)
    lib = CSimLibrary(Path(results["csim"]["library"]))

    layers = collect_layers(model, (int(np.prod(model.spec.input_shape)),))
    if any(layer.kind.value != "dense" for layer in layers):
        raise SystemExit("bench/simulators.py compares dense (lif-mlp) networks; the checkpoint has other layers")
    q = model.quantize(x)
    spikes_in = model.encode(x).numpy().astype(np.uint8)
    onnx_model = ModelWrapper(str(onnx_path))
    batched = set_batch(onnx_model, input_batch(onnx_model, q))
    words = pack_inputs(q, "rate")

    def reference() -> None:
        s = spikes_in
        for layer in layers:
            s = run_neurons(dense_currents(s, layer.weight), layer.threshold, layer.neuron.params).spikes

    # snnTorch float forward of the same network: same (dequantised) weights, Leaky neurons, given the spikes
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

    fns: dict[str, Callable[[], object]] = {
        "integer reference (numpy, given the spikes)": reference,
        "PyTorch integer eval (SNNClassifier.predict)": lambda: model.predict(x),
        "QONNX, snn2fpga.export.run_graph (no sanitizing)": lambda: run_graph(onnx_model, q.astype(np.float32)),
        "C-simulation (g++ -O1, ctypes, 1 process)": lambda: lib.run(words, with_taps=False),
        "snnTorch float forward (given the spikes)": snntorch_forward,
    }
    if not args.skip_sanitizing:
        os.environ.pop("SANITIZE_QUANT_TENSORS", None)  # qonnx's default: sanitize
        fns["QONNX, qonnx execute_onnx (sanitizing)"] = lambda: execute_onnx(
            batched, {GRAPH_INPUT: q.astype(np.float32)}, return_full_exec_context=True)
    times = interleaved(fns, args.repeats)
    base = "snnTorch float forward (given the spikes)"
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {
        "checkpoint": str(args.checkpoint), "batch": n, "timesteps": model.encoder.timesteps,
        "repeats": args.repeats, "pinned_cpu": cpu, "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "samples_per_s_best": {k: round(n / v, 1) for k, v in best.items()},
        "samples_per_s_median": {k: round(n / v, 1) for k, v in med.items()},
        "ratio_to_snntorch_best": {k: round(best[base] / v, 3) for k, v in best.items()},
        "ratio_to_snntorch_median": {k: round(med[base] / v, 3) for k, v in med.items()},
        "seconds": {k: [round(t, 4) for t in v] for k, v in times.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{n} samples per call, {args.repeats} interleaved rounds, pinned to CPU {cpu}, 1 torch thread, "
          f"load average {out['load_average'][0]:.1f}")
    print("| simulator | samples/s (best) | samples/s (median) | vs snnTorch (best) | vs snnTorch (median) |")
    print("|---|---|---|---|---|")
    for k in times:
        print(f"| {k} | {n / best[k]:,.0f} | {n / med[k]:,.0f} | {best[base] / best[k]:.2f}x | "
              f"{med[base] / med[k]:.2f}x |")


if __name__ == "__main__":
    main()
