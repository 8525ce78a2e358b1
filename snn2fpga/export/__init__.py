"""Export to QONNX with custom ops for the neuron updates, verified against PyTorch.

The graph format (:mod:`.graph`) and its execution (:mod:`.execute`) are torch-free, so that building
an exported ``.onnx`` never imports torch; the exporter and its verification (which run the PyTorch
model) are imported on first use of their names.

``snn2fpga.export(...)`` is the public exporter, but once this sub-package is imported Python binds
the name ``snn2fpga.export`` to the package itself; the package is therefore callable and forwards
the call to :func:`snn2fpga.export.api.export`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from snn2fpga.export.execute import execute_graph, run_graph
from snn2fpga.export.graph import build_graph, read_meta, set_batch

# name -> submodule, imported on first access (PEP 562): these pull in torch and brevitas
_LAZY = {
    "ExportResult": "api",
    "export": "api",
    "collect_layers": "layers",
    "VerifyReport": "verify",
    "verify_graph": "verify",
}

__all__ = [
    "ExportResult",
    "VerifyReport",
    "build_graph",
    "collect_layers",
    "execute_graph",
    "export",
    "read_meta",
    "run_graph",
    "set_batch",
    "verify_graph",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _CallablePackage(types.ModuleType):
    """This package, callable as the exporter (see the module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return __getattr__("export")(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
