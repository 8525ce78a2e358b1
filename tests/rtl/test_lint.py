"""``verilator --lint-only -Wall`` prints nothing for every MLP-path module in rtl/, at its default
parameters and at corner parameter sets (PE/SIMD = 1, fully parallel, every leak mode, 32-bit state,
one bank). RTL_CONVENTIONS.md: any output is a failure."""

from __future__ import annotations

import subprocess

import pytest

from tests.rtl.harness import RTL_DIR, need_verilator

CORNERS = {
    "snn_lif_neuron": [{}, {"LEAK": 1, "LEAK_SHIFT": 16}, {"LEAK": 2, "BETA_Q": 200, "BETA_FRAC_BITS": 8},
                       {"SPIKING": 0}, {"RESET": 1}, {"STATE_BITS": 32, "ACC_BITS": 34, "LEAK": 2,
                                                      "BETA_Q": 65535, "BETA_FRAC_BITS": 16},
                       {"STATE_BITS": 2, "ACC_BITS": 4, "LEAK": 1, "LEAK_SHIFT": 2}],
    "snn_bank_buffer": [{}, {"VB": 8, "WR_LANES": 4, "WR_WORDS": 3, "RD_LANES": 5, "RD_WORDS": 2, "REPEAT": 3},
                        {"BANKS": 1}, {"BANKS": 3, "WR_LANES": 32, "RD_LANES": 32}, {"RAM": 1},
                        {"RAM": 1, "VB": 8, "WR_LANES": 4, "WR_WORDS": 3, "RD_LANES": 5, "RD_WORDS": 2, "REPEAT": 3},
                        {"RAM": 1, "BANKS": 1, "WR_LANES": 3, "WR_WORDS": 7, "RD_LANES": 7, "RD_WORDS": 3}],
    "snn_spike_unpack": [{}, {"IN": 100, "SIMD": 4}, {"IN": 7, "SIMD": 7, "BANKS": 1}, {"IN": 128, "SIMD": 128}],
    "snn_rate_encoder": [{}, {"IN": 10, "SIMD": 5, "T": 1}, {"IN": 12, "SIMD": 1, "T": 5, "BANKS": 1}],
    "snn_latency_encoder": [{}, {"IN": 10, "SIMD": 5, "T": 1}, {"IN": 12, "SIMD": 1, "T": 1000, "BANKS": 1}],
    "snn_dense_engine": [{}, {"SIMD": 1, "PE": 1}, {"IN": 6, "SIMD": 3, "OUT": 5, "PE": 5, "T": 1}],
    "snn_dense_lif": [{}, {"SIMD": 1, "PE": 1, "LEAK": 1, "LEAK_SHIFT": 3, "RESET": 1},
                      {"IN": 6, "SIMD": 3, "OUT": 10, "PE": 10, "OUT_SIMD": 5, "T": 1, "LEAK": 2, "BETA_Q": 3,
                       "BETA_FRAC_BITS": 2, "OUT_BANKS": 3},
                      {"STATE_BITS": 32, "WEIGHT_BITS": 16, "OUT_SIMD": 32, "OUT_BANKS": 1},
                      {"OUT_RAM": 0, "PE": 8, "OUT_SIMD": 1}],
    "snn_dense_li": [{}, {"SIMD": 1, "PE": 1, "LEAK": 1, "LEAK_SHIFT": 16},
                     {"IN": 6, "SIMD": 3, "OUT": 10, "PE": 10, "T": 1, "LEAK": 2, "BETA_Q": 3, "BETA_FRAC_BITS": 2},
                     {"STATE_BITS": 32, "WEIGHT_BITS": 16, "OUT_BANKS": 1}, {"OUT_RAM": 0}],
}


@pytest.mark.parametrize("top", sorted(CORNERS))
def test_lint_wall_is_silent(top):
    tool = need_verilator()
    for params in CORNERS[top]:
        cmd = [tool, "--lint-only", "-Wall", "--quiet", f"-I{RTL_DIR}", str(RTL_DIR / f"{top}.sv"),
               "--top-module", top, *(f"-G{k}={v}" for k, v in params.items())]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert res.returncode == 0 and not (res.stdout + res.stderr).strip(), (
            f"{top} {params}:\n{res.stdout}{res.stderr}")
