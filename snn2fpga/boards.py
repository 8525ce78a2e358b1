"""Board facts as data: part, PS IP, capacity and default clock, read from ``build_flows/boards/*.json``.

One JSON file per board (DESIGN.md section 2, "board facts are data in build_flows/, not code")::

    {"name": "pynq-z2", "part": "xc7z020clg400-1", "board_part": "tul.com.tw:pynq-z2:part0:1.0",
     "ps": "ps7", "capacity": {"lut": 53200, "ff": 106400, "bram36": 140, "dsp": 220},
     "clock_mhz": 100, "pmbus_power": false}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError

BOARDS_DIR = Path(__file__).resolve().parents[1] / "build_flows" / "boards"


class PsKind(StrEnum):
    """The processing-system IP of the block design."""

    PS7 = "ps7"  # Zynq-7000
    ZYNQ_ULTRA_PS_E = "zynq_ultra_ps_e"  # Zynq UltraScale+ MPSoC


@dataclass(frozen=True)
class Capacity:
    """Programmable-logic resources of the part (counts of LUT6, flip-flops, 36-Kbit BRAMs, DSP slices)."""

    lut: int
    ff: int
    bram36: int
    dsp: int


@dataclass(frozen=True)
class Board:
    """One supported board.

    Attributes:
        name: the board's name on the command line (``pynq-z2``).
        part: the FPGA part number given to Vitis HLS / Vivado.
        board_part: the Vivado board preset (vendor:board:part0:version).
        ps: which processing-system IP the block design instantiates.
        capacity: resources of the part.
        clock_mhz: default fabric clock of the accelerator, MHz.
        pmbus_power: whether the board's PMBus power rails can be read at run time.
    """

    name: str
    part: str
    board_part: str
    ps: PsKind
    capacity: Capacity
    clock_mhz: float
    pmbus_power: bool


def list_boards() -> list[str]:
    """Names of the boards with a definition file, sorted."""
    return sorted(p.stem for p in BOARDS_DIR.glob("*.json"))


def load_board(name: str) -> Board:
    """Read the definition of board ``name``; an unknown name raises an error listing the known boards."""
    path = BOARDS_DIR / f"{name}.json"
    if not path.is_file():
        raise SNN2FPGAError(f"unknown board {name!r}: known boards are {', '.join(list_boards())}")
    try:
        data = json.loads(path.read_text())
        return _board_from_dict(data)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SNN2FPGAError(f"board file {path} is malformed: {exc!r}") from exc


def _board_from_dict(data: dict[str, Any]) -> Board:
    cap = data["capacity"]
    return Board(
        name=str(data["name"]),
        part=str(data["part"]),
        board_part=str(data["board_part"]),
        ps=PsKind(data["ps"]),
        capacity=Capacity(lut=int(cap["lut"]), ff=int(cap["ff"]), bram36=int(cap["bram36"]), dsp=int(cap["dsp"])),
        clock_mhz=float(data["clock_mhz"]),
        pmbus_power=bool(data["pmbus_power"]),
    )
