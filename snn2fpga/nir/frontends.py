"""Getting a NIR graph out of snnTorch 1.0.0, whose ``export_to_nir`` fails on a plain MLP.

``snntorch.export_to_nir(net, sample)`` ends with ``nir_graph.infer_types()``, which raises with every
nir 1.0.6-1.0.8 / nirtorch 1.0-2.6 combination: a sample with batch dimension writes
``Input([1, N])`` that does not match the first Linear's ``[N]``; a sample without one leaves the
``Leaky`` nodes untyped (``[] != [H]``). And its scalar ``tau`` / ``r`` arrays cannot be written by
``nir.write`` (h5py refuses chunked scalars). :func:`snntorch_to_nir` is the documented workaround:
it runs the same two steps as ``export_to_nir`` (``nirtorch.extract_nir_graph`` with snnTorch's own
``_extract_snntorch_module``) without the failing type inference, then gives each neuron node
per-neuron parameter arrays and the types the weights imply, so the graph passes
``infer_types()`` and writes with ``nir.write``. The parameters are the exporter's, untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.graph import node_kind, ordered_chain

_NEURON_ARRAYS = ("tau", "r", "v_leak", "v_threshold", "v_reset", "tau_syn", "tau_mem", "w_in")


def complete_types(graph: Any) -> Any:
    """Give an untyped / batch-typed chain graph per-neuron arrays and shapes inferred from its weights."""
    import nir

    width: int | None = None
    for _, node in ordered_chain(graph)[1:-1]:
        kind = node_kind(node)
        if kind in ("Linear", "Affine"):
            width = int(np.asarray(node.weight).shape[0])
            continue
        if width is None or kind not in ("LIF", "IF", "LI", "I", "CubaLIF", "CubaLI"):
            continue
        for attr in _NEURON_ARRAYS:
            value = getattr(node, attr, None)
            if value is not None:
                arr = np.asarray(value, dtype=np.float32).reshape(-1)
                if arr.size == 1:
                    setattr(node, attr, np.full(width, arr[0], dtype=np.float32))
        node.input_type = {"input": np.array([width])}
        node.output_type = {"output": np.array([width])}
    chain = ordered_chain(graph)
    first = next((n for _, n in chain if node_kind(n) in ("Linear", "Affine")), None)
    if first is not None:
        features = int(np.asarray(first.weight).shape[1])
        graph.nodes[chain[0][0]] = nir.Input(input_type=np.array([features]))
    if width is not None:
        graph.nodes[chain[-1][0]] = nir.Output(output_type=np.array([width]))
    graph.infer_types()
    return graph


def snntorch_to_nir(module: Any, sample: Any, model_name: str = "snntorch") -> Any:
    """``snntorch.export_to_nir`` without its failing type inference, then :func:`complete_types`."""
    try:
        import nirtorch
        import snntorch
        from snntorch.export_nir import _extract_snntorch_module
    except ImportError as exc:
        raise SNN2FPGAError(f"exporting from snnTorch needs snntorch, nir and nirtorch ({exc}); "
                            "pip install 'snn2fpga[nir]'") from None
    graph = nirtorch.extract_nir_graph(module, _extract_snntorch_module, sample, model_name=model_name,
                                       ignore_submodules_of=[snntorch.RLeaky, snntorch.RSynaptic])
    return complete_types(graph)
