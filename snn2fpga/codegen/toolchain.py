"""Find the C++ toolchain for C-simulation: g++ and the arbitrary-precision (ap_int) headers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from snn2fpga.errors import SNN2FPGAError

CXXFLAGS = ("-std=c++14", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas")


def find_ap_types() -> Path:
    """``$XILINX_HLS/include`` when Vitis HLS is installed, else the ap_types that hls4ml ships.

    hls4ml is located without importing it (its import is slow and pulls in heavy dependencies).
    """
    xilinx = os.environ.get("XILINX_HLS")
    if xilinx and (Path(xilinx) / "include" / "ap_int.h").is_file():
        return Path(xilinx) / "include"
    spec = importlib.util.find_spec("hls4ml")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        cand = Path(loc) / "templates" / "vivado" / "ap_types"
        if (cand / "ap_int.h").is_file():
            return cand
    raise SNN2FPGAError(
        "no ap_int.h for C-simulation: install the hls4ml package (`pip install hls4ml`, it ships the "
        "ap_types headers) or set XILINX_HLS to a Vitis HLS installation"
    )


def find_cxx() -> str:
    """The C++ compiler ($CXX, else g++)."""
    cxx = os.environ.get("CXX", "g++")
    if shutil.which(cxx) is None:
        raise SNN2FPGAError(f"C++ compiler '{cxx}' not found: install g++ (e.g. `apt-get install g++`) or set CXX")
    return cxx


def compiler_version(cxx: str) -> str:
    """First line of ``cxx --version`` (part of the C-simulation cache key)."""
    out = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()[0] if out.stdout else cxx
