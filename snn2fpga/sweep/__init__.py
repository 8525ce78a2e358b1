"""Bit-width design-space sweeps: train, export, estimate and C-simulate one point per configuration."""

from snn2fpga.sweep.points import SweepPoint, run_point
from snn2fpga.sweep.runner import SweepConfig, run_sweep

__all__ = ["SweepConfig", "SweepPoint", "run_point", "run_sweep"]
