"""Reading a NIR graph and putting its nodes in order: the chain from its Input to its Output.

The graphs users have are not always well typed: snnTorch 1.0.0 writes the sample's batch dimension
into the Input type and leaves its neuron nodes untyped, so :func:`read_graph` never asks ``nir`` to
type-check and the importer infers every shape from the weights instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.semantics import NIRRefusal


def _nir() -> Any:
    try:
        import nir
    except ImportError:
        raise SNN2FPGAError("NIR support needs the `nir` package: pip install 'snn2fpga[nir]' "
                            "(or pip install nir==1.0.8)") from None
    return nir


def read_graph(source: Any) -> Any:
    """A NIR graph from a ``nir.NIRGraph`` or a ``.nir`` (HDF5) file, without nir's type check."""
    nir = _nir()
    if isinstance(source, nir.NIRGraph):
        return source
    if isinstance(source, nir.NIRNode):
        raise SNN2FPGAError(f"expected a NIR graph, got a single {type(source).__name__} node; wrap it with "
                            "nir.NIRGraph.from_list(nir.Input(...), node, nir.Output(...))")
    path = Path(source)
    if not path.is_file():
        raise SNN2FPGAError(f"NIR file not found: {path}. Write one with nir.write(path, graph)")
    try:
        return nir.read(path, type_check=False)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SNN2FPGAError(f"{path} is not a readable NIR graph (nir.read failed: {exc}); it must be an HDF5 file "
                            "written by nir.write") from None


def node_kind(node: Any) -> str:
    """The NIR type name of a node (LIF, Linear, ...)."""
    return type(node).__name__


def ordered_chain(graph: Any) -> list[tuple[str, Any]]:
    """The nodes from the one Input to the one Output, in order; refuses branches, cycles and subgraphs."""
    nir = _nir()
    nodes: dict[str, Any] = dict(graph.nodes)
    for name, node in nodes.items():
        if isinstance(node, nir.NIRGraph):
            raise NIRRefusal(name, "NIRGraph", "a nested subgraph (snnTorch writes RLeaky/RSynaptic this way: a "
                             "recurrent layer); only feed-forward chains map onto our layers")
    inputs = [n for n, v in nodes.items() if isinstance(v, nir.Input)]
    outputs = [n for n, v in nodes.items() if isinstance(v, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise SNN2FPGAError(f"the NIR graph has {len(inputs)} Input and {len(outputs)} Output nodes; snn2fpga maps "
                            "graphs with exactly one of each")
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for src, dst in graph.edges:
        if src not in nodes or dst not in nodes:
            raise SNN2FPGAError(f"the NIR graph has an edge {src!r} -> {dst!r} to a node that does not exist")
        succ[src].append(dst)
    order, seen, cur = [], set(), inputs[0]
    while True:
        if cur in seen:
            raise NIRRefusal(cur, node_kind(nodes[cur]), "it is part of a cycle (a recurrent connection); only "
                             "feed-forward chains are supported")
        seen.add(cur)
        order.append((cur, nodes[cur]))
        if cur == outputs[0]:
            break
        nxt = succ[cur]
        if len(nxt) != 1:
            what = "leads nowhere" if not nxt else f"feeds {len(nxt)} nodes ({', '.join(nxt)}): a branch"
            raise NIRRefusal(cur, node_kind(nodes[cur]), f"it {what}; only single chains Input -> ... -> Output map "
                             "onto our layers")
        cur = nxt[0]
    extra = sorted(set(nodes) - seen)
    if extra:
        raise NIRRefusal(extra[0], node_kind(nodes[extra[0]]), "it is not on the chain from Input to Output "
                         "(a branch or skip connection)")
    return order


def input_shape(node: Any) -> list[int] | None:
    """The Input node's shape as written (may include a batch dimension), or None when untyped."""
    types = getattr(node, "input_type", None) or {}
    shape = types.get("input") if isinstance(types, dict) else None
    if shape is None:
        return None
    arr = np.asarray(shape).reshape(-1)
    return [int(s) for s in arr] if arr.size else None


def strip_batch(shape: list[int] | None, features: int) -> list[int] | None:
    """``shape`` without a leading batch dimension of 1, when the rest holds ``features`` values."""
    if shape is None:
        return None
    if int(np.prod(shape)) != features:
        return shape
    if len(shape) > 1 and shape[0] == 1:
        return shape[1:]
    return shape
