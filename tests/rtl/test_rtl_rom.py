"""snn2fpga/codegen/rtl_rom.py: the ROM layouts, the range checks (one test per error) and the atomic write.

The kernels' Verilator tests (test_dense_rtl.py) load these files, so a wrong layout fails there too;
here the bit positions are checked by hand on small arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from snn2fpga.codegen.rtl_rom import dense_weight_rom, threshold_rom, write_rom
from snn2fpga.errors import SNN2FPGAError


def test_weight_rom_layout_is_lane_major_simd_minor():
    # OUT=4, IN=4, PE=2, SIMD=2, 4-bit: word nf*SF + sf holds W[nf*2 + p][sf*2 + l] at bits (p*2 + l)*4
    w = np.arange(16).reshape(4, 4) - 8  # -8..7
    lines = dense_weight_rom(w, pe=2, simd=2, bits=4)
    assert len(lines) == 4
    for nf in range(2):
        for sf in range(2):
            word = int(lines[nf * 2 + sf], 16)
            for p in range(2):
                for lane in range(2):
                    field = (word >> ((p * 2 + lane) * 4)) & 0xF
                    assert field == int(w[nf * 2 + p, sf * 2 + lane]) & 0xF
    assert all(len(line) == 4 for line in lines)  # 16 bits = 4 hex digits, zero-padded


def test_threshold_rom_layout():
    lines = threshold_rom([1, 2, 3, 127, 5, 6], pe=3, bits=8)
    assert lines == ["030201", "06057f"]


def test_weight_rom_odd_width_pads_to_whole_hex_digits():
    lines = dense_weight_rom(np.array([[-1, 1, -2]]), pe=1, simd=3, bits=3)
    assert lines == [f"{0b110_001_111:03x}"]


@pytest.mark.parametrize(("weights", "kwargs", "message"), [
    (np.full((2, 2), 8), {"pe": 1, "simd": 1, "bits": 4}, r"stage 'fc1': weights range \[8, 8\] does not fit 4-bit"),
    (np.full((2, 2), -9), {"pe": 1, "simd": 1, "bits": 4}, r"weights range \[-9, -9\]"),
    (np.zeros((3, 2)), {"pe": 2, "simd": 1, "bits": 4}, r"PE=2 must divide OUT=3"),
    (np.zeros((2, 3)), {"pe": 1, "simd": 2, "bits": 4}, r"SIMD=2 must divide IN=3"),
    (np.zeros((2, 2)), {"pe": 1, "simd": 1, "bits": 17}, r"weight bits=17 out of range"),
    (np.zeros(4), {"pe": 1, "simd": 1, "bits": 4}, r"weights must be \[OUT, IN\]"),
    (np.full((1, 1), 0.5), {"pe": 1, "simd": 1, "bits": 4}, r"weights must be integers"),
])
def test_weight_rom_errors_name_the_stage_and_problem(weights, kwargs, message):
    with pytest.raises(SNN2FPGAError, match=message):
        dense_weight_rom(weights, stage="fc1", **kwargs)


@pytest.mark.parametrize(("theta", "kwargs", "message"), [
    ([128], {"pe": 1, "bits": 8}, r"stage 'fc1': thresholds range \[128, 128\] does not fit 8-bit"),
    ([1, 2, 3], {"pe": 2, "bits": 8}, r"PE=2 must divide the 3 thresholds"),
    ([1], {"pe": 1, "bits": 33}, r"state bits=33 out of range"),
])
def test_threshold_rom_errors_name_the_stage_and_problem(theta, kwargs, message):
    with pytest.raises(SNN2FPGAError, match=message):
        threshold_rom(theta, stage="fc1", **kwargs)


def test_write_rom_is_atomic_and_one_word_per_line(tmp_path):
    path = write_rom(tmp_path / "sub" / "w.mem", ["0a", "ff"])
    assert path.read_text() == "0a\nff\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["w.mem"]  # no temporary file left behind
