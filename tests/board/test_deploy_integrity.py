"""Issue 11, class 6: a deploy package is data. Every path in model.json stays inside the package, and the
emulated device loads the native library only when its sha256 matches the one recorded in model.json: a
replaced library is refused before it is loaded, so its constructor never runs."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from snn2fpga_board import DeployError, SNNOverlay, load_deploy


@pytest.fixture
def deploy(rate_deploy, tmp_path) -> Path:
    out = tmp_path / "deploy"
    shutil.copytree(rate_deploy.deploy, out)
    return out


def _edit_meta(deploy: Path, edit: Callable[[dict], None]) -> None:
    meta = json.loads((deploy / "model.json").read_text())
    edit(meta)
    (deploy / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("bitstream", ["../../../../etc/passwd", "/etc/passwd", "bitfile/../../x.bit", "C:/x.bit",
                                       ""])
def test_bitstream_path_is_confined(deploy, bitstream):
    _edit_meta(deploy, lambda m: m.update(bitstream=bitstream))
    with pytest.raises(DeployError, match="must be relative and stay inside the package"):
        load_deploy(deploy)


def test_symlink_leading_out_is_refused(deploy, tmp_path):
    (deploy / "bitfile").symlink_to(tmp_path)
    _edit_meta(deploy, lambda m: m.update(bitstream="bitfile/snn2fpga.bit"))
    with pytest.raises(DeployError, match="leads outside the deploy package"):
        load_deploy(deploy)


@pytest.mark.parametrize("library", ["../x.so", "/tmp/x.so", "rtlsim/libsnn_rtlsim.so", 5])
def test_emulation_library_is_the_fixed_path(deploy, library):
    _edit_meta(deploy, lambda m: m["emulation"].update(library=library))
    with pytest.raises(DeployError, match="emulation.library|must be relative"):
        load_deploy(deploy)


def test_deeply_nested_model_json(deploy):
    (deploy / "model.json").write_text("[" * 200000)
    with pytest.raises(DeployError, match="not valid JSON"):
        load_deploy(deploy)


@pytest.mark.parametrize("value", ["abc", 5, "G" * 64])
def test_malformed_hash(deploy, value):
    _edit_meta(deploy, lambda m: m["emulation"].update(sha256=value))
    with pytest.raises(DeployError, match="emulation.sha256' must be 64 hex digits"):
        load_deploy(deploy)


def test_missing_hash_is_refused(deploy):
    _edit_meta(deploy, lambda m: m["emulation"].pop("sha256"))
    with pytest.raises(DeployError, match="records no sha256"):
        SNNOverlay(deploy, device="emulated")


def test_replaced_library_is_refused_before_its_constructor_runs(deploy, tmp_path):
    marker = tmp_path / "constructor_ran"
    src = tmp_path / "evil.c"
    src.write_text('#include <stdio.h>\n__attribute__((constructor)) static void run(void) '
                   f'{{ FILE *f = fopen("{marker}", "w"); if (f) fclose(f); }}\n')
    lib = deploy / "csim" / "libsnn_csim.so"
    subprocess.run(["g++", "-x", "c", "-shared", "-fPIC", str(src), "-o", str(lib)], check=True)
    with pytest.raises(DeployError, match="is not the library this package was built with"):
        SNNOverlay(deploy, device="emulated")
    assert not marker.exists()
    from snn2fpga.cli import main

    assert main(["run", str(deploy), "--emulate"]) == 2
    assert not marker.exists()


def test_built_package_records_the_hash_and_runs(deploy):
    meta = json.loads((deploy / "model.json").read_text())
    assert len(meta["emulation"]["sha256"]) == 64
    with SNNOverlay(deploy, device="emulated") as snn:
        assert snn.deploy.golden_vectors.count > 0
