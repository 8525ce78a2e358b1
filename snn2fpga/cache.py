"""Where snn2fpga keeps what it can recompute (compiled C-simulation libraries, QONNX references)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path


def cache_root() -> Path:
    """snn2fpga's cache folder ($SNN2FPGA_CACHE, else ~/.cache/snn2fpga)."""
    env = os.environ.get("SNN2FPGA_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "snn2fpga"


def cached_file(kind: str, digest: str, name: str, build: Callable[[Path], Path]) -> Path:
    """The cache entry ``<cache_root>/<kind>/<digest[:24]>/<name>``, built once: ``build(entry_dir)`` makes a
    temporary file inside ``entry_dir`` (and anything that belongs beside it) and returns its path, which is
    then renamed into place. A file lock lets concurrent builds of the same entry wait for the first one."""
    out_dir = cache_root() / kind / digest[:24]
    target = out_dir / name
    if target.is_file():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            build(out_dir).replace(target)
    return target
