"""snn2fpga_board: run a network built by snn2fpga on a PYNQ board, or emulated anywhere.

Needs numpy only (and pynq on a board): it imports neither torch, brevitas, qonnx, onnx nor snn2fpga,
so the deploy folder's copy of this package runs on the board's own Python. Typical use::

    from snn2fpga_board import SNNOverlay
    snn = SNNOverlay(".")            # the deploy folder; the board if found, else the C-simulation
    snn.check_golden()               # {"samples": ..., "mismatches": 0, ...}
    snn.classify(x)                  # x: features of the model's input shape in [0, 1] (I/Q models: a frame [T, 2])

The host protocol (quantization, word packing) is in :mod:`snn2fpga_board.host`, the deploy folder
layout in :mod:`snn2fpga_board.deploy`.
"""

from snn2fpga_board.csim import CSimLibrary, CSimResult
from snn2fpga_board.deploy import DeployInfo, GoldenVectors, InputSpec, IQSpec, OutputSpec, load_deploy
from snn2fpga_board.devices import Device, EmulatedDevice, PynqDevice, open_device
from snn2fpga_board.errors import DeployError
from snn2fpga_board.host import iq_codes, iq_frames, pack_inputs, quantize_input, unpack_outputs
from snn2fpga_board.overlay import RunResult, SNNOverlay

__version__ = "0.1.0"
__all__ = [
    "CSimLibrary", "CSimResult", "DeployError", "DeployInfo", "Device", "EmulatedDevice", "GoldenVectors",
    "IQSpec", "InputSpec", "OutputSpec", "PynqDevice", "RunResult", "SNNOverlay", "__version__", "iq_codes",
    "iq_frames", "load_deploy", "open_device", "pack_inputs", "quantize_input", "unpack_outputs",
]
