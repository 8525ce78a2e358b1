"""Brevitas-based quantized spiking layers (training side)."""

from snn2fpga.nn.model import EncoderConfig, ModelSpec, Readout, SNNClassifier, lif_mlp_spec
from snn2fpga.nn.neurons import IF, LI, LIF, LayerTrace
from snn2fpga.nn.synapse import IntCurrent, QuantLinear

__all__ = [
    "IF",
    "LI",
    "LIF",
    "EncoderConfig",
    "IntCurrent",
    "LayerTrace",
    "ModelSpec",
    "QuantLinear",
    "Readout",
    "SNNClassifier",
    "lif_mlp_spec",
]
