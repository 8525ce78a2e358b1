"""Board definitions: every board file has its part, PS and capacity; unknown boards fail clearly."""

from __future__ import annotations

import json

import pytest

from snn2fpga.boards import BOARDS_DIR, Board, Capacity, PsKind, list_boards, load_board
from snn2fpga.errors import SNN2FPGAError

EXPECTED = {
    "pynq-z1": ("xc7z020clg400-1", PsKind.PS7, Capacity(53200, 106400, 140, 220)),
    "pynq-z2": ("xc7z020clg400-1", PsKind.PS7, Capacity(53200, 106400, 140, 220)),
    "ultra96-v2": ("xczu3eg-sbva484-1-e", PsKind.ZYNQ_ULTRA_PS_E, Capacity(70560, 141120, 216, 360)),
    "zcu104": ("xczu7ev-ffvc1156-2-e", PsKind.ZYNQ_ULTRA_PS_E, Capacity(230400, 460800, 312, 1728)),
    "kv260": ("xck26-sfvc784-2LV-c", PsKind.ZYNQ_ULTRA_PS_E, Capacity(117120, 234240, 144, 1248)),
}


def test_all_boards_listed():
    assert set(EXPECTED) <= set(list_boards())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_board_has_part_ps_and_capacity(name):
    board = load_board(name)
    part, ps, capacity = EXPECTED[name]
    assert isinstance(board, Board)
    assert board.name == name
    assert board.part == part
    assert board.ps is ps
    assert board.capacity == capacity
    assert board.clock_mhz == 100
    assert board.board_part.count(":") == 3
    assert board.pmbus_power == (name == "zcu104")
    raw = json.loads((BOARDS_DIR / f"{name}.json").read_text())
    assert raw["part"] == part and raw["ps"] == ps.value


def test_unknown_board_lists_known_boards():
    with pytest.raises(SNN2FPGAError) as err:
        load_board("arty-a7")
    message = str(err.value)
    assert "arty-a7" in message
    for name in EXPECTED:
        assert name in message
