"""rtl/snn_iq_encoder.sv against the I/Q-plane reference (snn2fpga/semantics/iq.py), compared with ==.

The host words come from the board runtime's own packing (snn2fpga_board.host.pack_inputs, "iq"), so the
test also holds the RTL to the byte order the driver sends; an odd T gets garbage in the ignored bytes.
"""

from __future__ import annotations

import numpy as np
import pytest
from snn2fpga_board.host import pack_inputs

from snn2fpga.semantics.iq import IQ_CODE_MAX, IQ_CODE_MIN, iq_bins
from tests.rtl.conv_harness import build, run_stream


@pytest.mark.parametrize(("steps", "grid"), [(8, 32), (5, 2), (7, 256), (1, 20), (6, 3)])
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
