"""PynqDevice against a fake ``pynq`` module whose DMA runs the C-simulation library.

The fake records every register write and DMA call, so the tests pin the call sequence, the buffer
dtypes and sizes, the chunking of large batches and the num_samples fallback; the outputs must equal
the golden vectors.
"""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from snn2fpga_board import CSimLibrary, DeployError, PynqDevice, SNNOverlay, load_deploy

AP_IDLE = 0x4


class FakeBuffer(np.ndarray):
    """What pynq.allocate returns: an ndarray with cache maintenance and an explicit free."""

    log: list[tuple[Any, ...]]

    def flush(self) -> None:
        self.log.append(("flush", self.dtype.name, self.size))

    def invalidate(self) -> None:
        self.log.append(("invalidate", self.dtype.name, self.size))

    def freebuffer(self) -> None:
        self.log.append(("free", self.dtype.name, self.size))


class FakeRegisterMap:
    """A register map with a num_samples register (it writes through the IP, as PYNQ's does)."""

    def __init__(self, ip: FakeIP) -> None:
        object.__setattr__(self, "_ip", ip)

    @property
    def num_samples(self) -> int:
        return self._ip.regs.get(16, 0)

    @num_samples.setter
    def num_samples(self, value: int) -> None:
        self._ip.log.append(("register_map.num_samples", value))
        self._ip.regs[16] = value


class FakeIP:
    def __init__(self, log: list, with_register_map: bool) -> None:
        self.log, self.regs, self.started = log, {}, False
        self._with_map = with_register_map

    @property
    def register_map(self) -> FakeRegisterMap:
        if not self._with_map:
            raise AttributeError("no register information in the .hwh")
        return FakeRegisterMap(self)

    def write(self, offset: int, value: int) -> None:
        self.log.append(("write", offset, value))
        self.regs[offset] = value
        if offset == 0 and value & 1:
            self.started = True

    def read(self, offset: int) -> int:
        return 0 if offset == 0 and self.started else (AP_IDLE if offset == 0 else self.regs.get(offset, 0))


class FakeChannel:
    def __init__(self, dma: FakeDMA, name: str) -> None:
        self.dma, self.name, self.buffer = dma, name, None

    def transfer(self, buf: FakeBuffer) -> None:
        self.dma.log.append((f"{self.name}.transfer", buf.dtype.name, buf.size))
        self.buffer = buf

    def wait(self) -> None:
        self.dma.log.append((f"{self.name}.wait",))
        if self.name == "recv":
            self.dma.compute()


class FakeDMA:
    """The receive channel's wait runs the started IP: C-simulation of the sent words."""

    def __init__(self, log: list, ip: FakeIP, lib: CSimLibrary, max_bytes: int | None) -> None:
        self.log, self.ip, self.lib = log, ip, lib
        self.sendchannel, self.recvchannel = FakeChannel(self, "send"), FakeChannel(self, "recv")
        if max_bytes is not None:
            self.buffer_max_size = max_bytes

    def compute(self) -> None:
        assert self.ip.started, "the DMA ran before ap_start"
        n = self.ip.regs[16]
        words = np.asarray(self.sendchannel.buffer).reshape(n, self.lib.in_words)
        out = self.lib.run(words, with_taps=False).outputs
        self.recvchannel.buffer[:] = out.reshape(-1)
        self.ip.started = False  # done: idle again


def fake_pynq(deploy: Path, with_register_map: bool = True, max_bytes: int | None = None,
              devices: list | None = None, rails: dict | None = None) -> types.ModuleType:
    """A ``pynq`` module for ``deploy``; ``mod.log`` records the calls."""
    mod = types.ModuleType("pynq")
    log: list[tuple[Any, ...]] = []
    lib = CSimLibrary(deploy / "csim" / "libsnn_csim.so")

    class Overlay:
        def __init__(self, bitfile: str) -> None:
            assert Path(bitfile).is_file()
            log.append(("Overlay", Path(bitfile).name))
            self.snn_top_0 = FakeIP(log, with_register_map)
            self.axi_dma_0 = FakeDMA(log, self.snn_top_0, lib, max_bytes)

    def allocate(shape: tuple[int, ...], dtype: Any) -> FakeBuffer:
        log.append(("allocate", np.dtype(dtype).name, int(np.prod(shape))))
        buf = np.zeros(shape, dtype=dtype).view(FakeBuffer)
        buf.log = log
        return buf

    mod.Overlay, mod.allocate, mod.log = Overlay, allocate, log
    mod.Device = types.SimpleNamespace(devices=[object()] if devices is None else devices)
    mod.get_rails = lambda: rails or {}
    return mod


@pytest.fixture
def board_deploy(rate_deploy, tmp_path) -> Path:
    """The rate deploy folder with a (dummy) bitstream, as after a Vivado run."""
    out = tmp_path / "deploy"
    shutil.copytree(rate_deploy.deploy, out)
    (out / "bitfile").mkdir()
    (out / "bitfile" / "snn2fpga.bit").write_bytes(b"bitstream")
    (out / "bitfile" / "snn2fpga.hwh").write_text("<hwh/>")
    meta = json.loads((out / "model.json").read_text())
    meta["bitstream"] = "bitfile/snn2fpga.bit"
    (out / "model.json").write_text(json.dumps(meta))
    return out


def test_auto_picks_the_board_and_runs_the_call_sequence(board_deploy, monkeypatch):
    pynq = fake_pynq(board_deploy)
    monkeypatch.setitem(sys.modules, "pynq", pynq)
    with SNNOverlay(board_deploy) as snn:
        assert snn.device_kind == "pynq" and snn.device_name == "pynq (pynq-z2, bitfile/snn2fpga.bit)"
        check = snn.check_golden()
        assert check["samples"] == 48 and check["mismatches"] == 0, check["first_mismatch"]
    assert pynq.log[:11] == [
        ("Overlay", "snn2fpga.bit"),
        ("allocate", "uint32", 48 * 16), ("allocate", "int32", 48 * 10),
        ("flush", "uint32", 48 * 16),
        ("register_map.num_samples", 48), ("write", 0, 1),
        ("send.transfer", "uint32", 48 * 16), ("recv.transfer", "int32", 48 * 10),
        ("send.wait",), ("recv.wait",),
        ("invalidate", "int32", 48 * 10),
    ]
    assert pynq.log[11:] == [("free", "uint32", 48 * 16), ("free", "int32", 48 * 10)]  # close() frees


def test_large_batches_are_split_and_buffers_reused(board_deploy, rate_deploy, monkeypatch):
    pynq = fake_pynq(board_deploy, with_register_map=False)
    monkeypatch.setitem(sys.modules, "pynq", pynq)
    with SNNOverlay(board_deploy, device="pynq", max_batch=20) as snn:
        res = snn.run(rate_deploy.x)  # 48 samples: 20 + 20 + 8
        np.testing.assert_array_equal(res.predictions, rate_deploy.reference_predictions)
        np.testing.assert_array_equal(res.scores, snn.golden().scores)
        assert snn.classify(rate_deploy.x[5]) == res.predictions[5]
    starts = [e for e in pynq.log if e[0] == "write" and e[1] == 0]
    counts = [e[2] for e in pynq.log if e[0] == "write" and e[1] == 16]  # fallback: ip.write(offset, n)
    allocs = [e for e in pynq.log if e[0] == "allocate"]
    assert len(starts) == 4 and counts == [20, 20, 8, 1]
    assert allocs == [("allocate", "uint32", 320), ("allocate", "int32", 200), ("allocate", "uint32", 128),
                      ("allocate", "int32", 80), ("allocate", "uint32", 16), ("allocate", "int32", 10)]


def test_the_dma_length_register_limits_a_chunk(board_deploy, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq(board_deploy, max_bytes=16383))
    dev = PynqDevice(load_deploy(board_deploy))
    assert dev.max_batch == 16383 // 64  # 16 words of 4 bytes per sample in
    dev.close()
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq(board_deploy, max_bytes=32))
    with pytest.raises(DeployError, match="the DMA must carry one sample"):
        PynqDevice(load_deploy(board_deploy))


def test_auto_without_a_board_emulates(board_deploy, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq(board_deploy, devices=[]))
    with SNNOverlay(board_deploy) as snn:
        assert snn.device_kind == "emulated" and snn.device_reason == "pynq found no FPGA device"
        assert snn.power()["reason"] == "pynq-z2 exposes no PMBus power rails"


def test_wrong_ip_names_are_reported(board_deploy, monkeypatch):
    meta = json.loads((board_deploy / "model.json").read_text())
    meta["ip"]["dma"] = "axi_dma_1"
    (board_deploy / "model.json").write_text(json.dumps(meta))
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq(board_deploy))
    with pytest.raises(DeployError, match="no IP 'axi_dma_1' \\(model.json ip.dma\\)"):
        SNNOverlay(board_deploy, device="pynq")


def test_power_reads_the_pmbus_rails(board_deploy, monkeypatch):
    meta = json.loads((board_deploy / "model.json").read_text())
    meta["board"].update(name="zcu104", pmbus_power=True)
    (board_deploy / "model.json").write_text(json.dumps(meta))
    sensor = types.SimpleNamespace
    rails = {
        "VCCINT": types.SimpleNamespace(power=sensor(value=0.5), voltage=sensor(value=0.85), current=sensor(value=0.6)),
        "VCCAUX": types.SimpleNamespace(power=None, voltage=sensor(value=1.8), current=sensor(value=0.1)),
    }
    monkeypatch.setitem(sys.modules, "pynq", fake_pynq(board_deploy, rails=rails))
    with SNNOverlay(board_deploy) as snn:
        p = snn.power()
    assert p["available"] is True and p["board"] == "zcu104"
    assert p["rails"]["VCCINT"] == {"power_w": 0.5, "voltage_v": 0.85, "current_a": 0.6}
    assert p["rails"]["VCCAUX"]["power_w"] == pytest.approx(0.18)
    assert p["total_w"] == pytest.approx(0.68)
