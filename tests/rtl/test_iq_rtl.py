"""rtl/snn_iq_encoder.sv and rtl/snn_iq_frame_encoder.sv against the I/Q-plane reference
(snn2fpga/semantics/iq.py), compared with ==.

The host words come from the board runtime's own packing (snn2fpga_board.host.pack_inputs, "iq"), so the
test also holds the RTL to the byte order the driver sends; an odd T gets garbage in the ignored bytes.
"""

from __future__ import annotations

import numpy as np
import pytest
from snn2fpga_board.host import pack_inputs

from snn2fpga.semantics.iq import IQ_CODE_MAX, IQ_CODE_MIN, iq_bins, iq_plane_encode
from tests.rtl.conv_harness import build, pack_maps, run_stream

IQ_RUN = [(8, 32)] + [pytest.param(t, g, marks=pytest.mark.slow) for t, g in [(5, 2), (7, 256), (1, 20), (6, 3)]]


@pytest.mark.parametrize(("steps", "grid"), IQ_RUN)
def test_iq_encoder_rtl(steps: int, grid: int) -> None:
    exe = build("snn_iq_encoder", {"T": steps, "G": grid})
    rng = np.random.default_rng(steps * 1000 + grid)
    batch = 4
    codes = rng.integers(IQ_CODE_MIN, IQ_CODE_MAX + 1, size=(batch, steps, 2))
    codes[0, 0] = (IQ_CODE_MIN, IQ_CODE_MAX)  # both ends of the code range
    words = pack_inputs(codes, "iq").astype(np.int64)
    if steps % 2:  # the bytes of the missing timestep are ignored: send garbage there
        words[:, -1] |= rng.integers(1, 1 << 16, size=batch) << 16
    bins = iq_bins(codes, grid)
    expected = [int(v) for v in (bins[:, :, 0] << 8 | bins[:, :, 1]).ravel()]
    for seed, pv, pr in [(1, 100, 100), (2, 40, 60), (3, 90, 20)]:
        run = run_stream(exe, [int(w) for w in words.ravel()], batch * steps, seed=seed, p_valid=pv, p_ready=pr)
        assert run.out == expected, f"seed {seed}"
        if pv == 100 and pr == 100:  # documented: span T + 2, one event per cycle across samples
            assert run.out_cycles[steps - 1] - run.in_cycles[0] + 1 == steps + 2
            assert np.all(np.diff(run.out_cycles) == 1)
            assert run.out_cycles[0] - run.in_cycles[0] == 2


FRAME_RUN = [(3, 6, 4)] + [pytest.param(*c, marks=pytest.mark.slow) for c in [(5, 4, 1), (4, 8, 16), (2, 3, 9)]]


@pytest.mark.parametrize(("steps", "grid", "simd"), FRAME_RUN)
def test_iq_frame_encoder_rtl(steps: int, grid: int, simd: int) -> None:
    exe = build("snn_iq_frame_encoder", {"T": steps, "G": grid, "SIMD": simd})
    rng = np.random.default_rng(steps * 100 + grid + simd)
    batch = 3
    codes = rng.integers(IQ_CODE_MIN, IQ_CODE_MAX + 1, size=(batch, steps, 2))
    codes[0, 0] = (IQ_CODE_MAX, IQ_CODE_MIN)
    words = pack_inputs(codes, "iq").astype(np.int64)
    if steps % 2:
        words[:, -1] |= rng.integers(1, 1 << 16, size=batch) << 16
    frames = iq_plane_encode(codes, grid)  # [T, B, 1, G, G]
    flat = frames.reshape(steps, batch, grid * grid, 1, 1)  # raster pixel index = "channel" of one word row
    expected = pack_maps(flat, simd)
    folds = grid * grid // simd
    for seed, pv, pr in [(1, 100, 100), (2, 40, 60), (3, 90, 20)]:
        run = run_stream(exe, [int(w) for w in words.ravel()], len(expected), seed=seed, p_valid=pv, p_ready=pr)
        assert run.out == expected, f"seed {seed}"
        if pv == 100 and pr == 100:  # documented: span T*G*G/SIMD + 2, one word per cycle across samples
            assert run.out_cycles[steps * folds - 1] - run.in_cycles[0] + 1 == steps * folds + 2
            assert np.all(np.diff(run.out_cycles) == 1)
            assert run.out_cycles[0] - run.in_cycles[0] == 2
