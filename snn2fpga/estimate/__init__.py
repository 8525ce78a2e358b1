"""Analytical estimates of the hardware design: cycles (exactly the kernels' model), resources, reports."""

from snn2fpga.estimate.cycles import (
    NodeCycles,
    StageSpec,
    check_specs,
    host_words,
    node_cycles,
    stage_cycles,
    stage_specs,
)
from snn2fpga.estimate.report import Estimate, LayerEstimate, estimate_model, write_estimate_reports
from snn2fpga.estimate.resources import Resources, stage_resources

__all__ = [
    "Estimate",
    "LayerEstimate",
    "NodeCycles",
    "Resources",
    "StageSpec",
    "check_specs",
    "estimate_model",
    "host_words",
    "node_cycles",
    "stage_cycles",
    "stage_resources",
    "stage_specs",
    "write_estimate_reports",
]
