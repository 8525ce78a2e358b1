"""Parsers of the Vitis HLS and Vivado reports, on fixture reports in the tools' formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.flow.reports import (
    HLSSynthReport,
    VivadoTiming,
    VivadoUtilization,
    find_hls_report,
    parse_hls_report,
    parse_timing_summary,
    parse_utilization,
)

FIX = Path(__file__).parent / "fixtures"


def test_csynth_xml_of_a_dataflow_top():
    rep = parse_hls_report(FIX / "csynth_pynq_z2.xml")
    assert rep == HLSSynthReport(
        top="snn_top", part="xc7z020-clg400-1", target_clock_ns=10.0, estimated_clock_ns=7.268,
        latency_best_cycles=1234, latency_worst_cycles=567890, interval_min_cycles=1180,
        interval_max_cycles=567836, lut=12873, ff=8412, bram18=37, dsp=0, uram=0,
    )
    assert rep.bram36 == 18.5
    d = rep.to_dict()
    assert d["bram36"] == 18.5 and d["lut"] == 12873 and d["latency_worst_cycles"] == 567890
    assert d["fmax_mhz"] == round(1000 / 7.268, 3)


def test_csynth_xml_with_undefined_latency_and_dsp48e():
    rep = parse_hls_report(FIX / "csynth_undef_latency.xml")
    assert (rep.latency_best_cycles, rep.latency_worst_cycles) == (None, None)
    assert (rep.interval_min_cycles, rep.interval_max_cycles) == (None, None)
    assert (rep.dsp, rep.uram, rep.bram18, rep.lut, rep.ff) == (4, 2, 9, 31402, 20511)
    assert rep.part == "xck26-sfvc784-2LV-c" and rep.target_clock_ns == 5.0


def test_find_hls_report_prefers_csynth_xml(tmp_path):
    report_dir = tmp_path / "syn" / "report"
    report_dir.mkdir(parents=True)
    with pytest.raises(SNN2FPGAError, match="no HLS synthesis report"):
        find_hls_report(tmp_path)
    shutil.copy(FIX / "csynth_undef_latency.xml", report_dir / "snn_top_csynth.xml")
    assert find_hls_report(tmp_path) == report_dir / "snn_top_csynth.xml"
    shutil.copy(FIX / "csynth_pynq_z2.xml", report_dir / "csynth.xml")
    assert find_hls_report(tmp_path) == report_dir / "csynth.xml"


@pytest.mark.parametrize("content, message", [
    ("<profile><AreaEstimates>", "not valid XML"),
    ("this is a log, not a report", "not valid XML"),
    ("<profile><PerformanceEstimates/></profile>", "no AreaEstimates/Resources"),
    ("<profile><PerformanceEstimates><SummaryOfTimingAnalysis><EstimatedClockPeriod>5</EstimatedClockPeriod>"
     "</SummaryOfTimingAnalysis></PerformanceEstimates><AreaEstimates><Resources><LUT>1</LUT><FF>2</FF>"
     "<DSP>0</DSP></Resources></AreaEstimates></profile>", "no BRAM_18K"),
    ("<profile><PerformanceEstimates><SummaryOfTimingAnalysis><EstimatedClockPeriod>5</EstimatedClockPeriod>"
     "</SummaryOfTimingAnalysis></PerformanceEstimates><AreaEstimates><Resources><LUT>many</LUT></Resources>"
     "</AreaEstimates></profile>", "LUT is 'many'"),
    ("<profile><PerformanceEstimates><SummaryOfTimingAnalysis><EstimatedClockPeriod>-</EstimatedClockPeriod>"
     "</SummaryOfTimingAnalysis></PerformanceEstimates><AreaEstimates><Resources><LUT>1</LUT><FF>2</FF>"
     "<DSP>0</DSP><BRAM_18K>0</BRAM_18K></Resources></AreaEstimates></profile>", "EstimatedClockPeriod is '-'"),
])
def test_garbled_csynth_xml_raises(tmp_path, content, message):
    path = tmp_path / "csynth.xml"
    path.write_text(content)
    with pytest.raises(SNN2FPGAError, match=message) as err:
        parse_hls_report(path)
    assert str(path) in str(err.value)


def test_missing_reports_raise(tmp_path):
    for parse in (parse_hls_report, parse_utilization, parse_timing_summary):
        with pytest.raises(SNN2FPGAError, match="not found"):
            parse(tmp_path / "nothing.rpt")


def test_utilization_7series():
    util = parse_utilization(FIX / "utilization_pynq_z2.rpt")
    assert util == VivadoUtilization(lut=15407, ff=11932, bram36=20.5, dsp=3, uram=0)
    assert util.to_dict() == {"lut": 15407, "ff": 11932, "bram36": 20.5, "dsp": 3, "uram": 0}


def test_utilization_ultrascale_plus():
    # "CLB LUTs*" (LUT combining footnote), fractional BRAM tiles, no URAM row on xczu3eg
    assert parse_utilization(FIX / "utilization_ultra96.rpt") == VivadoUtilization(
        lut=20943, ff=26405, bram36=40.5, dsp=8, uram=0)


def test_utilization_with_uram_row(tmp_path):
    text = (FIX / "utilization_ultra96.rpt").read_text().replace(
        "+-------------------+------+-------+------------+-----------+-------+\n* Note",
        "| URAM              |    3 |     0 |          0 |        96 |  3.13 |\n"
        "+-------------------+------+-------+------------+-----------+-------+\n* Note")
    path = tmp_path / "util.rpt"
    path.write_text(text)
    assert parse_utilization(path).uram == 3


@pytest.mark.parametrize("content, message", [
    ("Utilization Design Information\n(nothing here)\n", "no 'Slice LUTs' / 'CLB LUTs' row"),
    ("| Slice LUTs | 10 | 0 |\n| Slice Registers | 20 | 0 |\n| Block RAM Tile | 1 | 0 |\n", "no 'DSPs' row"),
    ("| Slice LUTs | lots | 0 |\n| Slice Registers | 20 | 0 |\n| Block RAM Tile | 1 | 0 |\n| DSPs | 0 | 0 |\n",
     "'Slice LUTs' used is 'lots'"),
])
def test_garbled_utilization_raises(tmp_path, content, message):
    path = tmp_path / "util.rpt"
    path.write_text(content)
    with pytest.raises(SNN2FPGAError, match=message):
        parse_utilization(path)


def test_timing_met():
    timing = parse_timing_summary(FIX / "timing_summary_met.rpt")
    assert timing == VivadoTiming(wns_ns=1.482, tns_ns=0.0, whs_ns=0.021, ths_ns=0.0)
    assert timing.met is True
    assert timing.to_dict()["met"] is True


def test_timing_violated():
    timing = parse_timing_summary(FIX / "timing_summary_violated.rpt")
    assert (timing.wns_ns, timing.tns_ns, timing.whs_ns) == (-0.734, -41.265, 0.018)
    assert timing.met is False


def test_timing_unconstrained_design(tmp_path):
    text = (FIX / "timing_summary_met.rpt").read_text().replace(
        "      1.482        0.000                      0                31877        0.021        0.000",
        "        inf        0.000                      0                    0          inf        0.000")
    path = tmp_path / "t.rpt"
    path.write_text(text)
    timing = parse_timing_summary(path)
    assert (timing.wns_ns, timing.whs_ns) == (None, None) and timing.met


@pytest.mark.parametrize("content, message", [
    ("Timing Summary Report\nno table\n", "no 'Design Timing Summary' section"),
    ("| Design Timing Summary\n| ---------------------\n\n    WNS(ns)      TNS(ns)\n    -------      -------\n\n",
     "no value row"),
    ("| Design Timing Summary\n    WNS(ns)      TNS(ns)  a  b  WHS(ns)  THS(ns)\n    -------\n"
     "    fast  0.0  0  1  0.1  0.0\n", "WNS is 'fast'"),
])
def test_garbled_timing_summary_raises(tmp_path, content, message):
    path = tmp_path / "t.rpt"
    path.write_text(content)
    with pytest.raises(SNN2FPGAError, match=message):
        parse_timing_summary(path)
