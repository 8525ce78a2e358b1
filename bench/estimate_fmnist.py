"""Folding and hardware estimate of the Fashion-MNIST lif-mlp (784-128-10, T=16) on a PYNQ-Z2.

Builds the hardware graph with onnx.helper (SpikeInput rate -> SpikingDense 784->128, 4-bit weights,
16-bit state, shift leak -> DenseReadout 128->10), runs AutoFolding for a throughput target within a
share of the board, and prints a Markdown table. Weights are zeros: the estimates depend on shapes
and bit widths only.

    .venv/bin/python bench/estimate_fmnist.py [--board pynq-z2] [--target-us 75] [--max-fraction 0.15]
"""

from __future__ import annotations

import argparse

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.boards import load_board
from snn2fpga.estimate.report import estimate_markdown, estimate_model
from snn2fpga.transforms.folding import AutoFolding, folding_config

HW = "snn2fpga.ops.hw"
T, N_IN, N_HIDDEN, N_CLASSES = 16, 784, 128, 10
WEIGHT_BITS, STATE_BITS = 4, 16


def fmnist_hw_model() -> ModelWrapper:
    """The hardware graph of the Fashion-MNIST lif-mlp, folding PE = SIMD = 1."""
    neuron = {"weight_bits": WEIGHT_BITS, "state_bits": STATE_BITS, "leak": "shift", "leak_shift": 3, "T": T}
    nodes = [
        helper.make_node("SpikeInput", ["x"], ["s0"], name="input", domain=HW, kind="rate", IN=N_IN, T=T, seed=0),
        helper.make_node("SpikingDense", ["s0", "w0"], ["s1", "v0"], name="layer0", domain=HW, IN=N_IN,
                         OUT=N_HIDDEN, reset="subtract", threshold=[64] * N_HIDDEN, **neuron),
        helper.make_node("DenseReadout", ["s1", "w1"], ["scores"], name="layer1", domain=HW, IN=N_HIDDEN,
                         OUT=N_CLASSES, **neuron),
    ]
    inits = [numpy_helper.from_array(np.zeros((N_IN, N_HIDDEN), np.float32), "w0"),
             numpy_helper.from_array(np.zeros((N_HIDDEN, N_CLASSES), np.float32), "w1")]
    graph = helper.make_graph(
        nodes, "fmnist_lif_mlp_hw",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, N_IN])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, N_CLASSES])],
        initializer=inits,
    )
    return ModelWrapper(helper.make_model(graph))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="pynq-z2")
    parser.add_argument("--target-us", type=float, default=75.0, help="target time per image (1/throughput), us")
    parser.add_argument("--max-fraction", type=float, default=0.15, help="budget: share of every resource")
    args = parser.parse_args()

    board = load_board(args.board)
    model = fmnist_hw_model()
    model = model.transform(AutoFolding(board, target_fps=1e6 / args.target_us, max_fraction=args.max_fraction))
    est = estimate_model(model, board)
    print(f"### Fashion-MNIST lif-mlp {N_IN}-{N_HIDDEN}-{N_CLASSES}, T={T}, {WEIGHT_BITS}-bit weights, "
          f"{STATE_BITS}-bit state, rate encoder: {board.name} ({board.part}) at {est.clock_mhz:g} MHz\n")
    print(f"AutoFolding target {args.target_us:g} us/image ({1e6 / args.target_us:.0f} images/s), "
          f"budget {100 * args.max_fraction:g} % of each resource.\n")
    print(estimate_markdown(est))
    print()
    print(f"- II: {est.ii_cycles} cycles ({est.ii_cycles / est.clock_mhz:.2f} us) -> {est.fps:,.0f} images/s "
          f"(bottleneck: {est.bottleneck})")
    print(f"- latency: {est.latency_cycles} cycles = {est.latency_us:.2f} us/image")
    print(f"- fits: {est.fits}; share of device: " + ", ".join(f"{k} {v:.1f} %" for k, v in est.share_pct.items()))
    print(f"- folding: {folding_config(model)}")


if __name__ == "__main__":
    main()
