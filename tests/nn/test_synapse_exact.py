"""The integer path's float type: exact sums on the CPU, float64 (then rounding) on a GPU."""

from __future__ import annotations

import torch

from snn2fpga.nn.synapse import exact_float_dtype


def test_exact_float_dtype():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert exact_float_dtype(100, cpu) is torch.float32
    assert exact_float_dtype((1 << 24) - 1, cpu) is torch.float32
    assert exact_float_dtype(1 << 24, cpu) is torch.float64
    # cuDNN may pick TF32 or FFT/Winograd convolutions: never float32 on a GPU
    assert exact_float_dtype(100, gpu) is torch.float64
