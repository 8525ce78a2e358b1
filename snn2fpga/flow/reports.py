"""Read the reports of the Xilinx tools: Vitis HLS' csynth.xml and Vivado's utilization and timing summary.

- ``<proj>/solution1/syn/report/csynth.xml`` (or ``<top>_csynth.xml``): the HLS estimate of the
  top: resources (LUT, FF, BRAM_18K, DSP, URAM) and latency in clock cycles.
- ``report_utilization`` text tables: "Slice LUTs" / "CLB LUTs", "Slice Registers" / "CLB Registers",
  "Block RAM Tile" (36-Kbit tiles, may be fractional: a RAMB18 is half a tile), "URAM", "DSPs".
- ``report_timing_summary``: the "Design Timing Summary" table; WNS < 0 means timing is not met.

A missing or unreadable report raises SNN2FPGAError naming the file and what was wrong.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError


@dataclass(frozen=True)
class HLSSynthReport:
    """The Vitis HLS synthesis estimate of the top function.

    Attributes:
        top: top function name; part: target part (as HLS writes it).
        target_clock_ns / estimated_clock_ns: requested and estimated clock period, ns.
        latency_best_cycles / latency_worst_cycles: latency of one call, clock cycles (None: "undef",
            when HLS cannot bound a loop).
        interval_min_cycles / interval_max_cycles: initiation interval of the top, cycles (None: undef).
        lut, ff, bram18, dsp, uram: resource estimate (BRAM in 18-Kbit blocks).
    """

    top: str | None
    part: str | None
    target_clock_ns: float | None
    estimated_clock_ns: float
    latency_best_cycles: int | None
    latency_worst_cycles: int | None
    interval_min_cycles: int | None
    interval_max_cycles: int | None
    lut: int
    ff: int
    bram18: int
    dsp: int
    uram: int

    @property
    def bram36(self) -> float:
        """BRAM in 36-Kbit tiles (two 18-Kbit blocks per tile), the unit of the board capacity."""
        return self.bram18 / 2

    @property
    def fmax_mhz(self) -> float:
        """Clock frequency the estimated period allows, MHz."""
        return 1000.0 / self.estimated_clock_ns

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bram36": self.bram36, "fmax_mhz": round(self.fmax_mhz, 3)}


@dataclass(frozen=True)
class VivadoUtilization:
    """Resources used after implementation (``report_utilization``): LUTs, flip-flops, 36-Kbit BRAM
    tiles (fractional when RAMB18s are used), UltraRAMs, DSP slices."""

    lut: int
    ff: int
    bram36: float
    dsp: int
    uram: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VivadoTiming:
    """Timing after implementation (``report_timing_summary``), ns. None: no constrained path ("inf")."""

    wns_ns: float | None
    tns_ns: float | None
    whs_ns: float | None
    ths_ns: float | None

    @property
    def met(self) -> bool:
        """Setup and hold timing met: worst slacks are not negative."""
        return all(v is None or v >= 0 for v in (self.wns_ns, self.whs_ns))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


def _read(path: Path, what: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise SNN2FPGAError(f"{what} not found: {path} (did the tool run to the end? see its log)")
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SNN2FPGAError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


# --- Vitis HLS ---------------------------------------------------------------------------------------

def find_hls_report(solution_dir: Path, top: str = "snn_top") -> Path:
    """The synthesis report of a solution: ``syn/report/csynth.xml``, else ``syn/report/<top>_csynth.xml``."""
    report_dir = Path(solution_dir) / "syn" / "report"
    for cand in (report_dir / "csynth.xml", report_dir / f"{top}_csynth.xml"):
        if cand.is_file():
            return cand
    raise SNN2FPGAError(f"no HLS synthesis report (csynth.xml) in {report_dir}: did csynth_design finish? "
                        "see the vitis_hls log")


def _text(root: ET.Element, xpath: str) -> str | None:
    node = root.find(xpath)
    return node.text.strip() if node is not None and node.text is not None else None


def _cycles(root: ET.Element, xpath: str, path: Path) -> int | None:
    text = _text(root, xpath)
    if text is None or text.lower() == "undef":
        return None
    try:
        return int(text)
    except ValueError:
        raise SNN2FPGAError(f"HLS report {path}: {xpath} is {text!r}, not a cycle count") from None


def _float(text: str | None, what: str, path: Path) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise SNN2FPGAError(f"HLS report {path}: {what} is {text!r}, not a positive number")
    return value


def parse_hls_report(path: Path) -> HLSSynthReport:
    """Parse a Vitis HLS ``csynth.xml`` (the ``<profile>`` document) into an HLSSynthReport."""
    path = Path(path)
    text = _read(path, "HLS synthesis report")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SNN2FPGAError(f"HLS report {path} is not valid XML ({exc}): delete it and run vitis_hls again") from None
    resources = root.find("./AreaEstimates/Resources")
    if resources is None or root.find("./PerformanceEstimates") is None:
        raise SNN2FPGAError(f"HLS report {path} has no AreaEstimates/Resources or PerformanceEstimates: "
                            "is it a csynth.xml of Vitis HLS?")
    res = {child.tag: (child.text or "").strip() for child in resources}

    def count(*tags: str, required: bool = True) -> int:
        for tag in tags:
            if tag in res:
                try:
                    return int(res[tag])
                except ValueError:
                    raise SNN2FPGAError(f"HLS report {path}: {tag} is {res[tag]!r}, not a count") from None
        if required:
            raise SNN2FPGAError(f"HLS report {path} lists no {' / '.join(tags)} in AreaEstimates/Resources")
        return 0

    target = _text(root, "./UserAssignments/TargetClockPeriod")
    perf = "./PerformanceEstimates/SummaryOfOverallLatency/"
    return HLSSynthReport(
        top=_text(root, "./UserAssignments/TopModelName"),
        part=_text(root, "./UserAssignments/Part"),
        target_clock_ns=_float(target, "TargetClockPeriod", path) if target is not None else None,
        estimated_clock_ns=_float(_text(root, "./PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"),
                                  "EstimatedClockPeriod", path),
        latency_best_cycles=_cycles(root, perf + "Best-caseLatency", path),
        latency_worst_cycles=_cycles(root, perf + "Worst-caseLatency", path),
        interval_min_cycles=_cycles(root, perf + "Interval-min", path),
        interval_max_cycles=_cycles(root, perf + "Interval-max", path),
        lut=count("LUT"), ff=count("FF"), bram18=count("BRAM_18K"), dsp=count("DSP", "DSP48E"),
        uram=count("URAM", required=False),
    )


# --- Vivado --------------------------------------------------------------------------------------------

_UTIL_ROWS: dict[str, tuple[str, ...]] = {
    "lut": ("Slice LUTs", "CLB LUTs"),
    "ff": ("Slice Registers", "CLB Registers"),
    "bram36": ("Block RAM Tile",),
    "dsp": ("DSPs",),
    "uram": ("URAM",),
}
_OPTIONAL_ROWS = frozenset({"uram"})  # parts without UltraRAM (all Zynq-7000, small ZU+) have no row


def _table_rows(text: str) -> dict[str, str]:
    """First "Used" cell of every ``| Site Type | Used | ...`` row, keyed by the site type (no trailing ``*``)."""
    rows: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().split("|")]
        if len(cells) >= 4 and cells[0] == "" and cells[1]:
            rows.setdefault(cells[1].rstrip("*").strip(), cells[2])
    return rows


def parse_utilization(path: Path) -> VivadoUtilization:
    """Parse a flat ``report_utilization`` text report (7-series "Slice ..." or UltraScale+ "CLB ..." rows)."""
    path = Path(path)
    rows = _table_rows(_read(path, "Vivado utilization report"))
    values: dict[str, float] = {}
    for key, labels in _UTIL_ROWS.items():
        label = next((lbl for lbl in labels if lbl in rows), None)
        if label is None:
            if key in _OPTIONAL_ROWS:
                values[key] = 0.0
                continue
            raise SNN2FPGAError(f"Vivado utilization report {path} has no {' / '.join(repr(lb) for lb in labels)} "
                                "row: is it the output of report_utilization?")
        try:
            values[key] = float(rows[label])
        except ValueError:
            raise SNN2FPGAError(f"Vivado utilization report {path}: {label!r} used is {rows[label]!r}, "
                                "not a number") from None
    return VivadoUtilization(lut=int(values["lut"]), ff=int(values["ff"]), bram36=values["bram36"],
                             dsp=int(values["dsp"]), uram=int(values["uram"]))


_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")


def _slack(token: str, what: str, path: Path) -> float | None:
    if token.lower() in ("inf", "-inf", "na"):
        return None
    if not _NUMBER.match(token):
        raise SNN2FPGAError(f"Vivado timing summary {path}: {what} is {token!r}, not a number of ns")
    return float(token)


def parse_timing_summary(path: Path) -> VivadoTiming:
    """Parse the "Design Timing Summary" table of a ``report_timing_summary`` text report.

    The table's header row starts ``WNS(ns) TNS(ns) ...`` and its value row (after a dashed row)
    holds WNS, TNS, TNS failing endpoints, TNS total endpoints, WHS, THS, ...
    """
    path = Path(path)
    lines = _read(path, "Vivado timing summary").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "| Design Timing Summary"), None)
    if start is None:
        raise SNN2FPGAError(f"Vivado timing summary {path} has no 'Design Timing Summary' section: is it the "
                            "output of report_timing_summary?")
    header = next((i for i in range(start + 1, min(start + 15, len(lines)))
                   if lines[i].split()[:2] == ["WNS(ns)", "TNS(ns)"]), None)
    values = next((lines[i].split() for i in range(header + 1, min(header + 5, len(lines)))
                   if lines[i].strip() and set(lines[i].strip()) - set("- ")), None) if header is not None else None
    if values is None or len(values) < 6:
        raise SNN2FPGAError(f"Vivado timing summary {path}: the Design Timing Summary table has no value row "
                            "(WNS, TNS, ..., WHS, THS)")
    return VivadoTiming(wns_ns=_slack(values[0], "WNS", path), tns_ns=_slack(values[1], "TNS", path),
                        whs_ns=_slack(values[4], "WHS", path), ths_ns=_slack(values[5], "THS", path))
