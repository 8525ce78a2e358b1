"""Analytical estimates of the hardware design: cycles and resources (each stage's facts), reports."""

from snn2fpga.estimate.cycles import host_words, node_cycles, stage_cycles
from snn2fpga.estimate.report import Estimate, LayerEstimate, estimate_model, write_estimate_reports
from snn2fpga.estimate.resources import stage_resources, total_resources

__all__ = [
    "Estimate",
    "LayerEstimate",
    "estimate_model",
    "host_words",
    "node_cycles",
    "stage_cycles",
    "stage_resources",
    "total_resources",
    "write_estimate_reports",
]
