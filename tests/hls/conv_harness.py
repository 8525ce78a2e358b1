"""Build and run the conv/pool/DCLL/I-Q testbench (hls/tb/tb_conv.cpp) from Python.

Same approach as tb_harness.py (many cases per binary, content-hash cache, one g++ run per group, the
same compiler flags), with the config structs of hls/snn_conv.h, hls/snn_neurons.h and hls/snn_iq.h,
their documented cycle models, and the layout conversions between the reference (NCHW, PyTorch weight
order) and the kernels' streams (NHWC, weights [COUT][K*K*CIN]).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from snn2fpga.semantics import LeakMode, NeuronParams, NeuronTrace, ResetMode, run_neurons
from snn2fpga.semantics.conv import conv_currents, conv_out_size
from snn2fpga.semantics.dcll import DCLLParams, run_dcll
from tests.hls.tb_harness import (
    HLS_DIR,
    STATE_ROM,
    WEIGHT_ROM,
    Case,
    build_cached,
    config_header,
    dense_cycles,
    type_lines,
)
from tests.hls.tb_harness import compile_cmd as tb_compile_cmd

TB_CONV_SRC = HLS_DIR / "tb" / "tb_conv.cpp"

_LEAK_CPP = {LeakMode.NONE: "LEAK_NONE", LeakMode.SHIFT: "LEAK_SHIFT", LeakMode.MULT: "LEAK_MULT"}
_RESET_CPP = {ResetMode.SUBTRACT: "RESET_SUBTRACT", ResetMode.ZERO: "RESET_ZERO"}


@dataclass(frozen=True)
class NeuronCfg:
    """The neuron fields of a layer config: LIF/IF (leak, reset) or DCLL (kq, kp, kr, rho)."""

    kind: str = "lif"  # "lif" | "dcll"
    leak: LeakMode = LeakMode.NONE
    leak_shift: int = 0
    beta_q: int = 0
    beta_frac_bits: int = 0
    reset: ResetMode = ResetMode.SUBTRACT
    kq: int = 1
    kp: int = 1
    kr: int = 1
    rho: int = 0
    frac: int = 0

    def cpp_fields(self) -> str:
        """Only the fields of the selected neuron (the kernels must not need the others)."""
        if self.kind == "dcll":
            return (
                "    static const NeuronKind NEURON = NEURON_DCLL;\n"
                f"    static const unsigned KQ = {self.kq}, KP = {self.kp}, KR = {self.kr}, RHO = {self.rho}u;\n"
                f"    static const unsigned FRAC_BITS = {self.frac};\n"
            )
        return (
            "    static const NeuronKind NEURON = NEURON_LIF;\n"
            f"    static const LeakMode LEAK = ::{_LEAK_CPP[self.leak]};\n"
            f"    static const unsigned LEAK_SHIFT = {self.leak_shift};\n"
            f"    static const unsigned BETA_Q = {self.beta_q}, BETA_FRAC_BITS = {self.beta_frac_bits};\n"
            f"    static const ResetMode RESET = ::{_RESET_CPP[self.reset]};\n"
        )

    def run(self, currents: npt.ArrayLike, theta: npt.ArrayLike, state_bits: int) -> NeuronTrace:
        """The reference neuron update over currents [T, B, N] with thresholds [N]."""
        if self.kind == "dcll":
            return run_dcll(currents, theta, DCLLParams(state_bits, self.kq, self.kp, self.kr, self.rho, self.frac))
        p = NeuronParams(leak=self.leak, state_bits=state_bits, reset=self.reset, leak_shift=self.leak_shift,
                         beta_q=self.beta_q, beta_frac_bits=self.beta_frac_bits)
        return run_neurons(currents, theta, p)


@dataclass(frozen=True)
class ConvCfg:
    """One conv layer's config struct (field names as in hls/snn_conv.h)."""

    h: int
    w: int
    cin: int
    cout: int
    k: int
    stride: int
    pad: int
    simd: int
    pe: int
    out_simd: int
    timesteps: int
    weight_bits: int
    state_bits: int
    neuron: NeuronCfg = NeuronCfg()
    weight_rom: str = WEIGHT_ROM  # C++ element type of the weight ROM
    state_rom: str = STATE_ROM  # C++ element type of the threshold ROM

    @property
    def ho(self) -> int:
        return conv_out_size(self.h, self.k, self.stride, self.pad)

    @property
    def wo(self) -> int:
        return conv_out_size(self.w, self.k, self.stride, self.pad)

    @property
    def neurons(self) -> int:
        return self.cout * self.ho * self.wo

    def cpp(self, name: str) -> str:
        return (
            f"struct {name} {{\n"
            f"    static const unsigned H = {self.h}, W = {self.w}, CIN = {self.cin}, COUT = {self.cout};\n"
            f"    static const unsigned K = {self.k}, STRIDE = {self.stride}, PAD = {self.pad};\n"
            f"    static const unsigned SIMD = {self.simd}, PE = {self.pe}, OUT_SIMD = {self.out_simd};\n"
            f"    static const unsigned T = {self.timesteps};\n"
            f"    static const unsigned WEIGHT_BITS = {self.weight_bits}, STATE_BITS = {self.state_bits};\n"
            f"{self.neuron.cpp_fields()}"
            f"{type_lines(self.weight_rom, self.state_rom)}"
            "};\n"
        )

    def cycles_conv(self) -> int:
        """Documented cycle model of conv_neuron, per sample."""
        pix = self.ho * self.wo
        sf = self.k * self.k * self.cin // self.simd
        per_t = self.h * self.w * self.cin // self.simd + pix * (self.cout // self.pe) * sf
        return self.timesteps * (per_t + pix * self.cout // self.out_simd)

    def cycles_event(self) -> int:
        """Documented cycle model of conv_event_neuron, per sample."""
        pix = self.ho * self.wo
        return self.timesteps * (pix * (self.cout // self.pe) + pix * self.cout // self.out_simd)

    def reference(self, spikes: npt.ArrayLike, weight: npt.ArrayLike, theta: npt.ArrayLike) -> NeuronTrace:
        """conv_currents + the neuron reference; spikes [T, B, CIN, H, W], weight [COUT, CIN, K, K].

        The trace's spikes are reshaped back to [T, B, COUT, HO, WO]; v_final stays [B, COUT*HO*WO].
        """
        cur = conv_currents(spikes, weight, self.stride, self.pad)
        t, b = cur.shape[:2]
        tr = self.neuron.run(cur.reshape(t, b, -1), np.repeat(np.asarray(theta), self.ho * self.wo),
                             self.state_bits)
        tr.spikes = tr.spikes.reshape(cur.shape)
        return tr


@dataclass(frozen=True)
class PoolCfg:
    """One maxpool_or config struct."""

    h: int
    w: int
    c: int
    k: int
    simd: int
    timesteps: int

    @property
    def ho(self) -> int:
        return conv_out_size(self.h, self.k, self.k, 0)

    @property
    def wo(self) -> int:
        return conv_out_size(self.w, self.k, self.k, 0)

    def cpp(self, name: str) -> str:
        return (f"struct {name} {{\n    static const unsigned H = {self.h}, W = {self.w}, C = {self.c}, "
                f"K = {self.k}, SIMD = {self.simd}, T = {self.timesteps};\n}};\n")

    def cycles(self) -> int:
        """Documented cycle model of maxpool_or, per sample."""
        return self.timesteps * self.h * self.w * self.c // self.simd


@dataclass(frozen=True)
class IqCfg:
    """One I/Q encoder config struct (SIMD used by iq_frame_encoder only)."""

    timesteps: int
    grid: int
    simd: int = 1

    def cpp(self, name: str) -> str:
        return (f"struct {name} {{\n    static const unsigned T = {self.timesteps}, G = {self.grid}, "
                f"SIMD = {self.simd};\n}};\n")

    def cycles_events(self) -> int:
        """Documented cycle model of iq_encoder, per sample."""
        return self.timesteps

    def cycles_frames(self) -> int:
        """Documented cycle model of iq_frame_encoder, per sample."""
        return self.timesteps * self.grid * self.grid // self.simd


@dataclass(frozen=True)
class DcllDenseCfg:
    """One dense_dcll config struct."""

    n_in: int
    n_out: int
    simd: int
    pe: int
    out_simd: int
    timesteps: int
    weight_bits: int
    state_bits: int
    kq: int = 1
    kp: int = 1
    kr: int = 1
    rho: int = 0
    frac: int = 0

    @property
    def neuron(self) -> NeuronCfg:
        return NeuronCfg("dcll", kq=self.kq, kp=self.kp, kr=self.kr, rho=self.rho, frac=self.frac)

    def cpp(self, name: str) -> str:
        return (
            f"struct {name} {{\n"
            f"    static const unsigned IN = {self.n_in}, OUT = {self.n_out};\n"
            f"    static const unsigned SIMD = {self.simd}, PE = {self.pe}, OUT_SIMD = {self.out_simd};\n"
            f"    static const unsigned T = {self.timesteps};\n"
            f"    static const unsigned WEIGHT_BITS = {self.weight_bits}, STATE_BITS = {self.state_bits};\n"
            f"    static const unsigned KQ = {self.kq}, KP = {self.kp}, KR = {self.kr}, RHO = {self.rho}u;\n"
            f"    static const unsigned FRAC_BITS = {self.frac};\n"
            f"{type_lines()}"
            "};\n"
        )

    def cycles(self) -> int:
        """Documented cycle model of dense_dcll, per sample (that of dense_lif)."""
        return dense_cycles(self.n_in, self.n_out, self.simd, self.pe, self.out_simd, self.timesteps)


# ---------------------------------------------------------------------------------------------------
# Layout conversions between the reference and the kernels' streams.
# ---------------------------------------------------------------------------------------------------


def kernel_weights(weight: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """[COUT, CIN, K, K] (reference) -> [COUT, K*K*CIN] (kernel order, index (ky*K + kx)*CIN + ci)."""
    w = np.asarray(weight, dtype=np.int64)
    return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)


def nhwc(spikes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """[T, B, C, H, W] spike maps -> [B, T, H*W*C]: per sample and timestep, the stream's (y, x, c) order."""
    s = np.asarray(spikes, dtype=np.int64)
    t, b = s.shape[:2]
    return s.transpose(1, 0, 3, 4, 2).reshape(b, t, -1)


def iq_words(codes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Signed 8-bit codes [B, T, 2] -> [B, ceil(T/2)] host words (I(2k), Q(2k), I(2k+1), Q(2k+1) bytes)."""
    c = np.asarray(codes, dtype=np.int64) & 0xFF
    b, t, _ = c.shape
    padded = np.zeros((b, -(-t // 2) * 2, 2), dtype=np.int64)
    padded[:, :t] = c
    return padded.reshape(b, -1, 4) @ (np.int64(1) << (8 * np.arange(4, dtype=np.int64)))


# ---------------------------------------------------------------------------------------------------
# Build.
# ---------------------------------------------------------------------------------------------------


def compile_cmd(ap_types: Path, cfg_dir: Path, exe: Path, *extra: str) -> list[str]:
    """The g++ command line of the conv testbench (the flags of tb_harness.py)."""
    return tb_compile_cmd(TB_CONV_SRC, ap_types, cfg_dir, exe, *extra)


def build_conv_testbenches(groups: Sequence[Sequence[Case]], ap_types: Path,
                           extra: Sequence[str] = ()) -> list[Path]:
    """One tb_conv binary per group of cases (cached, built concurrently: tb_harness.build_cached)."""
    return build_cached(TB_CONV_SRC, [config_header(cases) for cases in groups], ap_types,
                        prefix="conv-hw-" if extra else "conv-", extra=extra)
