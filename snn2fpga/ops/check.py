"""Check the snn2fpga custom-op attributes of a graph read from a file: type and allowed values.

qonnx reads an attribute through the member its declared type names (``attr.i`` for an int), so a FLOAT
``state_bits = 16.5`` would silently read as 0; a graph that did not come from our exporter is checked here,
at the boundary, and a wrong attribute is named instead of failing later (or at g++).
"""

from __future__ import annotations

from typing import Any

from onnx import AttributeProto
from qonnx.custom_op.registry import getCustomOp

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.ops import DOMAIN

_ONNX_TYPES = {"i": AttributeProto.INT, "f": AttributeProto.FLOAT, "s": AttributeProto.STRING,
               "ints": AttributeProto.INTS, "floats": AttributeProto.FLOATS, "strings": AttributeProto.STRINGS,
               "t": AttributeProto.TENSOR}
_TYPE_NAMES = {"i": "an integer", "f": "a number", "s": "a string", "ints": "a list of integers",
               "floats": "a list of numbers", "strings": "a list of strings", "t": "a tensor"}


def check_custom_op_attributes(model: Any, source: str) -> None:
    """Raise SNN2FPGAError naming the node and attribute when an snn2fpga op's attribute has the wrong type,
    a value outside its allowed set, or a required attribute is missing."""
    for node in model.graph.node:
        if node.domain != DOMAIN:
            continue
        try:
            op = getCustomOp(node)
        except Exception as exc:  # an unknown op_type in our domain
            raise SNN2FPGAError(f"{source}: node {node.name} has the unknown snn2fpga op {node.op_type} "
                                f"({exc})") from None
        types = op.get_nodeattr_types()
        present = {a.name: a for a in node.attribute}
        for name, spec in types.items():
            dtype, required = spec[0], spec[1]
            allowed = spec[3] if len(spec) > 3 else None
            attr = present.get(name)
            where = f"{source}: node {node.name} ({node.op_type}) attribute {name}"
            if attr is None:
                if required:
                    raise SNN2FPGAError(f"{where} is missing; export the model with snn2fpga")
                continue
            if attr.type != _ONNX_TYPES.get(dtype, attr.type):
                got = AttributeProto.AttributeType.Name(attr.type).lower()
                raise SNN2FPGAError(f"{where} must be {_TYPE_NAMES.get(dtype, dtype)}, got type {got}")
            if allowed is not None:
                value = _raw(attr, dtype)
                if value not in allowed:
                    raise SNN2FPGAError(f"{where} is {value!r}; allowed: {', '.join(map(str, sorted(allowed)))}")


def _raw(attr: Any, dtype: str) -> Any:
    value = getattr(attr, dtype)
    return value.decode("utf-8", "replace") if dtype == "s" else value
