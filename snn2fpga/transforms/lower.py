"""The whole lowering: exported QONNX graph -> hardware graph (abstract hw ops, PE = SIMD = 1)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga.ops  # noqa: F401  (registers the custom ops)
from snn2fpga.transforms.check_lowered import CheckLowered
from snn2fpga.transforms.lower_dense import LowerDenseLayers
from snn2fpga.transforms.lower_input import LowerSpikeInput
from snn2fpga.transforms.lower_maps import LowerFlatten, LowerInputMaps, LowerPooling
from snn2fpga.transforms.lower_readout import LowerSpikeCount


def lower_to_hw(model: ModelWrapper) -> ModelWrapper:
    """Apply the lowering passes in order and check that nothing unmappable is left."""
    passes = (LowerSpikeInput(), LowerDenseLayers(), LowerPooling(), LowerFlatten(), LowerInputMaps(),
              LowerSpikeCount(), CheckLowered())
    for transformation in passes:
        model = model.transform(transformation, make_deepcopy=False, cleanup=False)
    return model
