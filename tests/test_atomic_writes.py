"""Issue 11, classes 1 and 2: a write that fails (or is killed) midway leaves the previous file intact, and
a graph that failed its verification never replaces a verified one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.checkpoint import load_checkpoint, save_checkpoint
from snn2fpga.errors import SNN2FPGAError, VerificationError
from snn2fpga.io import atomic_copy, atomic_save, atomic_write_json, atomic_write_text
from snn2fpga.nn import LI, LIF, QuantLinear


class Boom(RuntimeError):
    pass


def _half_then_raise(path: Path) -> None:
    """A writer that leaves half a file and then fails (a full disk, a crash in the serializer)."""
    Path(path).write_bytes(b"half a file")
    raise Boom("disk full")


def _no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if ".tmp" in p.name]


def test_checkpoint_save_failing_midway_keeps_the_previous_checkpoint(tmp_path, small_trained, monkeypatch):
    path = save_checkpoint(small_trained, tmp_path / "model.pt")
    before = path.read_bytes()
    monkeypatch.setattr(torch, "save", lambda payload, f: _half_then_raise(f))
    with pytest.raises(Boom):
        save_checkpoint(small_trained, path)
    assert path.read_bytes() == before
    monkeypatch.undo()
    load_checkpoint(path)  # still a good checkpoint
    _no_leftovers(tmp_path)


def test_onnx_save_failing_midway_keeps_the_previous_graph(tmp_path, small_trained, digits, monkeypatch):
    out = tmp_path / "m.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], out, verify_inputs=digits.x_test[:5])
    before = out.read_bytes()
    real_write_bytes = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:  # export publishes the serialised graph's bytes
        if self.suffix != ".onnx":
            return real_write_bytes(self, data)
        real_write_bytes(self, b"half a file")
        raise Boom("disk full")

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with pytest.raises(Boom):
        snn2fpga.export(small_trained, digits.x_test[:1], out, verify_inputs=digits.x_test[:5])
    monkeypatch.undo()
    assert out.read_bytes() == before
    _no_leftovers(tmp_path)


@pytest.mark.parametrize("kind", ["json", "text", "npz", "copy"])
def test_every_writer_class_keeps_the_previous_file_on_failure(tmp_path, monkeypatch, kind):
    """build_state.json / model.json / folding_config.json (json), generated sources / TCL / reports (text),
    golden.npz / csim_reference.npz (npz), copied kernels / libraries / notebook (copy)."""
    target = tmp_path / {"json": "build_state.json", "text": "snn_top.cpp", "npz": "golden.npz",
                         "copy": "libsnn_csim.so"}[kind]
    target.write_bytes(b"the good previous version")
    if kind == "json":
        monkeypatch.setattr(json, "dumps", lambda *a, **k: (_ for _ in ()).throw(Boom("unserializable")))
        with pytest.raises(Boom):
            atomic_write_json(target, {"a": 1})
    elif kind == "text":
        with pytest.raises(Boom):
            atomic_save(target, _half_then_raise)
        with pytest.raises(SNN2FPGAError, match="cannot write"):  # an OSError midway: named, no traceback
            atomic_save(target, lambda tmp: (Path(tmp).write_text("x"), open(tmp / "no", "w")))  # noqa: SIM115
    elif kind == "npz":
        monkeypatch.setattr(np, "savez_compressed", lambda f, **a: _half_then_raise(Path(f)))
        from snn2fpga.flow.deploy import save_reference

        with pytest.raises(Boom):
            save_reference(target, "digest", np.zeros(3), np.zeros(3))
    else:
        import shutil

        monkeypatch.setattr(shutil, "copyfile", lambda src, dst: _half_then_raise(Path(dst)))
        with pytest.raises(Boom):
            atomic_copy(tmp_path / "whatever", target)
    assert target.read_bytes() == b"the good previous version"
    _no_leftovers(tmp_path)
    atomic_write_text(target, "new")  # and a write that succeeds replaces it
    assert target.read_text() == "new"


def test_kill_9_during_a_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("previous")
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from snn2fpga.io import atomic_save
        def slow(tmp):
            with open(tmp, "wb") as f:
                f.write(b"x" * 1000); f.flush()
                print("writing", flush=True)
                time.sleep(60)
        atomic_save(Path({str(target)!r}), slow)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env={**os.environ})
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.05)
    assert target.read_text() == "previous"


class Seq(torch.nn.Module):
    def __init__(self, *mods):
        super().__init__()
        self.seq = torch.nn.Sequential(*mods)

    def forward(self, x):
        return self.seq(x)


def _saturating_net(threshold_scale: float) -> Seq:
    torch.manual_seed(0)
    net = Seq(QuantLinear(6, 4, weight_bits=8), LIF(leak_shift=4, threshold=0.5, state_bits=10), QuantLinear(4, 2),
              LI(state_bits=8))
    with torch.no_grad():
        net.seq[0].weight.abs_()  # all-positive input: the membranes climb to the state limit
        net.seq[1].threshold = float(net.seq[0].weight.abs().max()) / 127 * threshold_scale
    return net


def test_rejected_export_never_replaces_the_verified_graph(tmp_path):
    spikes = np.ones((20, 3, 6), dtype=np.float32)
    out = tmp_path / "model.onnx"
    good = snn2fpga.export(_saturating_net(500), spikes, out, allow_saturation=True)  # verified (saturation allowed)
    assert good.onnx == out and not (tmp_path / "model.rejected.onnx").exists()
    before = out.read_bytes()
    with pytest.raises(VerificationError, match=r"model.onnx was not written.*model.rejected.onnx"):
        snn2fpga.export(_saturating_net(400), spikes, out)
    assert out.read_bytes() == before  # the verified graph is untouched
    rejected = tmp_path / "model.rejected.onnx"
    assert rejected.is_file() and rejected.read_bytes() != before  # the rejected one is there to inspect
    ModelWrapper(str(rejected))
    snn2fpga.export(_saturating_net(400), spikes, out, allow_saturation=True)
    assert not rejected.exists()  # a later accepted export removes the stale rejected graph


def test_export_cli_exit_3_keeps_the_verified_graph(tmp_path, small_trained, capsys):
    from snn2fpga.cli import main

    ckpt = save_checkpoint(small_trained, tmp_path / "model.pt", training={"dataset": "digits"})
    assert main(["export", str(ckpt), "--verify", "20"]) == 0
    before = (tmp_path / "model.onnx").read_bytes()
    # the same model with a 6-bit readout membrane saturates: exit 3, the verified graph stays
    spec = small_trained.spec.to_dict()
    spec["layers"] = [{**layer, "state_bits": 6} if layer["type"] == "li" else layer for layer in spec["layers"]]
    small = type(small_trained)(small_trained.spec.__class__.from_dict(spec))
    small.load_state_dict(small_trained.state_dict())
    save_checkpoint(small, ckpt, training={"dataset": "digits"})
    capsys.readouterr()
    assert main(["export", str(ckpt), "--verify", "20"]) == 3
    assert "was not written" in capsys.readouterr().err
    assert (tmp_path / "model.onnx").read_bytes() == before
    assert (tmp_path / "model.rejected.onnx").is_file()


def test_folder_copy_failing_midway_keeps_the_previous_folder(tmp_path, monkeypatch):
    """The deploy package's hls/, rtl/ and snn2fpga_board/ folders are replaced whole or not at all."""
    import shutil

    from snn2fpga.io import atomic_copytree

    src, dst = tmp_path / "src", tmp_path / "deploy" / "hls"
    src.mkdir()
    (src / "a.h").write_text("new")
    dst.mkdir(parents=True)
    (dst / "a.h").write_text("old")
    real = shutil.copytree

    def half(s, d, ignore=None):
        real(s, d, ignore=ignore)
        raise Boom("killed while copying")

    monkeypatch.setattr(shutil, "copytree", half)
    with pytest.raises(Boom):
        atomic_copytree(src, dst)
    assert (dst / "a.h").read_text() == "old" and sorted(p.name for p in dst.parent.iterdir()) == ["hls"]
    monkeypatch.undo()
    atomic_copytree(src, dst)
    assert (dst / "a.h").read_text() == "new" and sorted(p.name for p in dst.parent.iterdir()) == ["hls"]
