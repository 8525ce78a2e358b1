"""The README's NIR fidelity numbers: snnTorch's own simulation vs our float and integer paths.

Run from the repository root: ``python -m tests.nir.measure_fidelity`` (about a minute on one core).
Per snnTorch variant (digits, Linear(64,64)-Leaky-Linear(64,10)-Leaky, 4 epochs, T = 16, our rate
encoder's spikes fed to both sides, whole test split): snnTorch's accuracy, our float path's spike and
prediction agreement, and per weight width our integer path's prediction agreement and accuracy.
"""

from __future__ import annotations

import numpy as np
import torch

from snn2fpga.data import load_dataset
from snn2fpga.nir import ImportOptions, import_nir
from snn2fpga.nir.frontends import snntorch_to_nir
from tests.nir import snntorch_digits as sd

VARIANTS = {
    "snnTorch 1.0.0, `reset_delay=False` (acceptance test)": {"reset": "subtract", "reset_delay": False},
    "snnTorch 1.0.0, default `Leaky` (`reset_delay=True`)": {"reset": "subtract", "reset_delay": True},
    "snnTorch 1.0.0, `reset_mechanism=\"zero\"`, `reset_delay=False`": {"reset": "zero", "reset_delay": False},
}


def main() -> None:
    torch.set_num_threads(1)
    d = load_dataset("digits")
    x, y = d.x_test, d.y_test
    print("| exporter / variant | snnTorch acc | float spikes agree | float pred agree | 8-bit: agree / acc "
          "| 4-bit: agree / acc |")
    for name, kw in VARIANTS.items():
        net = sd.train(sd.make_net(**kw), d.x_train, d.y_train, epochs=4)
        theirs = sd.predict(net, x)
        with torch.no_grad():
            their_spikes = sd.simulate(net, sd.spikes_of(x)).numpy()
        graph = snntorch_to_nir(net, torch.zeros(1, 64))
        cells = []
        for bits in (8, 4):
            res = import_nir(graph, None, ImportOptions(dataset="digits", weight_bits=bits, reset=kw["reset"]))
            ours = res.model.predict(x)
            cells.append(f"{(ours == theirs).mean():.4f} / {(ours == y).mean():.4f}")
        with torch.no_grad():
            float_spikes = res.float_model(x).numpy()
        float_pred = res.float_model.predict(x)
        print(f"| {name} | {(theirs == y).mean():.4f} | {(float_spikes == their_spikes).mean():.4f} "
              f"| {(float_pred == theirs).mean():.4f} | {cells[0]} | {cells[1]} |")
    norse_row(d)
    print(f"({len(x)} test samples; agreement = fraction of equal predictions, np {np.__version__})")


def norse_row(d) -> None:
    """The same network in Norse 1.1.0 (LIFBoxCell, its defaults), exported with norse.torch.to_nir."""
    import norse.torch as norse

    from snn2fpga.nir.frontends import complete_types
    from tests.nir import norse_digits as nd

    x, y = d.x_test, d.y_test
    net = nd.train(nd.make_net(), sd.spikes_of(d.x_train), d.y_train)
    with torch.no_grad():
        their_spikes = nd.simulate(net, sd.spikes_of(x)).numpy()
    theirs = their_spikes.sum(0).argmax(1)
    graph = complete_types(norse.to_nir(net, torch.zeros(64)))
    cells = []
    for bits in (8, 4):
        res = import_nir(graph, None, ImportOptions(dataset="digits", weight_bits=bits, preset="norse"))
        ours = res.model.predict(x)
        cells.append(f"{(ours == theirs).mean():.4f} / {(ours == y).mean():.4f}")
    with torch.no_grad():
        float_spikes = res.float_model(x).numpy()
    print(f"| Norse 1.1.0 `LIFBoxCell` (`--preset norse`) | {(theirs == y).mean():.4f} "
          f"| {(float_spikes == their_spikes).mean():.4f} | {(res.float_model.predict(x) == theirs).mean():.4f} "
          f"| {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
