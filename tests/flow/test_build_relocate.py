"""Issue 11, class 3: a build folder is relocatable, its resume is honest (the fingerprint covers the contents
of every input, an edited generated source is regenerated), one build runs per folder; and a build of a
model that saturates says so (class 2)."""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path

import pytest

import snn2fpga
from snn2fpga.checkpoint import save_checkpoint
from snn2fpga.cli import main
from snn2fpga.flow.state import LOCK_FILE, STATE_FILE


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory, small_trained, digits) -> Path:
    d = tmp_path_factory.mktemp("model")
    save_checkpoint(small_trained, d / "model.pt", training={"dataset": "digits"})
    snn2fpga.export(small_trained, digits.x_test[:1], d / "model.onnx", verify_inputs=digits.x_test[:10])
    return d / "model.onnx"


def _build(model: Path, out: Path, *extra: str) -> int:
    return main(["build", "--model", str(model), "-o", str(out), "--csim-samples", "12", *extra])


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "build.log"}


def test_moved_build_folder_resumes_to_identical_files(onnx_model, tmp_path, capsys):
    first = tmp_path / "first"
    assert _build(onnx_model, first) == 4  # no Vivado here
    before = _files(first)
    state = (first / STATE_FILE).read_text()
    assert str(first) not in state  # paths inside the folder are recorded relative to it
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(str(first), str(moved))
    capsys.readouterr()
    assert _build(onnx_model, moved) == 4
    out = capsys.readouterr().out
    assert "done in a previous run" in out and "[06 csim] ..." not in out  # resumed, C-sim not rerun
    after = _files(moved)
    assert after == before  # byte-identical: state, TCL, sources, deploy package, intermediates
    for tcl in ("vitis_hls/hls_synth.tcl", "vivado/vivado_bd.tcl"):
        assert str(tmp_path) not in (moved / tcl).read_text()  # no script points into another folder


def test_fingerprint_covers_the_folding_file_contents(onnx_model, tmp_path, capsys):
    folding = tmp_path / "fold.json"
    folding.write_text(json.dumps({"layer0": {"PE": 1, "SIMD": 1}, "layer1": {"PE": 1, "SIMD": 1}}))
    out = tmp_path / "b"
    assert _build(onnx_model, out, "--folding", str(folding)) == 4
    folding.write_text(json.dumps({"layer0": {"PE": 2, "SIMD": 2}, "layer1": {"PE": 1, "SIMD": 1}}))
    capsys.readouterr()
    assert _build(onnx_model, out, "--folding", str(folding)) == 2  # not silently the old folding
    assert "another model, folding file" in capsys.readouterr().err
    assert _build(onnx_model, out, "--folding", str(folding), "--force") == 4
    assert json.loads((out / "folding_config.json").read_text())["layer0"]["PE"] == 2


def test_edited_generated_source_is_regenerated_not_kept(onnx_model, tmp_path, capsys):
    out = tmp_path / "b"
    assert _build(onnx_model, out) == 4
    params = out / "hls" / "snn_params.h"
    good = params.read_bytes()
    params.write_bytes(good + b"\n#define EDITED_AFTER_THE_BUILD 1\n")
    capsys.readouterr()
    assert _build(onnx_model, out) == 4
    text = capsys.readouterr().out
    assert "hls/snn_params.h changed since step generate_hls" in text and "[06 csim] ..." in text
    assert params.read_bytes() == good  # regenerated, and C-simulated again from the regenerated source
    assert (out / "deploy" / "hls" / "snn_params.h").read_bytes() == good


def test_one_build_at_a_time_per_folder(onnx_model, tmp_path, capsys):
    out = tmp_path / "b"
    (out / "intermediate").mkdir(parents=True)
    with open(out / LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another build holds the folder
        assert _build(onnx_model, out) == 2
    err = capsys.readouterr().err
    assert f"another snn2fpga build is running in {out}" in err and "Traceback" not in err


@pytest.mark.parametrize("content", ["{not json", '{"fingerprint": 5, "done": "x", "results": []}', "[" * 100000])
def test_damaged_state_file_rebuilds(onnx_model, tmp_path, capsys, content):
    out = tmp_path / "b"
    out.mkdir()
    (out / STATE_FILE).write_text(content)
    assert _build(onnx_model, out) == 4
    assert "rebuilding every step" in capsys.readouterr().out


def test_saturating_model_build_says_so(tmp_path, small_trained, digits, capsys):
    spec = small_trained.spec.to_dict()
    spec["layers"] = [{**layer, "state_bits": 6} if layer["type"] == "li" else layer for layer in spec["layers"]]
    narrow = type(small_trained)(small_trained.spec.__class__.from_dict(spec))
    narrow.load_state_dict(small_trained.state_dict())
    onnx = tmp_path / "narrow.onnx"
    snn2fpga.export(narrow, digits.x_test[:1], onnx, verify_inputs=digits.x_test[:10], allow_saturation=True)
    capsys.readouterr()
    assert _build(onnx, tmp_path / "b", "--json") == 4
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["saturations"] and all(v > 0 for v in summary["saturations"].values())
    assert "WARNING: the membranes saturated" in captured.out


def test_truncated_intermediate_is_rebuilt(onnx_model, tmp_path, capsys):
    out = tmp_path / "b"
    assert _build(onnx_model, out) == 4
    files = _files(out)
    ckpt = out / "intermediate" / "03_fold.onnx"
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    capsys.readouterr()
    assert _build(onnx_model, out) == 4
    text = capsys.readouterr().out
    assert "03_fold.onnx is unreadable" in text and "[04 estimate] ..." in text
    assert _files(out) == files  # and the rebuild gives the same files again
