"""The demo notebook runs top to bottom, unedited, in a deploy folder (emulated device)."""

from __future__ import annotations

import json
import re

import nbformat
from nbclient import NotebookClient

from tests.board.conftest import NOTEBOOK, with_random_iq_codes


def test_committed_notebook_has_no_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def _text(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def test_notebook_runs_in_the_deploy_folder(rate_deploy, spike_deploy, iq_deploy, tmp_path):
    # the I/Q design twice: golden codes of real frames (float frames), and random golden codes (codes path)
    random_iq = with_random_iq_codes(iq_deploy.deploy, tmp_path / "iq-random")
    for deploy in (rate_deploy.deploy, spike_deploy.deploy, iq_deploy.deploy, random_iq):
        nb = nbformat.read(deploy / NOTEBOOK.name, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(deploy)}}).execute()
        text = _text(nb)
        assert "device: emulated" in text
        assert "0 mismatches" in text
        assert "sample 0: predicted" in text and "us per sample" in text
        assert "power: not available: pynq-z2 exposes no PMBus power rails" in text
        pairs = re.findall(r"sample \d+: predicted (.+) \(golden: (.+)\)", text)
        assert pairs and all(got == want for got, want in pairs), pairs
