"""Acceptance: snnTorch on digits -> NIR -> import-nir -> build for pynq-z2 (C-sim 0 mismatches), with
prediction agreement with snnTorch's own simulation at least what the README states."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("snntorch")
pytest.importorskip("nirtorch")

from snn2fpga.checkpoint import load_checkpoint  # noqa: E402
from snn2fpga.cli import main  # noqa: E402
from snn2fpga.nir.frontends import snntorch_to_nir  # noqa: E402
from tests.nir import snntorch_digits as sd  # noqa: E402
from tests.nir.graphs import nir  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_agreement() -> float:
    """The prediction agreement the README's NIR section promises for this case."""
    row = r"snnTorch 1\.0\.0, `reset_delay=False` \(acceptance test\).*?\*\*>= (0\.\d+)\*\*"
    m = re.search(row, README.read_text())
    assert m, "the README's NIR fidelity table lacks the acceptance-test row"
    return float(m.group(1))


@pytest.fixture(scope="module")
def trained(digits):
    return sd.train(sd.make_net(), digits.x_train, digits.y_train, epochs=4)


def test_snntorch_export_to_nir_still_fails_as_documented(trained):
    from snntorch.export_nir import export_to_nir

    for sample in (torch.zeros(1, 64), torch.zeros(64)):
        with pytest.raises(ValueError, match="Type inference error"):
            export_to_nir(trained, sample)


def _json_last(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_snntorch_digits_import_build_csim_and_agreement(trained, digits, tmp_path, capsys):
    path = tmp_path / "snn.nir"
    nir.write(path, snntorch_to_nir(trained, torch.zeros(1, 64)))
    ckpt = tmp_path / "snn.pt"
    assert main(["import-nir", str(path), "-o", str(ckpt), "--dataset", "digits", "--weight-bits", "8",
                 "--state-bits", "16", "--json"]) == 0
    summary = _json_last(capsys)
    assert [n["mapped_to"] for n in summary["nodes"]] == ["linear 64->64", "lif", "linear 64->10", "lif"]
    assert all(c["saturations"] == 0 for c in summary["calibration"])
    rc = main(["build", "--model", str(ckpt), "-o", str(tmp_path / "b"), "--csim-samples", "60", "--json"])
    build = _json_last(capsys)
    assert rc == 4 and build["csim"]["samples"] == 60 and build["csim"]["mismatches"] == 0
    assert main(["run", build["deploy"], "--emulate", "--json"]) == 0  # the emulated board: same integers
    run = _json_last(capsys)
    assert run["samples"] == 60 and run["mismatches"] == 0
    model, _ = load_checkpoint(ckpt)
    ours = model.predict(digits.x_test)
    theirs = sd.predict(trained, digits.x_test)
    agreement = float((ours == theirs).mean())
    assert agreement >= readme_agreement(), agreement
    assert (theirs == digits.y_test).mean() > 0.85  # the snnTorch network learned the task


def test_float_path_equals_snntorch_with_reset_to_zero(digits):
    """Reset to zero, reset_delay=False: our float path is snnTorch's simulation, spike for spike."""
    net = sd.train(sd.make_net(reset="zero"), digits.x_train[:300], digits.y_train[:300], epochs=1)
    from snn2fpga.nir import ImportOptions, import_nir

    res = import_nir(snntorch_to_nir(net, torch.zeros(64)), None,
                     ImportOptions(dataset="digits", reset="zero"))
    x = digits.x_test[:120]
    with torch.no_grad():
        ours = res.float_model(x).numpy()
        theirs = sd.simulate(net, sd.spikes_of(x)).numpy()
    assert theirs.sum() > 0 and (theirs == 0).any()
    assert np.array_equal(ours, theirs)
