"""Training: surrogate-gradient BPTT, post-training quantization, state calibration."""

from snn2fpga.train.bptt import EpochResult, TrainConfig, evaluate, train_bptt
from snn2fpga.train.calibrate import StateCalibration, calibrate_state
from snn2fpga.train.ptq import quantize_post_training

__all__ = [
    "EpochResult",
    "StateCalibration",
    "TrainConfig",
    "calibrate_state",
    "evaluate",
    "quantize_post_training",
    "train_bptt",
]
