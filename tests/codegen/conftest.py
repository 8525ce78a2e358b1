"""Fixtures: exported graphs lowered to hardware (cheap), shared by the codegen tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import SpecializeLayers


def hw_graph(onnx_path: Path, folding: dict[str, dict[str, int]] | None = None) -> ModelWrapper:
    """Lower + fold (a config, or PE = SIMD = 1) + specialize an exported graph."""
    from snn2fpga.transforms.folding import ApplyFoldingConfig

    model = lower_to_hw(ModelWrapper(str(onnx_path)))
    if folding:
        model = model.transform(ApplyFoldingConfig(folding))
    return model.transform(SpecializeLayers())


@pytest.fixture(scope="session")
def digits_onnx(small_trained, digits, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "digits.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], path, verify_inputs=digits.x_test[:20])
    return path
