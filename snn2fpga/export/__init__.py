"""Export to QONNX with custom ops for the neuron updates, verified against PyTorch."""

from snn2fpga.export.api import ExportResult, export
from snn2fpga.export.graph import build_graph, read_meta, set_batch
from snn2fpga.export.layers import collect_layers
from snn2fpga.export.verify import VerifyReport, run_graph, verify_graph

__all__ = [
    "ExportResult",
    "VerifyReport",
    "build_graph",
    "collect_layers",
    "export",
    "read_meta",
    "run_graph",
    "set_batch",
    "verify_graph",
]
