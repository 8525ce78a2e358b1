"""HLS backends ("how") of the hardware ops: what each contributes to the generated C++.

A backend node has the op_type of its abstract op plus ``_hls`` (domain ``snn2fpga.ops.hls``) and
describes its layer config struct, its kernel call and its constant arrays as plain data; the Jinja
templates in :mod:`snn2fpga.codegen` turn that into C++. ``out_simd`` is the width of the stream the
node writes (its consumer's SIMD); the host-facing streams are 32-bit words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snn2fpga.ops.hw import DenseReadout, SpikeCounter, SpikeInput, SpikingDense

HLS_DOMAIN = "snn2fpga.ops.hls"
HOST_WORD_BITS = 32
_LEAK_ENUM = {"none": "::LEAK_NONE", "shift": "::LEAK_SHIFT", "mult": "::LEAK_MULT"}
_RESET_ENUM = {"subtract": "::RESET_SUBTRACT", "zero": "::RESET_ZERO"}


@dataclass
class StageCode:
    """What one dataflow stage contributes to the generated top (identifiers already sanitised).

    Attributes:
        ident: C++ identifier of the stage (from the node name).
        kernel: the header-only template to call, e.g. ``dense_lif``.
        in_type / out_type: C++ element types of the stage's input / output stream.
        fields: the config struct's static members as (C++ type, name, value) triples.
        typedefs: the config struct's typedefs as (C++ type, name) pairs.
        arrays: constant arrays as (C++ element type, name, dims, flat integer values).
        args: extra kernel arguments after the two streams (array identifiers).
        tap_channels: for spiking stages, how many neurons a csim spike-count tap sees (0: none).
    """

    ident: str
    kernel: str
    in_type: str
    out_type: str
    fields: list[tuple[str, str, str]]
    typedefs: list[tuple[str, str]] = field(default_factory=list)
    arrays: list[tuple[str, str, list[int], list[int]]] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    tap_channels: int = 0
    host_in_words: int = 0  # 32-bit words this stage reads from the host per sample (input stage only)
    host_out_words: int = 0  # 32-bit words this stage writes to the host per sample (readout stage only)


def _u(name: str, value: int) -> tuple[str, str, str]:
    return ("unsigned", name, str(int(value)))


class SpikeInput_hls(SpikeInput):  # noqa: N801  (FINN naming: <op>_hls)
    """rate_encoder / latency_encoder / spike_unpack of hls/snn_encoders.h."""

    def stage_code(self, ident: str, out_simd: int) -> StageCode:
        kind = self.get_nodeattr("kind")
        n_in, steps = int(self.get_nodeattr("IN")), int(self.get_nodeattr("T"))
        kernel = {"rate": "rate_encoder", "latency": "latency_encoder", "spikes": "spike_unpack"}[kind]
        words = -(-n_in // 4) if kind != "spikes" else steps * -(-n_in // HOST_WORD_BITS)
        return StageCode(
            ident=ident, kernel=kernel, in_type=f"ap_uint<{HOST_WORD_BITS}>", out_type=f"ap_uint<{out_simd}>",
            fields=[_u("IN", n_in), _u("SIMD", out_simd), _u("T", steps), _u("SEED", int(self.get_nodeattr("seed"))
                                                                                & 0xFFFFFFFF)],
            host_in_words=words,
        )


def _dense_fields(op: SpikingDense | DenseReadout, out_simd: int) -> list[tuple[str, str, str]]:
    g = op.get_nodeattr
    return [
        _u("IN", g("IN")), _u("OUT", g("OUT")), _u("SIMD", g("SIMD")), _u("PE", g("PE")), _u("OUT_SIMD", out_simd),
        _u("T", g("T")), _u("WEIGHT_BITS", g("weight_bits")), _u("STATE_BITS", g("state_bits")),
        ("LeakMode", "LEAK", _LEAK_ENUM[g("leak")]), _u("LEAK_SHIFT", g("leak_shift")), _u("BETA_Q", g("beta_q")),
        _u("BETA_FRAC_BITS", g("beta_frac_bits")), ("ResetMode", "RESET", _RESET_ENUM[g("reset")]),
    ]


def _dense_arrays(op: SpikingDense | DenseReadout, ident: str, weight: np.ndarray) -> list[Any]:
    g = op.get_nodeattr
    n_in, n_out = int(g("IN")), int(g("OUT"))
    w = np.rint(np.asarray(weight)).astype(np.int64).T  # [OUT, IN]
    arrays = [(f"{ident}_cfg::weight_t", f"{ident}_weights", [n_out, n_in], w.ravel().tolist())]
    if op.spiking:
        arrays.append((f"{ident}_cfg::state_t", f"{ident}_thresholds", [n_out], [int(t) for t in g("threshold")]))
    return arrays


_DENSE_TYPEDEFS = [("ap_int<WEIGHT_BITS>", "weight_t"), ("ap_int<STATE_BITS>", "state_t")]


class SpikingDense_hls(SpikingDense):  # noqa: N801
    """dense_lif of hls/snn_dense.h."""

    def stage_code(self, ident: str, out_simd: int, weight: np.ndarray) -> StageCode:
        return StageCode(
            ident=ident, kernel="dense_lif", in_type=f"ap_uint<{int(self.get_nodeattr('SIMD'))}>",
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


HLS_OPS = (SpikeInput_hls, SpikingDense_hls, DenseReadout_hls, SpikeCounter_hls)
__all__ = ["DenseReadout_hls", "SpikeCounter_hls", "SpikeInput_hls", "SpikingDense_hls"]
