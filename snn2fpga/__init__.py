"""snn2fpga: quantized spiking neural networks from PyTorch/Brevitas to QONNX, HLS and PYNQ boards.

One integer semantics everywhere: see :mod:`snn2fpga.semantics`.
"""

from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.export import export

__version__ = "0.1.0"
__all__ = ["SNN2FPGAError", "VerificationError", "__version__", "export", "load_checkpoint", "save_checkpoint"]
