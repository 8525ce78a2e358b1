"""RTL backends of the stages over spike maps and of the I/Q and DCLL variants (rtl/*.sv of the conv path):
SpikingConv (snn_conv, frame-buffered; snn_conv_event, one I/Q event per timestep), SpikePool
(snn_maxpool_or), and the shared pieces the MLP backends in :mod:`snn2fpga.ops.rtl` use for the I/Q encoders
and dense DCLL layers. Same data as the MLP backends: module, parameters, ROM files, stream widths, and the
schedule each module documents (``rtl_schedule``), replayed by :mod:`snn2fpga.estimate.rtl_schedule`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from snn2fpga.hwir.facts import StageFacts
from snn2fpga.hwir.rtl_facts import SpikePoolRtlFacts, SpikingConvRtlFacts
from snn2fpga.ops.hw_maps import SpikePool, SpikingConv
from snn2fpga.ops.rtl import LEAK_CODES, RESET_CODES, RomFile, RomLayout, RtlOp, RtlStage, attr_int

NEURON_CODES = {"lif": 0, "dcll": 1}  # the NEURON parameter of snn_conv / snn_conv_event


def dcll_params(op: Any) -> list[tuple[str, int]]:
    """KQ / KP / KR / RHO / FRAC_BITS of a DCLL stage (rtl/snn_dcll_neuron.sv)."""
    return [(name.upper(), attr_int(op, name)) for name in ("kq", "kp", "kr", "rho", "frac_bits")]


def _neuron_params(op: Any) -> list[tuple[str, int]]:
    """Every neuron parameter of snn_conv: the chosen kind's values, legal defaults for the other's."""
    dcll = op.get_nodeattr("neuron") == "dcll"
    leak = "none" if dcll else str(op.get_nodeattr("leak"))
    params = [("NEURON", NEURON_CODES["dcll" if dcll else "lif"]), ("LEAK", LEAK_CODES[leak]),
              ("LEAK_SHIFT", attr_int(op, "leak_shift") if leak == "shift" else 1),
              ("BETA_Q", attr_int(op, "beta_q") if leak == "mult" else 0),
              ("BETA_FRAC_BITS", attr_int(op, "beta_frac_bits") if leak == "mult" else 1),
              ("RESET", 0 if dcll else RESET_CODES[op.get_nodeattr("reset")])]
    return params + (dcll_params(op) if dcll else [("KQ", 1), ("KP", 1), ("KR", 1), ("RHO", 0), ("FRAC_BITS", 0)])


def _conv_sizes(op: Any, out_simd: int) -> tuple[int, int, int]:
    """(IN words of a frame, N fold iterations, M output words) per timestep (rtl/snn_conv.sv header)."""
    ho, wo = op.out_hw()
    cin, cout, k = attr_int(op, "CIN"), attr_int(op, "COUT"), attr_int(op, "K")
    simd, pe = attr_int(op, "SIMD"), attr_int(op, "PE")
    event = attr_int(op, "event") == 1
    frame = 1 if event else attr_int(op, "H") * attr_int(op, "W") * cin // simd
    folds = ho * wo * (cout // pe) * (1 if event else k * k * cin // simd)
    return frame, folds, ho * wo * cout // out_simd


class SpikingConv_rtl(RtlOp, SpikingConv):  # noqa: N801  (FINN naming: <op>_rtl)
    """snn_conv (frame-buffered) or snn_conv_event (the event-driven first layer) of rtl/."""

    hw_facts: ClassVar[type[StageFacts]] = SpikingConvRtlFacts


    def rtl_stage(self, ident: str, out_simd: int, weight: np.ndarray) -> RtlStage:
        g = self.get_nodeattr
        event = attr_int(self, "event") == 1
        module = "snn_conv_event" if event else "snn_conv"
        cout, steps = attr_int(self, "COUT"), attr_int(self, "T")
        ho, wo = self.out_hw()
        params = [("H", attr_int(self, "H")), ("W", attr_int(self, "W"))]
        if not event:
            params.append(("CIN", attr_int(self, "CIN")))
        params += [("COUT", cout), ("K", attr_int(self, "K")), ("STRIDE", attr_int(self, "STRIDE")),
                   ("PAD", attr_int(self, "PAD"))]
        if not event:
            params.append(("SIMD", attr_int(self, "SIMD")))
        params += [("PE", attr_int(self, "PE")), ("OUT_SIMD", out_simd), ("T", steps),
                   ("WEIGHT_BITS", attr_int(self, "weight_bits")), ("STATE_BITS", attr_int(self, "state_bits")),
                   *_neuron_params(self)]
        w = np.rint(np.asarray(weight)).astype(np.int64)
        theta = np.asarray(g("threshold"), dtype=np.int64).ravel()
        roms = [RomFile("WEIGHTS_FILE", f"{ident}_weights.mem", w, RomLayout.CONV_WEIGHTS,
                        attr_int(self, "weight_bits"), attr_int(self, "PE"), 1 if event else attr_int(self, "SIMD")),
                RomFile("THRESHOLDS_FILE", f"{ident}_thresholds.mem", theta, RomLayout.THRESHOLDS,
                        attr_int(self, "state_bits"), attr_int(self, "PE"))]
        return RtlStage(ident=ident, module=module, params=params, in_width=16 if event else attr_int(self, "SIMD"),
                        out_width=out_simd, sources=[f"{module}.sv"], timesteps=steps, roms=roms,
                        tap_channels=cout * ho * wo, tap_maps=[cout, ho, wo])

    def rtl_schedule(self, inp: Any, out_simd: int) -> Any:
        from snn2fpga.estimate.rtl_schedule import conv_event_schedule, conv_schedule

        frame, folds, words = _conv_sizes(self, out_simd)
        if attr_int(self, "event") == 1:
            return conv_event_schedule(inp, folds, words)
        return conv_schedule(inp, frame, folds, words)

    def rtl_interval(self, out_simd: int) -> int:
        frame, folds, words = _conv_sizes(self, out_simd)
        per_ts = folds + words + 1 if attr_int(self, "event") == 1 else folds + max(frame, words + 2)
        return attr_int(self, "T") * per_ts


class SpikePool_rtl(RtlOp, SpikePool):  # noqa: N801
    """snn_maxpool_or of rtl/: one input word per cycle, a pooled word right after its window's last pixel."""

    hw_facts: ClassVar[type[StageFacts]] = SpikePoolRtlFacts


    def rtl_stage(self, ident: str, out_simd: int) -> RtlStage:
        simd = attr_int(self, "SIMD")
        params = [("H", attr_int(self, "H")), ("W", attr_int(self, "W")), ("C", attr_int(self, "C")),
                  ("K", attr_int(self, "K")), ("SIMD", simd)]
        k = attr_int(self, "K")
        pooled = (attr_int(self, "H") // k) * (attr_int(self, "W") // k) * (attr_int(self, "C") // simd)
        return RtlStage(ident=ident, module="snn_maxpool_or", params=params, in_width=simd, out_width=simd,
                        sources=["snn_maxpool_or.sv"], timesteps=attr_int(self, "T"), out_words=pooled)

    def _words(self) -> tuple[int, int, int]:
        """(input words per timestep, index of the input word that completes the first window, of the last)."""
        h, w, k = attr_int(self, "H"), attr_int(self, "W"), attr_int(self, "K")
        cf = attr_int(self, "C") // attr_int(self, "SIMD")
        ho, wo = h // k, w // k
        return h * w * cf, ((k - 1) * w + k - 1) * cf, ((ho * k - 1) * w + wo * k - 1) * cf + cf - 1

    def rtl_schedule(self, inp: Any, out_simd: int) -> Any:
        from snn2fpga.estimate.rtl_schedule import pool_schedule

        return pool_schedule(inp, *self._words())

    def rtl_interval(self, out_simd: int) -> int:
        return attr_int(self, "T") * self._words()[0]


RTL_MAP_OPS = (SpikingConv_rtl, SpikePool_rtl)
