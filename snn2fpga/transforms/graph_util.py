"""Small graph helpers shared by the lowering passes."""

from __future__ import annotations

from typing import Any

from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.errors import SNN2FPGAError


def node_attr(node: NodeProto, name: str, default: Any = None) -> Any:
    """An attribute's value (strings decoded), or ``default`` when absent; read from the proto, so it
    works for any node (abstract, ``_hls`` or standard) without its CustomOp class."""
    from onnx import helper

    for attr in node.attribute:
        if attr.name == name:
            value = helper.get_attribute_value(attr)
            return value.decode() if isinstance(value, bytes) else value
    return default


def base_name(node: NodeProto, suffix: str) -> str:
    """``layer0_matmul`` -> ``layer0`` (the stable layer name exported graphs use)."""
    return node.name[: -len(suffix)] if node.name.endswith(suffix) else node.name


def single_producer(model: ModelWrapper, tensor: str, consumer: NodeProto, expected: str) -> NodeProto:
    """The node producing ``tensor``; a clear error when it is missing or of the wrong type."""
    prod = model.find_producer(tensor)
    if prod is None or prod.op_type != expected:
        found = "a graph input or initializer" if prod is None else f"{prod.op_type} node '{prod.name}'"
        raise SNN2FPGAError(
            f"node '{consumer.name}' ({consumer.op_type}) cannot be lowered: its input '{tensor}' must come from "
            f"a {expected} node (the pattern `snn2fpga export` emits), found {found}"
        )
    return prod


def remove_initializer(model: ModelWrapper, name: str) -> None:
    """Drop an initializer (and its value_info) that no node uses any more."""
    graph = model.graph
    for init in list(graph.initializer):
        if init.name == name:
            graph.initializer.remove(init)
    for vi in list(graph.value_info):
        if vi.name == name:
            graph.value_info.remove(vi)
