"""Norse 1.1.0's to_nir graphs import with the `norse` preset; our float path is Norse's simulation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("norse")

from snn2fpga.nir import ImportOptions, import_nir  # noqa: E402
from snn2fpga.nir.frontends import complete_types  # noqa: E402
from tests.nir import norse_digits as nd  # noqa: E402
from tests.nir import snntorch_digits as sd  # noqa: E402


def test_norse_export_imports_and_float_path_equals_norse(digits):
    import norse.torch as norse

    net = nd.train(nd.make_net(32), sd.spikes_of(digits.x_train), digits.y_train, epochs=2)
    graph = complete_types(norse.to_nir(net, torch.zeros(64)))  # untyped LIF nodes, as for snnTorch
    res = import_nir(graph, None, ImportOptions(dataset="digits", preset="norse", weight_bits=8))
    assert res.report[1]["notes"] == ["beta 0.9 -> mult leak (integer beta 0.898438)",
                                      "input gain 0.1..0.1 folded into the weights", "reset zero (from the preset)"]
    x = digits.x_test[:100]
    with torch.no_grad():
        theirs = nd.simulate(net, sd.spikes_of(x)).numpy()
        ours = res.float_model(x).numpy()
    assert theirs.sum() > 0 and (theirs == 0).any()
    assert np.array_equal(ours, theirs)
    agree = (res.model.predict(x) == theirs.sum(0).argmax(1)).mean()
    assert agree >= 0.9, agree
