"""ctypes binding of the compiled C-simulation library of the generated top.

The library (``libsnn_csim.so``) is ``hls/csim_lib.cpp`` compiled with g++: the same top function as
synthesis behind a C ABI (see ``snn2fpga/codegen/templates/csim_lib.cpp.j2``). snn2fpga uses it for the
C-simulation check of a build; the board runtime uses it as the emulated device.

The RTL simulation library (``libsnn_rtlsim.so``, the Verilator model of the SystemVerilog top, see
``rtlsim_lib.cpp.j2``) has the same ABI plus ``snn_rtlsim_*`` entry points: :attr:`CSimLibrary.kind` says
which of the two was loaded, and the ``rtl`` methods set its random stalls and read its measured cycles.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snn2fpga_board.errors import DeployError

LIB_NAME = "libsnn_csim.so"
RUN_ERRORS = {
    1: "produced too few output words",
    2: "left input words unread",
    3: "produced extra words or a misplaced TLAST",
    4: "did not answer on AXI-Lite or never reported ap_done",
}


@dataclass
class CSimResult:
    """Outputs of one C-simulation run of n samples."""

    outputs: np.ndarray  # int32 [n, out_words]: readout membranes or spike counts
    taps: list[np.ndarray]  # per spiking layer: int32 [n, channels] spike counts
    stage_cycles: list[int]  # pipelined-loop iterations per stage, summed over the n samples
    stage_saturations: list[int]


class CSimLibrary:
    """ctypes binding of a compiled C-simulation library (see csim_lib.cpp.j2 for the ABI).

    Attributes:
        in_words: 32-bit input words per sample.
        out_words: 32-bit signed output words per sample.
        num_stages: dataflow stages of the top.
        tap_channels: channels of each spiking layer whose spike counts ``run`` can record.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self._lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise DeployError(f"cannot load C-simulation library {path}: {exc}") from None
        lib = self._lib
        try:
            for name in ("snn_in_words_per_sample", "snn_out_words_per_sample", "snn_num_stages", "snn_num_taps"):
                getattr(lib, name).restype = ctypes.c_int
            lib.snn_tap_channels.argtypes = [ctypes.c_int]
            lib.snn_stage_cycles.restype = ctypes.c_ulonglong
            lib.snn_stage_cycles.argtypes = [ctypes.c_int]
            lib.snn_stage_saturations.restype = ctypes.c_ulonglong
            lib.snn_stage_saturations.argtypes = [ctypes.c_int]
            lib.snn_run.restype = ctypes.c_int
            lib.snn_run.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        except AttributeError as exc:
            raise DeployError(f"{path} is not an snn2fpga C-simulation library: {exc}") from None
        self.in_words: int = lib.snn_in_words_per_sample()
        self.out_words: int = lib.snn_out_words_per_sample()
        self.num_stages: int = lib.snn_num_stages()
        self.tap_channels: list[int] = [lib.snn_tap_channels(t) for t in range(lib.snn_num_taps())]
        self.is_rtl: bool = hasattr(lib, "snn_rtlsim")
        if self.is_rtl:
            lib.snn_rtlsim_configure.argtypes = [ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulonglong]
            lib.snn_rtlsim_configure.restype = None
            lib.snn_rtlsim_cycles.restype = ctypes.c_ulonglong
            lib.snn_rtlsim_timestamps.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
            lib.snn_rtlsim_timestamps.restype = ctypes.c_uint

    @property
    def kind(self) -> str:
        """``rtlsim`` (Verilator model of the RTL top) or ``csim`` (C-simulation of the HLS top)."""
        return "rtlsim" if self.is_rtl else "csim"

    def _need_rtl(self) -> None:
        if not self.is_rtl:
            raise DeployError(f"{self.path} is a C-simulation library: it has no RTL cycle measurements")

    def configure_stalls(self, seed: int, in_gap_pct: int, out_stall_pct: int, max_idle_cycles: int) -> None:
        """RTL simulation only: random input gaps and output stalls (percent of cycles) of the next runs."""
        self._need_rtl()
        self._lib.snn_rtlsim_configure(seed & 0xFFFFFFFF, in_gap_pct, out_stall_pct, max_idle_cycles)

    def last_cycles(self) -> int:
        """RTL simulation only: clock cycles of the last run, from ap_start to its last output word."""
        self._need_rtl()
        return int(self._lib.snn_rtlsim_cycles())

    def timestamps(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """RTL simulation only: per sample of the last run, the cycle its first input word and its last
        output word were accepted."""
        self._need_rtl()
        first = np.zeros(n, dtype=np.uint64)
        last = np.zeros(n, dtype=np.uint64)
        k = self._lib.snn_rtlsim_timestamps(first.ctypes.data, last.ctypes.data, n)
        return first[:k].astype(np.int64), last[:k].astype(np.int64)

    def run(self, words: np.ndarray, with_taps: bool = True) -> CSimResult:
        """Run the top over host words [n, in_words] (uint32)."""
        w = np.ascontiguousarray(words, dtype=np.uint32)
        if w.ndim != 2 or w.shape[1] != self.in_words:
            raise DeployError(f"C-simulation input must be [samples, {self.in_words}] words, got {w.shape}")
        n = w.shape[0]
        out = np.zeros((n, self.out_words), dtype=np.int32)
        taps = np.zeros(n * sum(self.tap_channels), dtype=np.int32) if with_taps else None
        rc = self._lib.snn_run(w.ctypes.data, n, out.ctypes.data, taps.ctypes.data if taps is not None else None)
        if rc != 0:
            what = "RTL simulation" if self.is_rtl else "C-simulation"
            raise DeployError(f"{what} of the top failed: it {RUN_ERRORS.get(rc, f'returned {rc}')}")
        tap_list: list[np.ndarray] = []
        offset = 0
        for ch in self.tap_channels if taps is not None else []:
            tap_list.append(taps[offset : offset + n * ch].reshape(n, ch).copy())
            offset += n * ch
        return CSimResult(
            outputs=out, taps=tap_list,
            stage_cycles=[int(self._lib.snn_stage_cycles(s)) for s in range(self.num_stages)],
            stage_saturations=[int(self._lib.snn_stage_saturations(s)) for s in range(self.num_stages)],
        )
