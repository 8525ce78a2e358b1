"""snn2fpga: quantized spiking neural networks from PyTorch/Brevitas to QONNX, HLS and PYNQ boards.

One integer semantics everywhere: see :mod:`snn2fpga.semantics`.

The names below that need torch (the exporter, checkpoints) or an optional package (NIR import) are
imported on first use, so that the torch-free parts (building an exported ``.onnx``, the CLI's
``build``/``run``) never load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from snn2fpga.errors import SNN2FPGAError, VerificationError

__version__ = "0.1.0"
__all__ = ["SNN2FPGAError", "VerificationError", "__version__", "export", "import_nir", "load_checkpoint",
           "save_checkpoint"]

# name -> module it comes from (import_nir needs the optional `nir` package)
_LAZY = {"export": "snn2fpga.export.api", "load_checkpoint": "snn2fpga.checkpoint",
         "save_checkpoint": "snn2fpga.checkpoint", "import_nir": "snn2fpga.nir"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
