"""Bit-width design-space sweeps: train, export, estimate and C-simulate one point per configuration; on a local
process pool or a Ray cluster, as a full grid or an Optuna multi-objective search, with results in a database."""

from snn2fpga.sweep.engines import EngineKind, RayResources
from snn2fpga.sweep.points import SweepPoint, run_point
from snn2fpga.sweep.runner import SweepConfig, run_sweep
from snn2fpga.sweep.search import Objective, SearchConfig, run_search
from snn2fpga.sweep.store import SweepStore

__all__ = ["EngineKind", "Objective", "RayResources", "SearchConfig", "SweepConfig", "SweepPoint", "SweepStore",
           "run_point", "run_search", "run_sweep"]
