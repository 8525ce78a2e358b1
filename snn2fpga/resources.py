"""Where the package data lives: kernels (hls/, rtl/), TCL templates and board definitions (build_flows/),
the demo notebook, and the board runtime, reached through importlib.resources so that an installed wheel
finds them as well as a source checkout (where ``snn2fpga/_data/*`` are links to the top-level folders)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _path(package: str, *parts: str) -> Path:
    # snn2fpga is installed as files (never zipped: g++ and Vivado read these), so the Traversable is a Path
    return Path(str(files(package).joinpath(*parts)))


def data_dir(name: str) -> Path:
    """A folder of snn2fpga's package data: ``hls``, ``rtl``, ``build_flows`` or ``notebooks``."""
    return _path("snn2fpga", "_data", name)


HLS_KERNEL_DIR = data_dir("hls")
RTL_KERNEL_DIR = data_dir("rtl")
TCL_TEMPLATES_DIR = data_dir("build_flows") / "templates"
BOARDS_DIR = data_dir("build_flows") / "boards"
NOTEBOOK = data_dir("notebooks") / "snn2fpga_demo.ipynb"
CODEGEN_TEMPLATES_DIR = _path("snn2fpga", "codegen", "templates")


def board_runtime_dir() -> Path:
    """The torch-free board runtime package (snn2fpga_board), copied into every deploy package."""
    return _path("snn2fpga_board")
