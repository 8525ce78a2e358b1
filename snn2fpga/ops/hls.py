"""HLS backends ("how") of the hardware ops: what each contributes to the generated C++.

A backend node has the op_type of its abstract op plus ``_hls`` (domain ``snn2fpga.ops.hls``) and
inherits its abstract op's ``hw_facts`` (the HLS cycle and resource formulas, :mod:`snn2fpga.hwir`); it
describes its layer config struct, its kernel call and its constant arrays as plain data; the Jinja
templates in :mod:`snn2fpga.codegen` turn that into C++. ``out_simd`` is the width of the stream the
node writes (its consumer's SIMD); the host-facing streams are 32-bit words.

The constant arrays (ROMs: weights, thresholds) have the element types ``weight_rom_t`` /
``state_rom_t`` of the config, ``snn_rom<BITS>::type`` of hls/snn_common.h: ``ap_int<BITS>`` under
synthesis (unchanged ROM width), a plain C integer in C-simulation (an ``ap_int`` initializer of 0.5M
weights takes g++ more than 12 minutes; a plain one, seconds). Every value is checked to fit its
signed width here: the kernels read a ROM element as ``ap_int<BITS>``, so a value out of range would
wrap (in C-simulation and in hardware alike) instead of matching the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.spec import Backend
from snn2fpga.ops.hw import DenseReadout, SpikeCounter, SpikeInput, SpikingDense
from snn2fpga.ops.hw_maps import SpikePool, SpikingConv

HLS_DOMAIN = Backend.HLS.domain
HOST_WORD_BITS = 32
_LEAK_ENUM = {"none": "::LEAK_NONE", "shift": "::LEAK_SHIFT", "mult": "::LEAK_MULT"}
_RESET_ENUM = {"subtract": "::RESET_SUBTRACT", "zero": "::RESET_ZERO"}
RomArray = tuple[str, str, list[int], list[int]]  # (C++ element type, name, dims, flat integer values)


@dataclass
class StageCode:
    """What one dataflow stage contributes to the generated top (identifiers already sanitised).

    Attributes:
        ident: C++ identifier of the stage (from the node name).
        kernel: the header-only template to call, e.g. ``dense_lif``.
        in_type / out_type: C++ element types of the stage's input / output stream.
        fields: the config struct's static members as (C++ type, name, value) triples.
        typedefs: the config struct's typedefs as (C++ type, name) pairs.
        arrays: constant arrays (ROMs) as (C++ element type, name, dims, flat integer values).
        args: extra kernel arguments after the two streams (array identifiers).
        tap_channels: for spiking stages, how many neurons a csim spike-count tap sees (0: none).
    """

    ident: str
    kernel: str
    in_type: str
    out_type: str
    fields: list[tuple[str, str, str]]
    typedefs: list[tuple[str, str]] = field(default_factory=list)
    arrays: list[RomArray] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    tap_channels: int = 0
    tap_maps: list[int] = field(default_factory=list)  # [C, H, W] when the tapped stream is an NHWC map
    host_in_words: int = 0  # 32-bit words this stage reads from the host per sample (input stage only)
    host_out_words: int = 0  # 32-bit words this stage writes to the host per sample (readout stage only)


def _u(name: str, value: int) -> tuple[str, str, str]:
    return ("unsigned", name, str(int(value)))


class SpikeInput_hls(SpikeInput):  # noqa: N801  (FINN naming: <op>_hls)
    """rate_encoder / latency_encoder / spike_unpack of hls/snn_encoders.h, iq_encoder / iq_frame_encoder of
    hls/snn_iq.h."""

    def stage_code(self, ident: str, out_simd: int, event: bool = True) -> StageCode:
        """``event``: an iq input feeds an event-driven conv (one event word per timestep), else frames."""
        kind = self.get_nodeattr("kind")
        n_in, steps = int(self.get_nodeattr("IN")), int(self.get_nodeattr("T"))
        if kind == "iq":  # two 8-bit codes per timestep, two timesteps per host word
            grid = int(self.get_nodeattr("G"))
            if event:  # one event word per timestep
                return StageCode(
                    ident=ident, kernel="iq_encoder", in_type=f"ap_uint<{HOST_WORD_BITS}>", out_type="ap_uint<16>",
                    fields=[_u("T", steps), _u("G", grid)], host_in_words=-(-steps // 2),
                )
            return StageCode(  # the one-hot plane, raster order, out_simd pixels per word
                ident=ident, kernel="iq_frame_encoder", in_type=f"ap_uint<{HOST_WORD_BITS}>",
                out_type=f"ap_uint<{out_simd}>", fields=[_u("T", steps), _u("G", grid), _u("SIMD", out_simd)],
                host_in_words=-(-steps // 2),
            )
        kernel = {"rate": "rate_encoder", "latency": "latency_encoder", "spikes": "spike_unpack"}[kind]
        words = -(-n_in // 4) if kind != "spikes" else steps * -(-n_in // HOST_WORD_BITS)
        return StageCode(
            ident=ident, kernel=kernel, in_type=f"ap_uint<{HOST_WORD_BITS}>", out_type=f"ap_uint<{out_simd}>",
            fields=[_u("IN", n_in), _u("SIMD", out_simd), _u("T", steps), _u("SEED", int(self.get_nodeattr("seed"))
                                                                                & 0xFFFFFFFF)],
            host_in_words=words,
        )


def _neuron_fields(op: Any) -> list[tuple[str, str, str]]:
    """The neuron part of a config struct: LIF/IF/LI leak and reset, or the DCLL trace shifts."""
    g = op.get_nodeattr
    if g("neuron") == "dcll":
        return [_u("KQ", g("kq")), _u("KP", g("kp")), _u("KR", g("kr")), ("unsigned", "RHO", f"{int(g('rho'))}u"),
                _u("FRAC_BITS", g("frac_bits"))]
    return [
        ("LeakMode", "LEAK", _LEAK_ENUM[g("leak")]), _u("LEAK_SHIFT", g("leak_shift")), _u("BETA_Q", g("beta_q")),
        _u("BETA_FRAC_BITS", g("beta_frac_bits")), ("ResetMode", "RESET", _RESET_ENUM[g("reset")]),
    ]


def _dense_fields(op: SpikingDense | DenseReadout, out_simd: int) -> list[tuple[str, str, str]]:
    g = op.get_nodeattr
    return [
        _u("IN", g("IN")), _u("OUT", g("OUT")), _u("SIMD", g("SIMD")), _u("PE", g("PE")), _u("OUT_SIMD", out_simd),
        _u("T", g("T")), _u("WEIGHT_BITS", g("weight_bits")), _u("STATE_BITS", g("state_bits")), *_neuron_fields(op),
    ]


def nhwc_order(in_maps: list[int]) -> np.ndarray:
    """For a dense layer reading a flattened [C, H, W] map streamed NHWC: the C-major input index of
    every stream position (stream position (y*W + x)*C + c holds input c*H*W + y*W + x)."""
    chans, height, width = in_maps
    return np.arange(chans * height * width).reshape(chans, height, width).transpose(1, 2, 0).ravel()


def _rom(ident: str, what: str, rom_t: str, dims: list[int], values: Any, bits: int) -> RomArray:
    """One constant array of the stage ``ident`` (``what``: weights | thresholds) whose element type is the
    config's ``rom_t``; every value must fit the signed ``bits`` range (the ap type it stands for)."""
    flat = np.asarray(values, dtype=np.int64).ravel()
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if flat.size and (int(flat.min()) < lo or int(flat.max()) > hi):
        raise SNN2FPGAError(f"stage '{ident}': {what} range [{int(flat.min())}, {int(flat.max())}] does not fit "
                            f"{bits}-bit signed integers [{lo}, {hi}]")
    return (f"{ident}_cfg::{rom_t}", f"{ident}_{what}", dims, flat.tolist())


def _dense_arrays(op: SpikingDense | DenseReadout, ident: str, weight: np.ndarray) -> list[RomArray]:
    g = op.get_nodeattr
    n_in, n_out = int(g("IN")), int(g("OUT"))
    w = np.rint(np.asarray(weight)).astype(np.int64).T  # [OUT, IN], inputs in graph (C-major) order
    maps = [int(d) for d in g("in_maps")]
    if maps:  # the kernel sees the inputs in stream (NHWC) order
        w = w[:, nhwc_order(maps)]
    arrays = [_rom(ident, "weights", "weight_rom_t", [n_out, n_in], w, int(g("weight_bits")))]
    if op.spiking:
        arrays.append(_rom(ident, "thresholds", "state_rom_t", [n_out], g("threshold"), int(g("state_bits"))))
    return arrays


# weight_t / state_t: the values' ap types; weight_rom_t / state_rom_t: the ROM element types (snn_rom).
_DENSE_TYPEDEFS = [("ap_int<WEIGHT_BITS>", "weight_t"), ("ap_int<STATE_BITS>", "state_t"),
                   ("snn_rom<WEIGHT_BITS>::type", "weight_rom_t"), ("snn_rom<STATE_BITS>::type", "state_rom_t")]


class SpikingDense_hls(SpikingDense):  # noqa: N801
    """dense_lif of hls/snn_dense.h (dense_dcll of hls/snn_conv.h for DCLL neurons)."""

    def stage_code(self, ident: str, out_simd: int, weight: np.ndarray) -> StageCode:
        kernel = "dense_dcll" if self.get_nodeattr("neuron") == "dcll" else "dense_lif"
        return StageCode(
            ident=ident, kernel=kernel, in_type=f"ap_uint<{int(self.get_nodeattr('SIMD'))}>",
            out_type=f"ap_uint<{out_simd}>", fields=_dense_fields(self, out_simd), typedefs=_DENSE_TYPEDEFS,
            arrays=_dense_arrays(self, ident, weight), args=[f"{ident}_weights", f"{ident}_thresholds"],
            tap_channels=int(self.get_nodeattr("OUT")),
        )


class DenseReadout_hls(DenseReadout):  # noqa: N801
    """dense_li of hls/snn_dense.h: emits the OUT final membranes per sample."""

    def stage_code(self, ident: str, out_simd: int, weight: np.ndarray) -> StageCode:
        return StageCode(
            ident=ident, kernel="dense_li", in_type=f"ap_uint<{int(self.get_nodeattr('SIMD'))}>",
            out_type=f"ap_int<{HOST_WORD_BITS}>", fields=_dense_fields(self, 1), typedefs=_DENSE_TYPEDEFS,
            arrays=_dense_arrays(self, ident, weight), args=[f"{ident}_weights"],
            host_out_words=int(self.get_nodeattr("OUT")),
        )


class SpikeCounter_hls(SpikeCounter):  # noqa: N801
    """spike_counter of hls/snn_readout.h: emits the C spike counts per sample."""

    def stage_code(self, ident: str, out_simd: int) -> StageCode:
        chans, simd = int(self.get_nodeattr("C")), int(self.get_nodeattr("SIMD"))
        return StageCode(
            ident=ident, kernel="spike_counter", in_type=f"ap_uint<{simd}>", out_type=f"ap_int<{HOST_WORD_BITS}>",
            fields=[_u("C", chans), _u("SIMD", simd), _u("T", self.get_nodeattr("T"))], host_out_words=chans,
        )


class SpikingConv_hls(SpikingConv):  # noqa: N801
    """conv_neuron (frame-buffered) or conv_event_neuron (one input event per timestep) of hls/snn_conv.h."""

    def stage_code(self, ident: str, out_simd: int, weight: np.ndarray) -> StageCode:
        g = self.get_nodeattr
        event = int(g("event")) == 1
        cout, cin, k = int(g("COUT")), int(g("CIN")), int(g("K"))
        ho, wo = self.out_hw()
        w = np.rint(np.asarray(weight)).astype(np.int64).transpose(0, 2, 3, 1).reshape(cout, k * k * cin)
        neuron = "::NEURON_DCLL" if g("neuron") == "dcll" else "::NEURON_LIF"
        fields = [
            _u("H", g("H")), _u("W", g("W")), _u("CIN", cin), _u("COUT", cout), _u("K", k), _u("STRIDE", g("STRIDE")),
            _u("PAD", g("PAD")), _u("SIMD", g("SIMD")), _u("PE", g("PE")), _u("OUT_SIMD", out_simd), _u("T", g("T")),
            _u("WEIGHT_BITS", g("weight_bits")), _u("STATE_BITS", g("state_bits")),
            ("NeuronKind", "NEURON", neuron), *_neuron_fields(self),
        ]
        return StageCode(
            ident=ident, kernel="conv_event_neuron" if event else "conv_neuron",
            in_type="ap_uint<16>" if event else f"ap_uint<{int(g('SIMD'))}>", out_type=f"ap_uint<{out_simd}>",
            fields=fields, typedefs=_DENSE_TYPEDEFS,
            arrays=[_rom(ident, "weights", "weight_rom_t", [cout, k * k * cin], w, int(g("weight_bits"))),
                    _rom(ident, "thresholds", "state_rom_t", [cout], g("threshold"), int(g("state_bits")))],
            args=[f"{ident}_weights", f"{ident}_thresholds"], tap_channels=cout * ho * wo, tap_maps=[cout, ho, wo],
        )


class SpikePool_hls(SpikePool):  # noqa: N801
    """maxpool_or of hls/snn_conv.h: its output words are as wide as its input words (SIMD)."""

    def stage_code(self, ident: str, out_simd: int) -> StageCode:
        g = self.get_nodeattr
        simd = int(g("SIMD"))
        if out_simd != simd:
            raise SNN2FPGAError(f"pool '{ident}': its consumer reads {out_simd}-bit words but the pool emits {simd}")
        return StageCode(
            ident=ident, kernel="maxpool_or", in_type=f"ap_uint<{simd}>", out_type=f"ap_uint<{simd}>",
            fields=[_u("H", g("H")), _u("W", g("W")), _u("C", g("C")), _u("K", g("K")), _u("SIMD", simd),
                    _u("T", g("T"))],
        )


HLS_OPS = (SpikeInput_hls, SpikingDense_hls, DenseReadout_hls, SpikeCounter_hls, SpikingConv_hls, SpikePool_hls)
__all__ = ["DenseReadout_hls", "SpikeCounter_hls", "SpikeInput_hls", "SpikePool_hls", "SpikingConv_hls",
           "SpikingDense_hls"]
