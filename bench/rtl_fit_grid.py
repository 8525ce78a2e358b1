"""The configurations bench/rtl_fit.py synthesizes: a grid per RTL module kind and a few held-out points.

``stage_job(kind, point, rng)`` gives the StageSpec whose fit terms describe the point, the module, its
parameters and its ROM files (random integers drawn from ``rng``). Grids stay small (the whole fit runs in
about 20-30 minutes of one core); held-out points lie between and beside the grid points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snn2fpga.codegen.rtl_rom import conv_weight_rom, dense_weight_rom, threshold_rom
from snn2fpga.hwir.spec import Backend, HwKind, InputKind, StageSpec
from snn2fpga.semantics.neuron import LeakMode

Point = dict[str, int]
NEURON_DEFAULTS = {"NEURON": 0, "LEAK": 1, "LEAK_SHIFT": 3, "BETA_Q": 0, "BETA_FRAC_BITS": 1, "RESET": 0,
                   "KQ": 1, "KP": 1, "KR": 1, "RHO": 0, "FRAC_BITS": 0}


def _d(n_in: int, n_out: int, pe: int, simd: int, wb: int, sb: int) -> Point:
    return {"IN": n_in, "OUT": n_out, "PE": pe, "SIMD": simd, "WEIGHT_BITS": wb, "STATE_BITS": sb}


def _c(h: int, cin: int, cout: int, k: int, pe: int, simd: int, wb: int = 4, sb: int = 16, out_simd: int = 1,
       pad: int = 1) -> Point:
    return {"H": h, "W": h, "CIN": cin, "COUT": cout, "K": k, "STRIDE": 1, "PAD": pad, "PE": pe, "SIMD": simd,
            "OUT_SIMD": out_simd, "WEIGHT_BITS": wb, "STATE_BITS": sb}


GRIDS: dict[str, list[Point]] = {
    # the dense grid of the first fit (unchanged, so its syntheses are cache hits)
    "dense": [_d(64, 32, 1, 8, 4, 16), _d(64, 32, 2, 8, 4, 16), _d(64, 32, 4, 8, 4, 16), _d(64, 32, 4, 16, 4, 16),
              _d(64, 32, 4, 8, 2, 16), _d(64, 32, 4, 8, 8, 16), _d(64, 32, 4, 8, 4, 24), _d(128, 64, 8, 16, 4, 16),
              _d(64, 32, 8, 32, 4, 12), _d(32, 16, 2, 4, 6, 20)],
    "conv": [_c(8, 2, 4, 3, 1, 1), _c(8, 2, 4, 3, 2, 2), _c(8, 4, 8, 3, 4, 2), _c(8, 4, 8, 3, 2, 4, wb=2),
             _c(6, 4, 8, 3, 8, 4, sb=12), _c(12, 2, 4, 3, 4, 1, out_simd=2), _c(8, 8, 8, 3, 2, 8, sb=20),
             _c(8, 2, 8, 5, 2, 2, pad=2),
             # the sizes of the Fashion-MNIST CNN's two convolutions (28x28x1 -> 16 and 14x14x16 -> 32, 5x5)
             _c(28, 1, 16, 5, 16, 1, out_simd=16, pad=2), _c(14, 16, 32, 5, 8, 16, out_simd=8, pad=2)],
    "conv_event": [_c(8, 1, 4, 3, 1, 1), _c(8, 1, 8, 3, 2, 1), _c(8, 1, 8, 3, 4, 1, sb=12), _c(16, 1, 4, 3, 4, 1),
                   _c(8, 1, 16, 3, 8, 1, wb=6), _c(12, 1, 8, 5, 2, 1, pad=2)],
    "pool": [{"H": 8, "W": 8, "C": 8, "K": 2, "SIMD": 1}, {"H": 8, "W": 8, "C": 8, "K": 2, "SIMD": 4},
             {"H": 8, "W": 8, "C": 8, "K": 2, "SIMD": 8}, {"H": 16, "W": 16, "C": 8, "K": 2, "SIMD": 2},
             {"H": 8, "W": 8, "C": 16, "K": 2, "SIMD": 4}, {"H": 12, "W": 12, "C": 4, "K": 3, "SIMD": 2},
             {"H": 16, "W": 16, "C": 16, "K": 2, "SIMD": 16}],
    "counter": [{"C": 10, "SIMD": 1, "T": 8}, {"C": 10, "SIMD": 2, "T": 16}, {"C": 10, "SIMD": 5, "T": 32},
                {"C": 32, "SIMD": 4, "T": 8}, {"C": 64, "SIMD": 8, "T": 16}, {"C": 16, "SIMD": 16, "T": 64}],
    "rate": [{"IN": 64, "SIMD": 1, "T": 8}, {"IN": 64, "SIMD": 4, "T": 8}, {"IN": 64, "SIMD": 16, "T": 16},
             {"IN": 256, "SIMD": 8, "T": 8}, {"IN": 128, "SIMD": 32, "T": 8}, {"IN": 32, "SIMD": 2, "T": 32}],
    "latency": [{"IN": 64, "SIMD": 1, "T": 8}, {"IN": 64, "SIMD": 4, "T": 8}, {"IN": 64, "SIMD": 16, "T": 16},
                {"IN": 256, "SIMD": 8, "T": 8}, {"IN": 128, "SIMD": 32, "T": 8}, {"IN": 32, "SIMD": 2, "T": 32}],
    "unpack": [{"IN": 64, "SIMD": 1, "T": 8}, {"IN": 64, "SIMD": 8, "T": 8}, {"IN": 128, "SIMD": 16, "T": 8},
               {"IN": 256, "SIMD": 4, "T": 8}, {"IN": 96, "SIMD": 32, "T": 8}],
    "iq_event": [{"T": 16, "G": 16}, {"T": 16, "G": 32}, {"T": 64, "G": 32}, {"T": 32, "G": 8}],
    "iq_frame": [{"T": 16, "G": 8, "SIMD": 1}, {"T": 16, "G": 8, "SIMD": 4}, {"T": 16, "G": 16, "SIMD": 8},
                 {"T": 32, "G": 16, "SIMD": 2}, {"T": 8, "G": 32, "SIMD": 16}],
}
HOLDOUT: dict[str, list[Point]] = {
    "dense": [_d(64, 16, 2, 16, 4, 16), _d(96, 24, 3, 12, 5, 18)],
    "conv": [_c(10, 4, 8, 3, 2, 2), _c(8, 4, 4, 3, 4, 4, sb=14)],
    "conv_event": [_c(10, 1, 8, 3, 2, 1), _c(8, 1, 12, 3, 4, 1, sb=14)],
    "pool": [{"H": 8, "W": 8, "C": 12, "K": 2, "SIMD": 4}, {"H": 10, "W": 10, "C": 8, "K": 2, "SIMD": 2}],
    "counter": [{"C": 20, "SIMD": 4, "T": 16}, {"C": 48, "SIMD": 2, "T": 8}],
    "rate": [{"IN": 96, "SIMD": 8, "T": 16}, {"IN": 192, "SIMD": 4, "T": 8}],
    "latency": [{"IN": 96, "SIMD": 8, "T": 16}, {"IN": 192, "SIMD": 4, "T": 8}],
    "unpack": [{"IN": 192, "SIMD": 8, "T": 8}, {"IN": 64, "SIMD": 4, "T": 8}],
    "iq_event": [{"T": 8, "G": 16}, {"T": 32, "G": 64}],
    "iq_frame": [{"T": 16, "G": 8, "SIMD": 2}, {"T": 16, "G": 16, "SIMD": 4}],
}
MODULES = {"dense": "snn_dense_lif", "conv": "snn_conv", "conv_event": "snn_conv_event",
           "pool": "snn_maxpool_or", "counter": "snn_spike_counter", "rate": "snn_rate_encoder",
           "latency": "snn_latency_encoder", "unpack": "snn_spike_unpack", "iq_event": "snn_iq_encoder",
           "iq_frame": "snn_iq_frame_encoder"}
INPUT_KINDS = {"rate": InputKind.RATE, "latency": InputKind.LATENCY, "unpack": InputKind.SPIKES}
T_LAYERS = 8


def _weights(rng: np.random.Generator, wb: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), size=shape)


def stage_job(kind: str, p: Point, rng: np.random.Generator
              ) -> tuple[StageSpec, str, dict[str, int | str], list[tuple[str, list[str]]]]:
    """(spec, module, parameters, [(ROM file name, lines)]) of one configuration of ``kind``."""
    module = MODULES[kind]
    rtl = {"name": "s", "timesteps": T_LAYERS, "backend": Backend.RTL}
    if kind == "dense":  # the draws in the first fit's order: weights, then thresholds
        w = _weights(rng, p["WEIGHT_BITS"], (p["OUT"], p["IN"]))
        theta = rng.integers(1, 1 << (p["STATE_BITS"] - 2), size=p["OUT"])
        spec = StageSpec(kind=HwKind.SPIKING_DENSE, n_in=p["IN"], n_out=p["OUT"], pe=p["PE"], simd=p["SIMD"],
                         weight_bits=p["WEIGHT_BITS"], state_bits=p["STATE_BITS"], leak=LeakMode.SHIFT, **rtl)
        params: dict[str, Any] = {**p, "OUT_SIMD": 1, "T": T_LAYERS, "LEAK": 1, "LEAK_SHIFT": 3,
                                  "WEIGHTS_FILE": "w.mem", "THRESHOLDS_FILE": "t.mem"}
        roms = [("w.mem", dense_weight_rom(w, p["PE"], p["SIMD"], p["WEIGHT_BITS"])),
                ("t.mem", threshold_rom(theta, p["PE"], p["STATE_BITS"]))]
        return spec, module, params, roms
    if kind in ("conv", "conv_event"):
        event = kind == "conv_event"
        w = _weights(rng, p["WEIGHT_BITS"], (p["COUT"], p["CIN"], p["K"], p["K"]))
        theta = rng.integers(1, 1 << (p["STATE_BITS"] - 2), size=p["COUT"])
        spec = StageSpec(kind=HwKind.SPIKING_CONV, n_in=p["CIN"], n_out=p["COUT"], pe=p["PE"], simd=p["SIMD"],
                         out_simd=p["OUT_SIMD"], weight_bits=p["WEIGHT_BITS"], state_bits=p["STATE_BITS"],
                         leak=LeakMode.SHIFT, maps=(p["CIN"], p["H"], p["W"]), kernel=p["K"], stride=p["STRIDE"],
                         pad=p["PAD"], event=event, **rtl)
        params = {k: v for k, v in p.items() if not (event and k in ("CIN", "SIMD"))}
        params.update(T=T_LAYERS, **NEURON_DEFAULTS, WEIGHTS_FILE="w.mem", THRESHOLDS_FILE="t.mem")
        roms = [("w.mem", conv_weight_rom(w, p["PE"], 1 if event else p["SIMD"], p["WEIGHT_BITS"])),
                ("t.mem", threshold_rom(theta, p["PE"], p["STATE_BITS"]))]
        return spec, module, params, roms
    if kind == "pool":
        spec = StageSpec(kind=HwKind.SPIKE_POOL, n_in=p["C"], n_out=p["C"], simd=p["SIMD"], out_simd=p["SIMD"],
                         maps=(p["C"], p["H"], p["W"]), kernel=p["K"], stride=p["K"], **rtl)
        return spec, module, dict(p), []
    if kind == "counter":
        spec = StageSpec(kind=HwKind.SPIKE_COUNTER, n_in=p["C"], n_out=p["C"], simd=p["SIMD"],
                         **{**rtl, "timesteps": p["T"]})
        return spec, module, dict(p), []
    if kind in ("iq_event", "iq_frame"):
        g = p["G"]
        spec = StageSpec(kind=HwKind.SPIKE_INPUT, n_in=g * g, n_out=g * g, simd=p.get("SIMD", 1),
                         input_kind=InputKind.IQ, grid=g, event=kind == "iq_event", **{**rtl, "timesteps": p["T"]})
        return spec, module, dict(p), []
    spec = StageSpec(kind=HwKind.SPIKE_INPUT, n_in=p["IN"], n_out=p["IN"], simd=p["SIMD"],
                     input_kind=INPUT_KINDS[kind], **{**rtl, "timesteps": p["T"]})
    params = {"IN": p["IN"], "SIMD": p["SIMD"]} | ({} if kind == "unpack" else {"T": p["T"]})
    if kind == "rate":
        params["SEED"] = 12345
    return spec, module, params, []
