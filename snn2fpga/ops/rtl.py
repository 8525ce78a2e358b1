"""RTL backends ("how", SystemVerilog) of the hardware ops: what each contributes to the generated top.

A backend node has the op_type of its abstract op plus ``_rtl`` (domain ``snn2fpga.ops.rtl``), as FINN's
``MVAU_rtl`` beside ``MVAU_hls``. Its :meth:`rtl_stage` describes the module instance of the stage as
plain data (module name, parameters, ROM files, stream widths); :mod:`snn2fpga.codegen.rtl_generate`
renders the top from it with Jinja. The modules live in the repository's ``rtl/`` folder and compute the
same integers as the HLS kernels: the streams between stages have the same formats (the consumer's SIMD
spikes per word, 32-bit host words), so the host protocol and the board driver do not change.

:meth:`rtl_unsupported` says why a node has no RTL implementation (None when it has one):
``SpecializeLayers`` uses it to pick a backend (``auto``) or to refuse ``--backend rtl`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

from snn2fpga.hwir.facts import StageFacts
from snn2fpga.hwir.rtl_facts import (
    DenseReadoutRtlFacts,
    SpikeCounterRtlFacts,
    SpikeInputRtlFacts,
    SpikingDenseRtlFacts,
)
from snn2fpga.hwir.spec import Backend
from snn2fpga.ops.hls import HOST_WORD_BITS, nhwc_order
from snn2fpga.ops.hw import DenseReadout, SpikeCounter, SpikeInput, SpikingDense

RTL_DOMAIN = Backend.RTL.domain
RTL_SUFFIX = Backend.RTL.suffix
LEAK_CODES = {"none": 0, "shift": 1, "mult": 2}  # the LEAK parameter of the neuron modules (rtl/)
RESET_CODES = {"subtract": 0, "zero": 1}  # the RESET parameter


class RomLayout(StrEnum):
    """How a ROM's integers are packed into ``$readmemh`` words (snn2fpga.codegen.rtl_rom writes them)."""

    DENSE_WEIGHTS = "dense_weights"  # [OUT, IN] -> NF*SF words of PE*SIMD weights
    CONV_WEIGHTS = "conv_weights"  # [COUT, CIN, K, K] -> NF*SF words of PE*SIMD weights, (ky, kx, cin) order
    THRESHOLDS = "thresholds"  # [OUT] -> NF words of PE thresholds


@dataclass
class RomFile:
    """One ``$readmemh`` file of a stage: the module parameter that names it, its file name, its integers
    (signed, ``bits`` wide), the folding they are packed for, and the packing."""

    param: str
    name: str
    values: np.ndarray
    layout: RomLayout
    bits: int
    pe: int = 1
    simd: int = 1


@dataclass
class RtlStage:
    """What one dataflow stage contributes to the generated SystemVerilog top.

    Attributes:
        ident: identifier of the stage (from the node name, sanitised).
        module: the module in ``rtl/`` to instantiate.
        params: its integer parameters, in declaration order, as (name, value).
        in_width / out_width: bits of a word of the input / output stream.
        roms: the ``$readmemh`` files of its ROMs (weights, thresholds).
        sources: the ``rtl/`` files the module needs (itself and what it instantiates).
        timesteps: T.
        tap_channels / tap_maps: spikes per timestep on the output stream that the rtlsim counts per
            neuron (0: not a spiking stage), and the [C, H, W] map when that stream is NHWC.
        host_in_words / host_out_words: 32-bit host words per sample read (input stage) or written (readout).
        out_words: words per timestep on the output stream when no tap says it (a pool): sizes its FIFO.
    """

    ident: str
    module: str
    params: list[tuple[str, int]]
    in_width: int
    out_width: int
    sources: list[str]
    timesteps: int
    roms: list[RomFile] = field(default_factory=list)
    tap_channels: int = 0
    tap_maps: list[int] = field(default_factory=list)
    host_in_words: int = 0
    host_out_words: int = 0
    out_words: int = 0


class RtlOp:
    """What every RTL backend op has: :meth:`rtl_unsupported`, None when its module builds this node's
    configuration (a backend that cannot build some configuration overrides it with the reason)."""

    def rtl_unsupported(self) -> str | None:
        return None


def attr_int(op: Any, name: str) -> int:
    """An integer node attribute of ``op``."""
    return int(op.get_nodeattr(name))


class SpikeInput_rtl(RtlOp, SpikeInput):  # noqa: N801  (FINN naming: <op>_rtl)
    """snn_rate_encoder / snn_latency_encoder / snn_spike_unpack (rtl/)."""

    hw_facts: ClassVar[type[StageFacts]] = SpikeInputRtlFacts


    def rtl_stage(self, ident: str, out_simd: int, event: bool = False) -> RtlStage:
        """``event``: the consumer is an event-driven convolution (kind iq: one event word per timestep)."""
        kind = self.get_nodeattr("kind")
        n_in, steps = attr_int(self, "IN"), attr_int(self, "T")
        if kind == "iq":
            grid = attr_int(self, "G")
            module = "snn_iq_encoder" if event else "snn_iq_frame_encoder"
            params = [("T", steps), ("G", grid)] + ([] if event else [("SIMD", out_simd)])
            return RtlStage(ident=ident, module=module, params=params, in_width=HOST_WORD_BITS,
                            out_width=16 if event else out_simd, sources=[f"{module}.sv"], timesteps=steps,
                            host_in_words=-(-steps // 2))
        module = {"rate": "snn_rate_encoder", "latency": "snn_latency_encoder", "spikes": "snn_spike_unpack"}[kind]
        params = [("IN", n_in), ("SIMD", out_simd), ("T", steps)]
        if kind == "rate":
            params.append(("SEED", attr_int(self, "seed") & 0xFFFFFFFF))
        words = steps * -(-n_in // HOST_WORD_BITS) if kind == "spikes" else -(-n_in // 4)
        return RtlStage(ident=ident, module=module, params=params, in_width=HOST_WORD_BITS, out_width=out_simd,
                        sources=[f"{module}.sv"], timesteps=steps, host_in_words=words)

    def rtl_host_words(self) -> int:
        """32-bit host words per sample (features: 4 per word; spikes: ceil(IN/32) per timestep; I/Q: two
        (I, Q) byte pairs per word)."""
        n_in, steps = attr_int(self, "IN"), attr_int(self, "T")
        if self.get_nodeattr("kind") == "iq":
            return -(-steps // 2)
        return steps * -(-n_in // HOST_WORD_BITS) if self.get_nodeattr("kind") == "spikes" else -(-n_in // 4)

    def rtl_interval(self, out_simd: int, event: bool = False) -> int:
        """Cycles per sample when never starved nor blocked (rtl/ kernel headers)."""
        if self.get_nodeattr("kind") == "iq":  # one event per cycle, or the frame's words one per cycle
            grid = attr_int(self, "G")
            return attr_int(self, "T") * (1 if event else grid * grid // out_simd)
        n_in, steps, folds = attr_int(self, "IN"), attr_int(self, "T"), attr_int(self, "IN") // out_simd
        if self.get_nodeattr("kind") == "spikes":
            return steps * max(-(-n_in // HOST_WORD_BITS), folds)
        return max(-(-n_in // 4), steps * folds)

    def rtl_schedule(self, inp: Any, out_simd: int, event: bool = False) -> Any:
        """Output timing of this stage for the input timing ``inp`` (snn2fpga.estimate.rtl_schedule)."""
        from snn2fpga.estimate.rtl_schedule import encoder_schedule, iq_schedule, unpack_schedule

        if self.get_nodeattr("kind") == "iq":
            grid = attr_int(self, "G")
            return iq_schedule(inp, attr_int(self, "T"), 1 if event else grid * grid // out_simd)
        n_in, steps, folds = attr_int(self, "IN"), attr_int(self, "T"), attr_int(self, "IN") // out_simd
        if self.get_nodeattr("kind") == "spikes":
            return unpack_schedule(inp, -(-n_in // HOST_WORD_BITS), folds, steps)
        return encoder_schedule(inp, -(-n_in // 4), folds, steps)


def _iterations(op: Any) -> int:
    """P = NF*SF = (OUT/PE) * (IN/SIMD): the engine's iterations per timestep (one per cycle)."""
    return (attr_int(op, "OUT") // attr_int(op, "PE")) * (attr_int(op, "IN") // attr_int(op, "SIMD"))


def _neuron_params(op: Any) -> list[tuple[str, int]]:
    """LEAK / LEAK_SHIFT / BETA_Q / BETA_FRAC_BITS, and RESET for a spiking neuron (the LI readout has none).
    Unused leak fields get the modules' legal defaults (LEAK_SHIFT >= 1, BETA_FRAC_BITS >= 1)."""
    leak = str(op.get_nodeattr("leak"))
    params = [("LEAK", LEAK_CODES[leak]), ("LEAK_SHIFT", attr_int(op, "leak_shift") if leak == "shift" else 1),
              ("BETA_Q", attr_int(op, "beta_q") if leak == "mult" else 0),
              ("BETA_FRAC_BITS", attr_int(op, "beta_frac_bits") if leak == "mult" else 1)]
    if op.spiking:
        params.append(("RESET", RESET_CODES[op.get_nodeattr("reset")]))
    return params


def _dense_weights(op: Any, weight: np.ndarray) -> np.ndarray:
    """[OUT, IN] integer weights in the order the kernel sees its inputs (NHWC for a flattened map)."""
    w = np.rint(np.asarray(weight)).astype(np.int64).T
    maps = [int(d) for d in op.get_nodeattr("in_maps")]
    return w[:, nhwc_order(maps)] if maps else w


def _dense_stage(op: Any, ident: str, out_simd: int, weight: np.ndarray, module: str) -> RtlStage:
    g = op.get_nodeattr
    n_in, n_out, simd, pe = attr_int(op, "IN"), attr_int(op, "OUT"), attr_int(op, "SIMD"), attr_int(op, "PE")
    wbits, sbits, steps = attr_int(op, "weight_bits"), attr_int(op, "state_bits"), attr_int(op, "T")
    params = [("IN", n_in), ("OUT", n_out), ("SIMD", simd), ("PE", pe)]
    if op.spiking:
        params.append(("OUT_SIMD", out_simd))
    params += [("T", steps), ("WEIGHT_BITS", wbits), ("STATE_BITS", sbits)]
    if module == "snn_dense_dcll":
        params += [(name.upper(), attr_int(op, name)) for name in ("kq", "kp", "kr", "rho", "frac_bits")]
    else:
        params += _neuron_params(op)
    roms = [RomFile("WEIGHTS_FILE", f"{ident}_weights.mem", _dense_weights(op, weight), RomLayout.DENSE_WEIGHTS,
                    wbits, pe, simd)]
    if op.spiking:
        theta = np.asarray(g("threshold"), dtype=np.int64).ravel()
        roms.append(RomFile("THRESHOLDS_FILE", f"{ident}_thresholds.mem", theta, RomLayout.THRESHOLDS, sbits, pe))
    return RtlStage(
        ident=ident, module=module, params=params, in_width=simd, out_width=out_simd if op.spiking else 32,
        sources=[f"{module}.sv"], timesteps=steps, roms=roms,
        tap_channels=n_out if op.spiking else 0, host_out_words=0 if op.spiking else n_out,
    )


class SpikingDense_rtl(RtlOp, SpikingDense):  # noqa: N801
    """snn_dense_lif (rtl/): PE x SIMD folded synapses with the LIF/IF update."""

    hw_facts: ClassVar[type[StageFacts]] = SpikingDenseRtlFacts


    def rtl_stage(self, ident: str, out_simd: int, weight: np.ndarray) -> RtlStage:
        if self.get_nodeattr("neuron") == "dcll":
            return _dense_stage(self, ident, out_simd, weight, "snn_dense_dcll")
        return _dense_stage(self, ident, out_simd, weight, "snn_dense_lif")

    def rtl_interval(self, out_simd: int) -> int:
        """T * max(P, OUT/OUT_SIMD) cycles per sample (P = NF*SF iterations per timestep, one per cycle)."""
        return attr_int(self, "T") * max(_iterations(self), attr_int(self, "OUT") // out_simd)

    def rtl_schedule(self, inp: Any, out_simd: int) -> Any:
        from snn2fpga.estimate.rtl_schedule import dense_lif_schedule

        sf = attr_int(self, "IN") // attr_int(self, "SIMD")
        return dense_lif_schedule(inp, _iterations(self), sf, attr_int(self, "OUT") // out_simd)


class DenseReadout_rtl(RtlOp, DenseReadout):  # noqa: N801
    """snn_dense_li (rtl/): the leaky-integrator readout, OUT final membranes per sample."""

    hw_facts: ClassVar[type[StageFacts]] = DenseReadoutRtlFacts


    def rtl_stage(self, ident: str, out_simd: int, weight: np.ndarray) -> RtlStage:
        return _dense_stage(self, ident, 1, weight, "snn_dense_li")

    def rtl_interval(self, out_simd: int) -> int:
        return attr_int(self, "T") * _iterations(self)

    def rtl_schedule(self, inp: Any, out_simd: int) -> Any:
        from snn2fpga.estimate.rtl_schedule import dense_li_schedule

        sf = attr_int(self, "IN") // attr_int(self, "SIMD")
        return dense_li_schedule(inp, _iterations(self), sf, attr_int(self, "OUT"), attr_int(self, "T"))


class SpikeCounter_rtl(RtlOp, SpikeCounter):  # noqa: N801
    """snn_spike_counter (rtl/): C spike counts per sample."""

    hw_facts: ClassVar[type[StageFacts]] = SpikeCounterRtlFacts


    def rtl_stage(self, ident: str, out_simd: int) -> RtlStage:
        chans, simd, steps = attr_int(self, "C"), attr_int(self, "SIMD"), attr_int(self, "T")
        return RtlStage(ident=ident, module="snn_spike_counter", params=[("C", chans), ("SIMD", simd), ("T", steps)],
                        in_width=simd, out_width=32, sources=["snn_spike_counter.sv"], timesteps=steps,
                        host_out_words=chans)

    def rtl_interval(self, out_simd: int) -> int:
        chans = attr_int(self, "C")
        return max(attr_int(self, "T") * chans // attr_int(self, "SIMD"), chans + 1)

    def rtl_schedule(self, inp: Any, out_simd: int) -> Any:
        from snn2fpga.estimate.rtl_schedule import counter_schedule

        return counter_schedule(inp, attr_int(self, "C"))


RTL_OPS = (SpikeInput_rtl, SpikingDense_rtl, DenseReadout_rtl, SpikeCounter_rtl)  # + ops.rtl_maps.RTL_MAP_OPS
__all__ = ["RTL_DOMAIN", "RTL_OPS", "RomFile", "RomLayout", "RtlOp", "RtlStage"]
