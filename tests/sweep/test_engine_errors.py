"""The engine options' errors (no Ray needed: its absence is simulated)."""

from __future__ import annotations

import sys

from snn2fpga.cli import main


def test_engine_errors(tmp_path, monkeypatch, capsys):
    assert main(["sweep", "--address", "127.0.0.1:1", "-o", str(tmp_path / "a")]) == 2
    assert "--address names a Ray cluster: it needs --engine ray" in capsys.readouterr().err
    assert main(["sweep", "--engine", "ray", "--ray-gpus", "-1", "-o", str(tmp_path / "b")]) == 2
    assert "--ray-gpus must be >= 0" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["sweep", "--engine", "ray", "-o", str(tmp_path / "c")]) == 2
    assert "pip install 'snn2fpga[ray]'" in capsys.readouterr().err
