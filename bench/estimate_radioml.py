"""Hardware estimate of the prior work's `dcll-radioml` on a PYNQ-Z2, and the largest variant that fits.

Builds the hardware graph with onnx.helper: SpikeInput kind iq (T I/Q samples per frame on a G x G
grid, one event per timestep) -> SpikingConv event=1 (1 -> C, K=7, PAD=3, DCLL) -> SpikingConv
(C -> C, K=7, PAD=3, DCLL) -> SpikingConv (C -> C, DCLL) -> DenseReadout (in_maps [C, G, G] -> 24
classes, LI, shift leak). 8-bit weights; the DCLL traces Q, P, R and the readout membrane are
``state_bits`` wide. Weights are zeros: the estimates depend on shapes and bit widths only.

For the prior-work point (C=32, G=32, 24-bit state, T=1024) it prints the per-layer estimate unfolded
(PE = SIMD = 1) and after AutoFolding (fit the board: max_fraction 1.0, no throughput target), then
estimates every variant of channels x grid x state bits x T and reports the largest one that fits
(largest = most neurons C*G*G, then wider state, then more timesteps, then more channels).

    .venv/bin/python bench/estimate_radioml.py [--board pynq-z2] [--clock-mhz 100] [--max-fraction 1.0]
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.boards import Board, load_board
from snn2fpga.estimate.report import Estimate, estimate_markdown, estimate_model
from snn2fpga.hwir.cost import memory
from snn2fpga.hwir.graph import stage_specs
from snn2fpga.hwir.spec import HwKind
from snn2fpga.transforms.folding import AutoFolding, FoldingConfig, folding_config

HW = "snn2fpga.ops.hw"
N_CLASSES, KERNEL, PAD, WEIGHT_BITS, N_CONV = 24, 7, 3, 8, 3
CHANNELS, GRIDS, STATE_BITS, TIMESTEPS = (32, 16, 8), (32, 16), (24, 16), (1024, 128)


@dataclass(frozen=True)
class RadiomlConfig:
    """One variant of dcll-radioml: conv channels, I/Q grid, state bits, timesteps (I/Q samples / frame)."""

    channels: int = 32
    grid: int = 32
    state_bits: int = 24
    timesteps: int = 1024

    @property
    def label(self) -> str:
        """Short name for the tables."""
        return f"C={self.channels} G={self.grid} S={self.state_bits} T={self.timesteps}"

    @property
    def size_key(self) -> tuple[int, int, int, int]:
        """Ordering of "largest": neurons per layer, state bits, timesteps, channels."""
        return self.channels * self.grid**2, self.state_bits, self.timesteps, self.channels


def radioml_hw_model(cfg: RadiomlConfig) -> ModelWrapper:
    """The hardware graph of dcll-radioml for ``cfg``, folding PE = SIMD = 1."""
    c, g, t = cfg.channels, cfg.grid, cfg.timesteps
    dcll = {"neuron": "dcll", "kq": 1, "kp": 1, "kr": 1, "rho": 1 << (cfg.state_bits - 4), "leak": "none",
            "reset": "subtract", "weight_bits": WEIGHT_BITS, "state_bits": cfg.state_bits, "T": t}
    nodes = [helper.make_node("SpikeInput", ["x"], ["s0"], name="input", domain=HW, kind="iq", IN=2, T=t, G=g,
                              out_maps=[1, g, g], SIMD=1)]
    inits = []
    cin = 1
    for i in range(N_CONV):
        inits.append(numpy_helper.from_array(np.zeros((c, cin, KERNEL, KERNEL), np.float32), f"layer{i}_W"))
        nodes.append(helper.make_node(
            "SpikingConv", [f"s{i}", f"layer{i}_W"], [f"s{i + 1}", f"v{i}"], name=f"layer{i}", domain=HW,
            H=g, W=g, CIN=cin, COUT=c, K=KERNEL, STRIDE=1, PAD=PAD, event=int(i == 0), PE=1, SIMD=1,
            threshold=[1 << (cfg.state_bits - 3)] * c, **dcll,
        ))
        cin = c
    n_in = c * g * g
    inits.append(numpy_helper.from_array(np.zeros((n_in, N_CLASSES), np.float32), f"layer{N_CONV}_W"))
    nodes.append(helper.make_node(
        "DenseReadout", [f"s{N_CONV}", f"layer{N_CONV}_W"], ["scores"], name=f"layer{N_CONV}", domain=HW,
        IN=n_in, OUT=N_CLASSES, in_maps=[c, g, g], T=t, PE=1, SIMD=1, weight_bits=WEIGHT_BITS,
        state_bits=cfg.state_bits, leak="shift", leak_shift=3,
    ))
    graph = helper.make_graph(
        nodes, "dcll_radioml_hw",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, t, 2])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, N_CLASSES])],
        initializer=inits,
    )
    return ModelWrapper(helper.make_model(graph))


def estimates(
    cfg: RadiomlConfig, board: Board, clock_mhz: float, max_fraction: float
) -> tuple[Estimate, Estimate, FoldingConfig]:
    """(unfolded, AutoFolded, AutoFolding's config) of one variant."""
    unfolded = estimate_model(radioml_hw_model(cfg), board, clock_mhz)
    model = radioml_hw_model(cfg).transform(AutoFolding(board, max_fraction=max_fraction, clock_mhz=clock_mhz))
    return unfolded, estimate_model(model, board, clock_mhz), folding_config(model)


def _share(est: Estimate) -> str:
    s = est.share_pct
    return f"{s['lut']:.0f} | {s['ff']:.0f} | {s['bram36']:.0f} | {s['dsp']:.0f}"


def _summary(est: Estimate) -> str:
    return (f"fits: {'yes' if est.fits else 'NO (exceeds ' + ', '.join(est.exceeds) + ')'}; "
            f"II {est.ii_cycles:,} cycles -> {est.fps:,.3g} frames/s; latency {est.latency_us:,.0f} us/frame "
            f"(bottleneck {est.bottleneck}); share of device: "
            + ", ".join(f"{k} {v:.1f} %" for k, v in est.share_pct.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="pynq-z2")
    parser.add_argument("--clock-mhz", type=float, default=100.0)
    parser.add_argument("--max-fraction", type=float, default=1.0, help="AutoFolding budget: share of every resource")
    args = parser.parse_args()
    board = load_board(args.board)
    start = time.perf_counter()

    prior = RadiomlConfig()
    unfolded, folded, fold = estimates(prior, board, args.clock_mhz, args.max_fraction)
    print(f"### dcll-radioml (prior work): {prior.label}, 3 x conv {KERNEL}x{KERNEL} DCLL + LI readout "
          f"({N_CLASSES} classes), {WEIGHT_BITS}-bit weights: {board.name} ({board.part}) at {args.clock_mhz:g} MHz\n")
    print("Unfolded (PE = SIMD = 1):\n")
    print(estimate_markdown(unfolded))
    print(f"\n- {_summary(unfolded)}\n")
    print(f"AutoFolding (max_fraction {args.max_fraction:g}, no throughput target):\n")
    if not unfolded.fits and all(v == 1 for entry in fold.values() for v in entry.values()):
        print(f"- AutoFolding keeps PE = SIMD = 1: the unfolded design already exceeds the board "
              f"({', '.join(unfolded.exceeds)}), so every move is refused; same estimate as above.")
        convs = [s for s in stage_specs(radioml_hw_model(prior)) if s.kind is HwKind.SPIKING_CONV]
        state = sum(memory(s.neuron_state_bits, s.neurons, rom=False).bram36 for s in convs)
        bits = sum(s.neuron_state_bits * s.neurons for s in convs)
        print(f"- the neuron state of the {N_CONV} DCLL conv layers alone ({N_CONV} x {convs[0].neurons:,} neurons x "
              f"{convs[0].neuron_state_bits} bits = {bits / 1e6:.2f} Mbit) takes {state:g} BRAM36 "
              f"({100 * state / board.capacity.bram36:.0f} % of {board.capacity.bram36}); the readout layer "
              f"({prior.channels * prior.grid**2 * N_CLASSES:,} {WEIGHT_BITS}-bit weights) "
              f"{unfolded.layers[-1].resources.bram36:g} BRAM36.\n")
    else:
        print(estimate_markdown(folded))
        print(f"\n- {_summary(folded)}")
        print(f"- folding: {fold}\n")

    rows = []
    for c, g, s, t in itertools.product(CHANNELS, GRIDS, STATE_BITS, TIMESTEPS):
        cfg = RadiomlConfig(c, g, s, t)
        rows.append((cfg, *estimates(cfg, board, args.clock_mhz, args.max_fraction)))
    rows.sort(key=lambda row: row[0].size_key, reverse=True)
    print(f"### Variants on {board.name}, largest first (AutoFolding, max_fraction {args.max_fraction:g}; "
          "shares in % of the device; the unfolded latency for comparison)\n")
    print("| config | neurons/layer | fits | LUT % | FF % | BRAM36 % | DSP % | latency us/frame | frames/s "
          "| unfolded latency us/frame |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cfg, unf, est, _ in rows:
        print(f"| {cfg.label} | {cfg.channels * cfg.grid**2:,} | {'yes' if est.fits else 'no'} | {_share(est)} | "
              f"{est.latency_us:,.0f} | {est.fps:,.3g} | {unf.latency_us:,.0f} |")
    fitting = [row for row in rows if row[2].fits]
    if not fitting:
        print("\nNo variant fits.")
    else:
        cfg, _, est, fold = fitting[0]
        print(f"\n### Largest variant that fits: {cfg.label} (AutoFolding)\n")
        print(estimate_markdown(est))
        print(f"\n- {_summary(est)}")
        print(f"- folding: {fold}")
    print(f"\n(estimated {1 + len(rows)} configurations in {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
