"""A broken or incomplete deploy folder fails early with a DeployError naming the problem."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from snn2fpga_board import DeployError, SNNOverlay, load_deploy


@pytest.fixture
def deploy(rate_deploy, tmp_path) -> Path:
    """A private copy of the rate deploy folder, to break."""
    out = tmp_path / "deploy"
    shutil.copytree(rate_deploy.deploy, out)
    return out


def _edit_meta(deploy: Path, edit: Callable[[dict], None]) -> None:
    meta = json.loads((deploy / "model.json").read_text())
    edit(meta)
    (deploy / "model.json").write_text(json.dumps(meta))


def test_a_good_folder_loads(deploy):
    info = load_deploy(deploy)
    assert info.top == "snn_top" and info.input.kind == "rate" and info.input.shape == (8, 8)
    assert info.input.words_per_sample == 16 and info.output.words_per_sample == 10
    assert info.bitstream is None and info.library_path.is_file() and (info.hls_dir / "csim_lib.cpp").is_file()
    assert info.golden_vectors.labels is not None


def test_missing_folder(tmp_path):
    with pytest.raises(DeployError, match="does not exist"):
        load_deploy(tmp_path / "nowhere")


def test_missing_model_json(deploy):
    (deploy / "model.json").unlink()
    with pytest.raises(DeployError, match="model.json is missing: .* not a deploy folder"):
        SNNOverlay(deploy)


def test_corrupt_model_json(deploy):
    (deploy / "model.json").write_text('{"format": "snn2fpga-deploy", ')
    with pytest.raises(DeployError, match="not valid JSON"):
        load_deploy(deploy)
    (deploy / "model.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DeployError, match="not valid JSON"):
        load_deploy(deploy)
    (deploy / "model.json").write_text("[1, 2]")
    with pytest.raises(DeployError, match='"format" must be "snn2fpga-deploy"'):
        load_deploy(deploy)


@pytest.mark.parametrize(
    "edit,match",
    [
        (lambda m: m.pop("input"), "incomplete: 'input' is missing"),
        (lambda m: m["output"].pop("classes"), "incomplete: 'output.classes' is missing"),
        (lambda m: m["ip"].pop("dma"), "incomplete: 'ip.dma' is missing"),
        (lambda m: m.pop("bitstream"), "incomplete: 'bitstream' is missing"),
        (lambda m: m["board"].pop("pmbus_power"), "'board.pmbus_power' is missing"),
        (lambda m: m.update(version=2), "format version 2; this runtime reads version 1"),
        (lambda m: m["input"].update(kind="poisson"), "input.kind 'poisson' is not one of rate, latency, spikes"),
        (lambda m: m["input"].update(features=63), r"input.shape \[8, 8\] does not hold input.features = 63"),
        (lambda m: m["input"].update(words_per_sample=17), "words_per_sample is 17, but 64 rate inputs .* 16 words"),
        (lambda m: m["input"].update(timesteps=True), "'input.timesteps' must be an integer, got True"),
        (lambda m: m["input"].update(shape="8x8"), "'input.shape' must be a list"),
        (lambda m: m["output"].update(words_per_sample=9), "words_per_sample is 9 but there are 10 classes"),
        (lambda m: m["output"].update(kind="voltage"), "output.kind 'voltage'"),
        (lambda m: m.update(clock_mhz="fast"), "'clock_mhz' must be an integer or a number or null"),
    ],
)
def test_incomplete_or_inconsistent_model_json(deploy, edit, match):
    _edit_meta(deploy, edit)
    with pytest.raises(DeployError, match=match):
        load_deploy(deploy)


def test_missing_or_broken_golden_vectors(deploy):
    golden = deploy / "golden.npz"
    data = dict(np.load(golden))
    golden.unlink()
    with pytest.raises(DeployError, match="golden vectors .* are missing"):
        load_deploy(deploy)
    golden.write_bytes(b"not a zip file")
    with pytest.raises(DeployError, match="cannot be read"):
        load_deploy(deploy)
    np.savez(golden, **{k: v for k, v in data.items() if k != "scores"})
    with pytest.raises(DeployError, match="lack 'scores'"):
        load_deploy(deploy)
    np.savez(golden, **{**data, "words": data["words"][:, :15]})
    with pytest.raises(DeployError, match=r"have words \[48, 15\], expected \[48, 16\]"):
        load_deploy(deploy)
    np.savez(golden, **{**data, "scores": data["scores"].astype(np.float32)})
    with pytest.raises(DeployError, match="'scores' is float32"):
        load_deploy(deploy)
    np.savez(golden, **{k: v for k, v in data.items() if k != "labels"})  # labels are optional
    assert load_deploy(deploy).golden_vectors.labels is None


def test_missing_library_says_how_to_rebuild_it(deploy):
    (deploy / "csim" / "libsnn_csim.so").unlink()
    with pytest.raises(DeployError, match=r"libsnn_csim.so, which is missing: rebuild it with `snn2fpga build` .*"
                                          r"g\+\+ -std=c\+\+14 .* hls/csim_lib.cpp"):
        SNNOverlay(deploy)


def test_broken_or_foreign_library(deploy, spike_deploy):
    from snn2fpga_board.integrity import file_sha256

    lib = deploy / "csim" / "libsnn_csim.so"
    lib.write_bytes(b"\x7fELF garbage")
    with pytest.raises(DeployError, match="is not the library this package was built with"):
        SNNOverlay(deploy)
    _edit_meta(deploy, lambda m: m["emulation"].update(sha256=file_sha256(lib)))  # the user vouches for it
    with pytest.raises(DeployError, match="cannot load C-simulation library .* another machine"):
        SNNOverlay(deploy)
    shutil.copyfile(spike_deploy.deploy / "csim" / "libsnn_csim.so", lib)
    _edit_meta(deploy, lambda m: m["emulation"].update(sha256=file_sha256(lib)))
    with pytest.raises(DeployError, match="belongs to another design"):
        SNNOverlay(deploy)


def test_pynq_device_needs_a_bitstream_and_pynq(deploy, monkeypatch):
    with pytest.raises(DeployError, match="no bitstream .* use device='emulated'"):
        SNNOverlay(deploy, device="pynq")
    _edit_meta(deploy, lambda m: m.update(bitstream="bitfile/snn2fpga.bit"))
    with pytest.raises(DeployError, match="bitfile/snn2fpga.bit named in model.json is missing"):
        SNNOverlay(deploy, device="pynq")
    (deploy / "bitfile").mkdir()
    (deploy / "bitfile" / "snn2fpga.bit").write_bytes(b"bit")
    with pytest.raises(DeployError, match=r"snn2fpga.hwh is missing"):
        SNNOverlay(deploy, device="pynq")
    (deploy / "bitfile" / "snn2fpga.hwh").write_text("<hwh/>")
    monkeypatch.setitem(sys.modules, "pynq", None)  # not a board: pynq does not import
    with pytest.raises(DeployError, match="pynq package cannot be imported .* use device='emulated'"):
        SNNOverlay(deploy, device="pynq")
    with SNNOverlay(deploy) as snn:  # auto falls back to the emulation and says why
        assert snn.device_kind == "emulated" and snn.device_reason == "pynq is not installed (not running on a board)"
    with pytest.raises(DeployError, match="device must be 'auto', 'pynq' or 'emulated'"):
        SNNOverlay(deploy, device="fpga")
