"""The hardware stages of a model, each read by the facts its node's op class carries.

A hardware node's op_type is a stage kind plus its backend's suffix (``SpikingDense``,
``SpikingDense_hls``, ``SpikingDense_rtl``) and its domain is the backend's (``snn2fpga.ops.hls``).
Its facts are found through qonnx's op registry: the op class registered for (domain, op_type) names
its facts class in ``hw_facts``. So a backend is added by registering its op classes, each with its
facts class, and nothing here changes; a node of a backend nobody registered is an error naming it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from onnx import NodeProto, helper
from qonnx.custom_op.registry import getCustomOp

import snn2fpga.ops  # noqa: F401  (registers the op classes, whose hw_facts this module reads)
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.facts import StageFacts
from snn2fpga.hwir.spec import Backend, HwKind, StageSpec
from snn2fpga.hwir.streams import derive_stream_widths
from snn2fpga.transforms.graph_util import node_attr


def hw_kind(node: NodeProto) -> HwKind | None:
    """The stage of a hardware node (abstract or of any backend), None for any other node."""
    base = node.op_type.partition("_")[0]
    try:
        return HwKind(base)
    except ValueError:
        return None


def node_backend(node: NodeProto) -> Backend:
    """The backend of a hardware node, from its op_type's suffix; an unknown suffix or a domain that is
    not the backend's is an error naming both."""
    suffix = node.op_type.partition("_")[2]
    known = [b for b in Backend if b.suffix == (f"_{suffix}" if suffix else "")]
    if not known:
        raise SNN2FPGAError(
            f"node {node.name} ({node.op_type}): unknown backend {suffix!r}; known backends: "
            f"{', '.join(b.value for b in Backend)} (op_type <Kind> for the abstract op, <Kind>_<backend> otherwise)"
        )
    backend = known[0]
    if node.domain != backend.domain:
        raise SNN2FPGAError(f"node {node.name} ({node.op_type}): a {backend.value} node belongs in domain "
                            f"{backend.domain}, not {node.domain or '(none)'}")
    return backend


def hw_nodes(model: Any) -> list[NodeProto]:
    """The hardware nodes of a ModelWrapper, in graph order."""
    return [n for n in model.graph.node if hw_kind(n) is not None]


@cache
def facts_for(kind: HwKind, backend: Backend) -> StageFacts:
    """The facts of ``kind`` on ``backend``: those of the op class registered for its domain and op_type.

    Cached per (kind, backend): a facts object holds no state, and a folding search asks for it
    thousands of times (a failed lookup is not cached: registering the backend later makes it succeed).
    """
    op_type = backend.op_type(kind)
    try:
        op_class = type(getCustomOp(helper.make_node(op_type, [], [], domain=backend.domain)))
    except KeyError:
        raise SNN2FPGAError(
            f"no {backend.value} backend of {kind.value} is registered: no op {op_type} in domain "
            f"{backend.domain}; import the module that registers it, or specialize to another backend"
        ) from None
    facts = getattr(op_class, "hw_facts", None)
    if not (isinstance(facts, type) and issubclass(facts, StageFacts)) or facts.kind is not kind:
        raise SNN2FPGAError(f"op class {op_class.__name__} ({backend.domain}.{op_type}) must name the facts of "
                            f"a {kind.value} in hw_facts (a StageFacts subclass), got {facts!r}")
    return facts()


def backend_available(kind: HwKind, backend: Backend) -> bool:
    """Whether ``kind`` has a registered ``backend`` op carrying its facts (e.g. to fall back to HLS)."""
    try:
        facts_for(kind, backend)
    except SNN2FPGAError:
        return False
    return True


class NodeAttrs:
    """A node's attributes read from its proto (works for any backend's node without its op class)."""

    def __init__(self, node: NodeProto) -> None:
        self.node = node

    def __call__(self, name: str, default: Any = None) -> Any:
        value = node_attr(self.node, name, default)
        if value is None:
            raise SNN2FPGAError(f"node {self.node.name} ({self.node.op_type}): missing attribute {name}")
        return value

    def ints(self, name: str) -> tuple[int, ...]:
        return tuple(int(d) for d in node_attr(self.node, name, []) or [])


def _consumer_name(model: Any, node: NodeProto) -> str | None:
    if not node.output:
        return None
    consumers = model.find_consumers(node.output[0]) or []
    hw = [c for c in consumers if hw_kind(c) is not None]
    return hw[0].name if hw else None


def read_spec(model: Any, node: NodeProto) -> StageSpec:
    """The stage of one hardware node as its facts read it (stream widths as stored, not derived)."""
    kind = hw_kind(node)
    if kind is None:
        raise SNN2FPGAError(f"node {node.name} ({node.op_type}) is not a hardware stage")
    backend = node_backend(node)
    attr = NodeAttrs(node)
    common = {"name": node.name, "kind": kind, "timesteps": int(attr("T")), "simd": int(attr("SIMD", 1)),
              "consumer": _consumer_name(model, node), "backend": backend}
    return facts_for(kind, backend).read(attr, common)


def stage_specs(model: Any) -> list[StageSpec]:
    """The hardware stages of a model, in graph order, with stream widths derived from the consumers."""
    return derive_stream_widths([read_spec(model, n) for n in hw_nodes(model)])


def stage_spec(model: Any, node: NodeProto) -> StageSpec:
    """The stage of one hardware node of ``model`` (stream widths derived from its neighbours)."""
    for spec in stage_specs(model):
        if spec.name == node.name:
            return spec
    return read_spec(model, node)  # raises for a non-hardware node
