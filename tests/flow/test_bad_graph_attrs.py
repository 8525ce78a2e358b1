"""Issue 11, class 4: custom-op attributes of the wrong type or value in an .onnx given to `build` are named
(exit 2), not read as 0 by qonnx or failing later with a traceback."""

from __future__ import annotations

import onnx
import pytest
from onnx import helper

import snn2fpga
from snn2fpga.cli import main


@pytest.fixture(scope="module")
def exported(tmp_path_factory, small_trained, digits):
    d = tmp_path_factory.mktemp("model")
    snn2fpga.export(small_trained, digits.x_test[:1], d / "m.onnx", verify_inputs=digits.x_test[:4])
    return d / "m.onnx"


def _with_attr(src, dst, op_type, attr):
    model = onnx.load(src)
    node = next(n for n in model.graph.node if n.op_type == op_type)
    kept = [a for a in node.attribute if a.name != attr.name]
    del node.attribute[:]
    node.attribute.extend([*kept, attr])
    onnx.save(model, dst)
    return dst


@pytest.mark.parametrize("attr,needle", [
    (helper.make_attribute("state_bits", 16.5), "attribute state_bits must be an integer, got type float"),
    (helper.make_attribute("state_bits", "16"), "attribute state_bits must be an integer, got type string"),
    (helper.make_attribute("leak", "exponential"), "attribute leak is 'exponential'; allowed:"),
    (helper.make_attribute("reset", 3), "attribute reset must be a string, got type int"),
])
def test_wrong_attribute_is_named(exported, tmp_path, capsys, attr, needle):
    bad = _with_attr(exported, tmp_path / "bad.onnx", "LIF", attr)
    assert main(["build", "--model", str(bad), "-o", str(tmp_path / "b"), "--csim-samples", "4"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
