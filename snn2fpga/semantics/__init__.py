"""The integer reference of every neuron model and encoder: the contract all stages reproduce.

Everything here is numpy int64 (no floats), so it is exact for any state width up to 32 bits.
"""

from snn2fpga.semantics.encoders import (
    INPUT_BITS,
    INPUT_MAX,
    EncoderKind,
    encode,
    latency_encode,
    quantize_input,
    rate_encode,
    rate_thresholds,
)
from snn2fpga.semantics.neuron import (
    LeakMode,
    NeuronParams,
    NeuronTrace,
    ResetMode,
    dense_currents,
    leak,
    predict,
    run_neurons,
)

__all__ = [
    "INPUT_BITS",
    "INPUT_MAX",
    "EncoderKind",
    "LeakMode",
    "NeuronParams",
    "NeuronTrace",
    "ResetMode",
    "dense_currents",
    "encode",
    "latency_encode",
    "leak",
    "predict",
    "quantize_input",
    "rate_encode",
    "rate_thresholds",
    "run_neurons",
]
