"""State calibration: how wide must each membrane register be on real data?

Following the prior RadioML study, the range is measured on a data set and a margin is added.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from snn2fpga.nn import SNNClassifier
from snn2fpga.nn.dcll import DCLL
from snn2fpga.nn.neurons import _NeuronBase
from snn2fpga.semantics.neuron import MAX_STATE_BITS

MEASURE_STATE_BITS = MAX_STATE_BITS


@dataclass
class StateCalibration:
    """Calibration result of one neuron layer.

    Attributes:
        layer: index of the layer in model.layers.
        name: layer class name.
        state_bits: configured membrane width.
        max_abs: largest |V| demanded on the data with a 32-bit (unsaturated) state.
        saturations: clamps counted with the configured ``state_bits`` on the same data.
        required_bits: smallest width holding max_abs * (1 + margin) and the threshold.
    """

    layer: int
    name: str
    state_bits: int
    max_abs: int
    saturations: int
    required_bits: int

    def to_dict(self) -> dict[str, int | str]:
        return dict(self.__dict__)


def bits_for(magnitude: int) -> int:
    """Smallest signed width whose range holds +-magnitude (at least 2)."""
    return max(2, int(magnitude).bit_length() + 1)


def _run_traces(model: SNNClassifier, x: np.ndarray, batch_size: int) -> dict[int, tuple[int, int]]:
    """Per neuron layer index: (max |V|, saturation count) over x."""
    stats: dict[int, tuple[int, int]] = {}
    model.eval()
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            model(x[i : i + batch_size])
            for idx, layer in enumerate(model.layers):
                if isinstance(layer, (_NeuronBase, DCLL)) and layer.last_trace is not None:
                    m, s = stats.get(idx, (0, 0))
                    tr = layer.last_trace
                    stats[idx] = (max(m, int(tr.v_absmax.max(initial=0))), s + int(tr.saturations.sum()))
    return stats


def calibrate_state(
    model: SNNClassifier, x: np.ndarray, margin: float = 0.1, batch_size: int = 500
) -> list[StateCalibration]:
    """Measure each neuron layer's membrane range on ``x`` and the state width it needs."""
    wide_spec = copy.deepcopy(model.spec)
    for layer in wide_spec.layers:
        if layer["type"] in ("lif", "if", "li", "dcll"):
            layer["state_bits"] = MEASURE_STATE_BITS
    wide = SNNClassifier(wide_spec).to(model.device)
    wide.load_state_dict(model.state_dict())
    wide_stats = _run_traces(wide, x, batch_size)
    real_stats = _run_traces(model, x, batch_size)
    out = []
    for idx, (max_abs, _) in sorted(wide_stats.items()):
        layer = model.layers[idx]
        need = bits_for(math.ceil(max_abs * (1.0 + margin)))
        if isinstance(layer, DCLL):
            _, scale = layer.synapse.integer_weight()
            theta, _ = layer.integer_params(scale)
            need = max(need, bits_for(int(np.abs(theta).max())))
        elif layer.spiking:
            syn = model.layers[idx - 1]
            _, scale = syn.integer_weight()  # type: ignore[operator]
            need = max(need, bits_for(int(layer.integer_thresholds(scale).max())))
        out.append(
            StateCalibration(idx, type(layer).__name__, layer.params.state_bits, max_abs,  # type: ignore[union-attr]
                             real_stats[idx][1], need)
        )
    return out
