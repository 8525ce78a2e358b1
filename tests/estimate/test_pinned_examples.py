"""Estimates, cycle counts and AutoFolding choices of the shipped example models, pinned as numbers.

These figures were recorded before the hardware ops took over their own facts (cycles, resources,
legal foldings) from the switch chains of ``estimate`` and ``transforms.folding``; any change to a
formula, a folding move or the order of the build steps that moves one of them fails here. Folding
before or after SpecializeLayers must give the same design (the HLS backend's facts are the abstract
op's).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.estimate.report import estimate_model
from snn2fpga.transforms.folding import AutoFolding, folding_config
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import SpecializeLayers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# (name, op_type, PE, SIMD, OUT_SIMD, lut, ff, bram36, dsp, cycles/timestep, cycles/sample) per layer
DIGITS_B05 = [
    ("input", "SpikeInput", 1, 64, 1, 2949, 758, 0.0, 0, 1, 32),
    ("layer0", "SpikingDense", 16, 64, 128, 12984, 4262, 0.0, 0, 10, 160),
    ("layer1", "DenseReadout", 2, 128, 1, 2950, 1134, 0.0, 0, 6, 106),
]
CNN_B05 = [
    ("input", "SpikeInput", 1, 1, 1, 406, 183, 0.0, 0, 784, 6468),
    ("layer0", "SpikingConv", 16, 1, 16, 2835, 1023, 7.5, 0, 21168, 169344),
    ("pool1", "SpikePool", 1, 16, 16, 216, 198, 0.0, 0, 784, 6272),
    ("layer1", "SpikingConv", 8, 16, 8, 2291, 949, 11.5, 0, 20580, 164640),
    ("pool3", "SpikePool", 1, 8, 8, 207, 205, 0.0, 0, 784, 6272),
    ("layer2", "DenseReadout", 1, 8, 1, 307, 220, 2.0, 0, 2156, 17258),
]
MLP_B02 = [
    ("input", "SpikeInput", 1, 7, 1, 888, 189, 0.0, 0, 112, 1988),
    ("layer0", "SpikingDense", 16, 7, 128, 3892, 1462, 45.5, 0, 3700, 59200),
    ("layer1", "SpikingDense", 2, 128, 2, 2370, 1020, 14.5, 0, 644, 10304),
    ("layer2", "DenseReadout", 1, 2, 1, 387, 209, 0.0, 0, 1408, 22538),
]
CASES = {
    # example: (budget, layers, (lut, ff, bram36, dsp, II, latency, bottleneck))
    "digits-lif-mlp": (0.5, DIGITS_B05, (19483, 7054, 0.0, 0, 160, 167, "layer0")),
    "fmnist-lif-cnn": (0.5, CNN_B05, (6862, 3678, 21.0, 0, 169344, 194432, "layer0")),
    "fmnist-lif-mlp": (0.2, MLP_B02, (8137, 3780, 60.0, 0, 59200, 61364, "layer0")),
}


def _rows(est) -> list[tuple]:
    return [(la.name, la.op_type, la.pe, la.simd, la.out_simd, la.resources.lut, la.resources.ff,
             la.resources.bram36, la.resources.dsp, la.cycles.per_timestep, la.cycles.per_sample)
            for la in est.layers]


@pytest.mark.parametrize("specialize_first", [True, False])
@pytest.mark.parametrize("example", sorted(CASES))
def test_autofolded_example_estimates_are_pinned(example, specialize_first):
    budget, layers, totals = CASES[example]
    model = lower_to_hw(ModelWrapper(str(EXAMPLES / f"{example}.onnx")))
    fold = AutoFolding("pynq-z2", max_fraction=budget)
    model = (model.transform(SpecializeLayers()).transform(fold) if specialize_first
             else model.transform(fold).transform(SpecializeLayers()))
    est = estimate_model(model, "pynq-z2")
    assert _rows(est) == layers
    assert (est.lut, est.ff, est.bram36, est.dsp, est.ii_cycles, est.latency_cycles, est.bottleneck) == totals
    assert folding_config(model) == {
        name: ({"PE": pe, "SIMD": simd} if op in ("SpikingDense", "DenseReadout", "SpikingConv") else {"SIMD": simd})
        for name, op, pe, simd, *_ in layers
    }


def test_unfolded_cnn_cycles_are_pinned():
    """PE = SIMD = 1 everywhere: the cycle counts of every stage kind of the CNN, and the zcu104 totals."""
    model = lower_to_hw(ModelWrapper(str(EXAMPLES / "fmnist-lif-cnn.onnx")))
    est = estimate_model(model, "zcu104")
    assert [(la.cycles.per_timestep, la.cycles.per_sample) for la in est.layers] == [
        (784, 6468), (326928, 2615424), (12544, 100352), (2518208, 20145664), (6272, 50176), (17248, 137994),
    ]
    assert (est.lut, est.ff, est.bram36, est.ii_cycles, est.latency_cycles) == (3084, 2178, 14.0, 20145664, 20509440)
