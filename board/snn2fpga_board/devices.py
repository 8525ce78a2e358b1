"""The devices that run the top: the real PYNQ overlay, and the emulated C-simulation of the same top.

A device takes host words uint32 [n, in_words] and returns the top's output words int32 [n, out_words];
everything else (quantization, packing, argmax) is the host's (``snn2fpga_board.host``).
"""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

import numpy as np

from snn2fpga_board.csim import CSimLibrary
from snn2fpga_board.deploy import DeployInfo
from snn2fpga_board.errors import DeployError
from snn2fpga_board.host import unpack_outputs

DEFAULT_MAX_BATCH = 4096  # samples per IP call on the board, before the DMA's own limit
AP_START = 0x1
AP_IDLE = 0x4
IDLE_TIMEOUT_S = 1.0


@runtime_checkable
class Device(Protocol):
    """What the overlay needs from a device."""

    name: str  # human-readable, starts with the kind
    kind: str  # "pynq" | "emulated"

    def run(self, words: np.ndarray) -> np.ndarray:
        """uint32 [n, in_words] host words -> int32 [n, out_words] output words."""
        ...

    def close(self) -> None:
        """Release the device's resources (buffers, library)."""
        ...


def _check_words(words: np.ndarray, in_words: int) -> np.ndarray:
    w = np.asarray(words)
    if w.ndim != 2 or w.shape[1] != in_words or w.shape[0] < 1:
        raise DeployError(f"device input must be host words [n >= 1, {in_words}], got {list(w.shape)}")
    if w.dtype != np.uint32:
        raise DeployError(f"device input words must be uint32, got {w.dtype}")
    return np.ascontiguousarray(w)


def rebuild_hint(deploy: DeployInfo) -> str:
    """How to (re)build the C-simulation library of a deploy folder on this machine."""
    rel = deploy.library_path.relative_to(deploy.root)
    if deploy.emulation_kind == "rtlsim":
        return (f"rebuild it with `snn2fpga build --backend rtl` on a machine with Verilator and g++ (it is the "
                f"Verilator model of the RTL in {deploy.root / 'rtl'}, with its ROM .mem files beside {rel})")
    return (
        f"rebuild it with `snn2fpga build` on a machine with g++, or compile it here from the HLS sources: "
        f"`cd {deploy.root} && mkdir -p csim && g++ -std=c++14 -O1 -shared -fPIC -I hls -isystem <ap_types> "
        f"hls/csim_lib.cpp -o {rel}` where <ap_types> holds ap_int.h (hls4ml/templates/vivado/ap_types of the "
        "hls4ml package, or $XILINX_HLS/include)"
    )


class EmulatedDevice:
    """The C-simulation of the generated HLS top (``csim/libsnn_csim.so``), or the Verilator model of the generated
    RTL top (``rtlsim/libsnn_rtlsim.so``, cycle-accurate): bit-exact either way; its name says which one runs."""

    kind = "emulated"

    def __init__(self, deploy: DeployInfo) -> None:
        path = deploy.library_path
        if not path.is_file():
            raise DeployError(f"the emulated device needs the C-simulation library {path}, which is missing: "
                              f"{rebuild_hint(deploy)}")
        try:
            self._lib: CSimLibrary | None = CSimLibrary(path)
        except DeployError as exc:
            raise DeployError(f"{exc}; it may have been compiled for another machine: {rebuild_hint(deploy)}") from None
        lib = self._lib
        if (lib.in_words, lib.out_words) != (deploy.input.words_per_sample, deploy.output.words_per_sample):
            raise DeployError(
                f"{path} reads {lib.in_words} and writes {lib.out_words} words per sample, model.json says "
                f"{deploy.input.words_per_sample} and {deploy.output.words_per_sample}: the library belongs to "
                f"another design; {rebuild_hint(deploy)}"
            )
        self.in_words = lib.in_words
        self.out_words = lib.out_words
        what = "RTL simulation (Verilator)" if lib.is_rtl else "C-simulation"
        self.name = f"emulated ({what} of {deploy.top}, {path.relative_to(deploy.root)})"

    def run(self, words: np.ndarray) -> np.ndarray:
        if self._lib is None:
            raise DeployError("the emulated device is closed")
        return self._lib.run(_check_words(words, self.in_words), with_taps=False).outputs

    def close(self) -> None:
        self._lib = None


def import_pynq() -> Any:
    """The pynq module; DeployError when it is not installed (not a PYNQ board)."""
    try:
        import pynq
    except Exception as exc:  # pynq can fail with more than ImportError off a board
        raise DeployError(f"the pynq package cannot be imported ({exc}): the pynq device runs on a PYNQ board; "
                          "use device='emulated' elsewhere") from None
    return pynq


def board_found() -> tuple[bool, str]:
    """(whether pynq is importable and sees an FPGA device, why not)."""
    try:
        pynq = import_pynq()
    except DeployError:
        return False, "pynq is not installed (not running on a board)"
    try:
        devices = list(pynq.Device.devices)
    except Exception as exc:
        return False, f"pynq found no FPGA device ({exc})"
    return (True, "") if devices else (False, "pynq found no FPGA device")


class PynqDevice:
    """The overlay on a PYNQ board: the IP behind an AXI DMA, num_samples and ap_ctrl over AXI-Lite.

    One IP call per chunk of at most ``max_batch`` samples (and what the DMA's length register allows):
    write num_samples, set ap_start, send the input words, receive the output words, wait on both.
    """

    kind = "pynq"

    def __init__(self, deploy: DeployInfo, max_batch: int | None = None) -> None:
        bit = deploy.bitstream
        if bit is None:
            raise DeployError("this deploy folder has no bitstream (model.json \"bitstream\" is null: Vivado did not "
                              "run); run the Vivado steps that `snn2fpga build` listed, or use device='emulated'")
        if not bit.is_file():
            raise DeployError(f"the bitstream {bit} named in model.json is missing; copy the whole deploy folder")
        if not bit.with_suffix(".hwh").is_file():
            raise DeployError(f"{bit.with_suffix('.hwh')} is missing: pynq.Overlay needs the .hwh beside the .bit")
        pynq = import_pynq()
        self._pynq = pynq
        ip_name, dma_name = str(deploy.ip["name"]), str(deploy.ip["dma"])
        self._overlay = pynq.Overlay(str(bit))
        self._ip = self._overlay_member(ip_name, "ip.name", bit.name)
        self._dma = self._overlay_member(dma_name, "ip.dma", bit.name)
        self._num_samples_offset = int(deploy.ip["num_samples_offset"])
        self.in_words = deploy.input.words_per_sample
        self.out_words = deploy.output.words_per_sample
        limit = DEFAULT_MAX_BATCH if max_batch is None else int(max_batch)
        dma_bytes = getattr(self._dma, "buffer_max_size", None)
        if isinstance(dma_bytes, int) and dma_bytes > 0:
            limit = min(limit, dma_bytes // (4 * max(self.in_words, self.out_words)))
        if limit < 1:
            raise DeployError(f"max_batch must be >= 1 and the DMA must carry one sample "
                              f"({4 * max(self.in_words, self.out_words)} bytes), got a limit of {limit}")
        self.max_batch = limit
        self._buffers: tuple[Any, Any, int] | None = None
        self.name = f"pynq ({deploy.board_name}, {bit.relative_to(deploy.root)})"

    def _overlay_member(self, name: str, key: str, bit_name: str) -> Any:
        try:
            return getattr(self._overlay, name)
        except AttributeError:
            raise DeployError(f"the overlay {bit_name} has no IP '{name}' (model.json {key}): the bitstream does "
                              "not match model.json") from None

    def _buffers_for(self, n: int) -> tuple[Any, Any]:
        if self._buffers is None or self._buffers[2] != n:
            self._free()
            inbuf = self._pynq.allocate(shape=(n * self.in_words,), dtype=np.uint32)
            outbuf = self._pynq.allocate(shape=(n * self.out_words,), dtype=np.int32)
            self._buffers = (inbuf, outbuf, n)
        return self._buffers[0], self._buffers[1]

    def _set_num_samples(self, n: int) -> None:
        try:
            regs = self._ip.register_map
        except Exception:  # an IP without register information in the .hwh
            regs = None
        if regs is not None and hasattr(regs, "num_samples"):
            regs.num_samples = n
        else:
            self._ip.write(self._num_samples_offset, n)

    def _wait_idle(self) -> None:
        deadline = time.monotonic() + IDLE_TIMEOUT_S
        while not self._ip.read(0) & AP_IDLE:
            if time.monotonic() > deadline:
                raise DeployError(f"the IP did not become idle within {IDLE_TIMEOUT_S}s: reload the overlay")

    def _call(self, words: np.ndarray) -> np.ndarray:
        n = words.shape[0]
        inbuf, outbuf = self._buffers_for(n)
        inbuf[:] = words.reshape(-1)
        if hasattr(inbuf, "flush"):
            inbuf.flush()
        self._wait_idle()
        self._set_num_samples(n)
        self._ip.write(0x00, AP_START)
        self._dma.sendchannel.transfer(inbuf)
        self._dma.recvchannel.transfer(outbuf)
        self._dma.sendchannel.wait()
        self._dma.recvchannel.wait()
        if hasattr(outbuf, "invalidate"):
            outbuf.invalidate()
        return unpack_outputs(np.asarray(outbuf), self.out_words)

    def run(self, words: np.ndarray) -> np.ndarray:
        if self._overlay is None:
            raise DeployError("the pynq device is closed")
        w = _check_words(words, self.in_words)
        chunks = [self._call(w[i : i + self.max_batch]) for i in range(0, w.shape[0], self.max_batch)]
        return np.concatenate(chunks, axis=0)

    def _free(self) -> None:
        if self._buffers is not None:
            for buf in self._buffers[:2]:
                if hasattr(buf, "freebuffer"):
                    buf.freebuffer()
            self._buffers = None

    def close(self) -> None:
        self._free()
        self._overlay = None


def open_device(deploy: DeployInfo, device: str = "auto", max_batch: int | None = None) -> tuple[Device, str]:
    """(the device, why it was chosen) for ``device`` = "auto" | "pynq" | "emulated".

    auto: the PYNQ overlay when pynq imports, the deploy folder has a bitstream and pynq finds a board;
    otherwise the emulated device.
    """
    if device == "emulated":
        return EmulatedDevice(deploy), "requested"
    if device == "pynq":
        return PynqDevice(deploy, max_batch), "requested"
    if device != "auto":
        raise DeployError(f"device must be 'auto', 'pynq' or 'emulated', got {device!r}")
    if deploy.bitstream is None or not deploy.bitstream.is_file():
        why = "no bitstream in the deploy folder"
    else:
        found, why = board_found()
        if found:
            return PynqDevice(deploy, max_batch), "a board and a bitstream were found"
    return EmulatedDevice(deploy), why
