"""The cycle model of the spike-map stages equals the loop iterations the C-simulation counts.

Generates the HLS project of small folded designs (every map kernel: iq_encoder, conv_event_neuron,
conv_neuron, maxpool_or, dense_dcll, dense_li; a rate encoder feeding a strided LIF conv), compiles the
C-simulation library (cached) and compares ``snn_cycle_counter`` per stage with :func:`stage_cycles`.
"""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.codegen.csim import CSimLibrary, compile_csim
from snn2fpga.codegen.generate import generate_project
from snn2fpga.estimate.cycles import stage_cycles
from snn2fpga.hwir.graph import stage_specs
from snn2fpga.transforms.folding import ApplyFoldingConfig
from tests.estimate import make_map_model

DESIGNS = {
    "iq-dcll": (
        [("conv", 8, 5, 1, 2), ("conv", 6, 3, 1, 1), ("pool", 2), ("conv", 4, 3, 2, 1), ("dense", 6), ("dense", 3)],
        {"maps": (1, 16, 16), "input_kind": "iq", "neuron": "dcll", "timesteps": 5},
        {"layer0": {"PE": 2}, "layer1": {"PE": 3, "SIMD": 4}, "pool2": {"SIMD": 3}, "layer3": {"PE": 2},
         "layer4": {"PE": 3, "SIMD": 2}, "layer5": {"SIMD": 3}},
    ),
    "rate-lif": (
        [("conv", 4, 3, 2, 1), ("pool", 2), ("conv", 6, 1, 1, 0), ("dense", 3)],
        {"maps": (1, 9, 9), "input_kind": "rate", "neuron": "lif", "timesteps": 4},
        {"layer0": {"PE": 2}, "pool1": {"SIMD": 2}, "layer2": {"PE": 3, "SIMD": 2}, "layer3": {"PE": 3, "SIMD": 6}},
    ),
}


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_cycle_model_equals_csim_counters(design, tmp_path):
    ops, kwargs, folding = DESIGNS[design]
    model = make_map_model(ops, hls=True, **kwargs).transform(ApplyFoldingConfig(folding))
    project = generate_project(model, tmp_path)
    lib = CSimLibrary(compile_csim(project.hls_dir))
    samples = 2
    words = np.random.default_rng(0).integers(0, 2**32, size=(samples, lib.in_words), dtype=np.uint64)
    result = lib.run(words.astype(np.uint32), with_taps=False)
    counted = [int(c) // samples for c in result.stage_cycles]
    assert counted == [stage_cycles(spec).per_sample for spec in stage_specs(model)]
