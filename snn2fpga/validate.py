"""Range checks of numeric options at the boundary (CLI and API): the message names the option, the value
and the range, so a bad value ends with exit code 2 instead of a traceback (or silently wrong work)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from snn2fpga.errors import SNN2FPGAError


def check_int(name: str, value: int | None, lo: int, hi: int | None = None, hint: str = "") -> None:
    """``value`` (when given) must be an integer in [lo, hi] (hi None: no upper bound)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise SNN2FPGAError(f"{name} must be an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise SNN2FPGAError(f"{name} {value} is out of range: use {rng}" + (f" ({hint})" if hint else ""))


def check_ints(name: str, values: Iterable[int] | None, lo: int, hi: int | None = None) -> None:
    for v in values or ():
        check_int(name, v, lo, hi)


def check_float(name: str, value: float | None, lo: float, hi: float = math.inf, lo_open: bool = False,
                hint: str = "") -> None:
    """``value`` (when given) must be a finite number in [lo, hi] ((lo, hi] when ``lo_open``)."""
    if value is None:
        return
    ok = isinstance(value, int | float) and math.isfinite(value) and value <= hi and (
        value > lo if lo_open else value >= lo)
    if not ok:
        left = f"> {lo:g}" if lo_open else f">= {lo:g}"
        rng = left if hi == math.inf else f"{left} and <= {hi:g}"
        raise SNN2FPGAError(f"{name} {value!r} is out of range: it must be {rng}" + (f" ({hint})" if hint else ""))
