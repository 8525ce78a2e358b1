"""``verilator --lint-only -Wall`` prints nothing for every conv-path module, over several parameter sets
(the generate branches of each NEURON / folding choice are elaborated)."""

from __future__ import annotations

import subprocess

import pytest

from tests.rtl.conv_harness import RTL_DIR, verilator

LINT_CASES = [
    ("snn_dcll_neuron", {}),
    ("snn_dcll_neuron", {"STATE_BITS": 32, "CUR_BITS": 36, "KQ": 32, "FRAC_BITS": 16, "RHO": 5}),
    ("snn_maxpool_or", {}),
    ("snn_maxpool_or", {"H": 7, "W": 9, "C": 4, "K": 3, "SIMD": 2}),
    ("snn_maxpool_or", {"H": 3, "W": 3, "C": 1, "K": 1, "SIMD": 1}),
    ("snn_conv", {}),
    ("snn_conv", {"NEURON": 1, "H": 7, "W": 5, "CIN": 4, "SIMD": 2, "COUT": 6, "PE": 3, "OUT_SIMD": 2,
                  "STRIDE": 2, "PAD": 0, "T": 3}),
    ("snn_conv", {"K": 1, "PAD": 0, "H": 1, "W": 1, "LEAK": 2, "BETA_Q": 3, "BETA_FRAC_BITS": 2}),
    ("snn_conv_event", {}),
    ("snn_conv_event", {"NEURON": 1, "COUT": 6, "PE": 3, "OUT_SIMD": 2, "STRIDE": 2, "PAD": 0, "T": 3, "H": 8,
                        "W": 6}),
    ("snn_conv_event", {"H": 256, "W": 256, "K": 5, "PAD": 2, "LEAK": 1, "RESET": 1}),
    ("snn_spike_frame", {}),
    ("snn_spike_frame", {"PIX": 5, "COUT": 6, "PE": 2, "OUT_SIMD": 3}),
    ("snn_iq_encoder", {}),
    ("snn_iq_encoder", {"T": 1, "G": 256}),
    ("snn_iq_encoder", {"T": 7, "G": 2}),
    ("snn_iq_frame_encoder", {}),
    ("snn_iq_frame_encoder", {"T": 1, "G": 256, "SIMD": 64}),
    ("snn_iq_frame_encoder", {"T": 7, "G": 2, "SIMD": 4}),
    ("snn_dense_dcll", {}),
    ("snn_dense_dcll", {"IN": 3, "OUT": 2, "SIMD": 1, "PE": 1, "OUT_SIMD": 1, "T": 1}),
]


@pytest.mark.parametrize(("top", "params"), LINT_CASES, ids=lambda x: str(x) if isinstance(x, str) else "")
def test_lint_clean(top: str, params: dict[str, int]) -> None:
    cmd = [verilator(), "--lint-only", "-Wall", "--quiet", f"-I{RTL_DIR}", "--top-module", top,
           *[f"-G{k}={v}" for k, v in params.items()], str(RTL_DIR / f"{top}.sv")]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert res.returncode == 0 and res.stdout == "" and res.stderr == "", res.stdout + res.stderr
