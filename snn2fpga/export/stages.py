"""The stages of an exported network as plain data (torch-free: the graph builder and the build flow
read them; :mod:`snn2fpga.export.layers` finds them in a PyTorch module)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from snn2fpga.semantics.dcll import DCLLParams

if TYPE_CHECKING:  # the PyTorch layers, for annotations only
    from snn2fpga.nn.conv import QuantConv2d
    from snn2fpga.nn.dcll import DCLL
    from snn2fpga.nn.neurons import _NeuronBase
    from snn2fpga.nn.synapse import QuantLinear


class StageKind(StrEnum):
    """What a stage of the exported network does."""

    DENSE = "dense"
    CONV = "conv"
    POOL = "pool"
    FLATTEN = "flatten"


@dataclass
class ExportLayer:
    """One stage of the network with its integer parameters (weights etc. only for DENSE / CONV).

    Attributes:
        name: graph name (layer0, layer1, ... for weighted stages; pool0, flatten0, ...).
        source: module paths in the user's model, for messages.
        in_shape / out_shape: per-sample shapes, (N,) for vectors or (C, H, W) for spike maps.
        weight: int64 [out, in] or [Cout, Cin, K, K]; scale: float64 [out] weight scale per channel.
        threshold: int64 [out] (zeros for the LI readout).
        dcll: the integer DCLL parameters when the neuron is a DCLL layer.
    """

    name: str
    source: str
    kind: StageKind
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    synapse: QuantLinear | QuantConv2d | None = None
    neuron: _NeuronBase | DCLL | None = None
    weight: np.ndarray | None = None
    scale: np.ndarray | None = None
    threshold: np.ndarray | None = None
    dcll: DCLLParams | None = None
    pool: int = 0

    @property
    def weighted(self) -> bool:
        return self.kind in (StageKind.DENSE, StageKind.CONV)

    @property
    def spiking(self) -> bool:
        return self.neuron is not None and self.neuron.spiking
