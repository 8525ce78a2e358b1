"""Where snn2fpga keeps what it can recompute (compiled C-simulation libraries, QONNX references)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """snn2fpga's cache folder ($SNN2FPGA_CACHE, else ~/.cache/snn2fpga)."""
    env = os.environ.get("SNN2FPGA_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "snn2fpga"
