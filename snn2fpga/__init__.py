"""snn2fpga: quantized spiking neural networks from PyTorch/Brevitas to QONNX, HLS and PYNQ boards.

One integer semantics everywhere: see :mod:`snn2fpga.semantics`.
"""

from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.export import export

__version__ = "0.1.0"
__all__ = ["SNN2FPGAError", "VerificationError", "__version__", "export", "import_nir", "load_checkpoint",
           "save_checkpoint"]


def __getattr__(name: str) -> object:
    # snn2fpga.import_nir is loaded on first use: NIR support needs the optional `nir` package
    if name == "import_nir":
        from snn2fpga.nir import import_nir

        return import_nir
    raise AttributeError(f"module 'snn2fpga' has no attribute {name!r}")
