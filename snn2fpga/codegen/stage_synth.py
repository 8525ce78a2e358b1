"""Per-stage yosys figures: what the synth step runs for each RTL stage, and a cache-only lookup of them.

The synth step synthesizes every stage's module alone, with its parameters and ROM files
(:func:`stage_synth_inputs` says exactly which inputs), and :func:`snn2fpga.codegen.synth.synth` caches each
result by a sha256 of those inputs. :class:`StageSynthLookup` computes the same inputs for a candidate folding
of a stage, without writing files, and reads the cache: the folding search and the estimate then use the
synthesized LUT / FF / BRAM36 / DSP of a stage configuration that yosys has already seen (level ``synth``,
pre-place-and-route) and the fitted formulas otherwise (level ``estimate``). It never runs yosys.

Cost: a candidate's ROM words are packed and hashed once per distinct (stage, PE, SIMD, output width), and
remembered; a folding search asks for a few dozen candidates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper

from snn2fpga.codegen.rtl_generate import (
    RTL_KERNEL_DIR,
    kernel_closure,
    node_stage,
    rom_lines,
    rtl_nodes,
    stage_idents,
)
from snn2fpga.codegen.synth import SynthResult, cached_synth, synth
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.cost import Resources
from snn2fpga.hwir.spec import StageSpec
from snn2fpga.ops.rtl import RtlStage


def stage_params(st: RtlStage) -> dict[str, int | str]:
    """The module parameters the per-stage synthesis sets: the stage's integers and its ROM file names."""
    params: dict[str, int | str] = {name: int(value) for name, value in st.params}
    params.update({rom.param: rom.name for rom in st.roms})
    return params


def stage_sources(st: RtlStage) -> list[str]:
    """The kernel files the stage's module needs, dependencies first (the per-stage synthesis' sources)."""
    return kernel_closure([f"{st.module}.sv"])


def rom_bytes(st: RtlStage) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the stage's ROM files, exactly as :func:`generate_rtl_project` writes them."""
    return [(rom.name, ("\n".join(rom_lines(rom, st.ident)) + "\n").encode()) for rom in st.roms]


def resources_of(result: SynthResult) -> Resources:
    """A synthesis result as the estimate's four figures (LUT = logic LUTs + LUTs used as memory)."""
    return Resources(lut=result.lut_total, ff=result.ff, bram36=result.bram36, dsp=result.dsp)


def _with_folding(node: NodeProto, spec: StageSpec) -> NodeProto:
    """A copy of ``node`` with the PE / SIMD of ``spec`` (the folding attributes its facts allow)."""
    from snn2fpga.transforms.folding import set_node_attr

    copy = NodeProto()
    copy.CopyFrom(node)
    for attr in spec.facts.folding_attrs:
        set_node_attr(copy, attr, spec.pe if attr == "PE" else spec.simd)
    return copy


class StageSynthLookup:
    """Cached per-stage yosys results for candidate foldings of the RTL stages of ``model``.

    Call it with a StageSpec (a stage of the model, at any legal folding): the synthesized resources of that
    configuration when the synth cache holds them, else None. Nodes that are not RTL-specialized give None.
    """

    def __init__(self, model: ModelWrapper) -> None:
        self.model = model
        try:
            nodes = rtl_nodes(model)
        except SNN2FPGAError:  # no RTL nodes (an HLS design): nothing can have been synthesized per stage
            nodes = []
        self.nodes = {n.name: n for n in nodes}
        self.idents = dict(zip((n.name for n in nodes), stage_idents(nodes), strict=True))
        self._sources: dict[str, list[tuple[str, bytes]]] = {}
        self.found: dict[tuple[Any, ...], SynthResult | None] = {}  # by (stage, PE, SIMD, out width, event)

    @property
    def lookups(self) -> int:
        """Distinct configurations looked up (each packed its ROMs and hashed its inputs once)."""
        return len(self.found)

    def _source_bytes(self, st: RtlStage) -> list[tuple[str, bytes]]:
        if st.module not in self._sources:
            self._sources[st.module] = [(name, (RTL_KERNEL_DIR / name).read_bytes()) for name in stage_sources(st)]
        return self._sources[st.module]

    @staticmethod
    def _key(spec: StageSpec) -> tuple[Any, ...]:
        """What decides a stage's module instance besides the model: its folding and output stream width."""
        return spec.name, spec.pe, spec.simd, spec.facts.out_width(spec) or 1, spec.event

    def _stage(self, spec: StageSpec) -> RtlStage:
        node = self.nodes[spec.name]
        return node_stage(self.model, _with_folding(node, spec), self.idents[spec.name],
                          spec.facts.out_width(spec) or 1, spec.event)

    def result(self, spec: StageSpec) -> SynthResult | None:
        """The cached yosys result of the stage ``spec`` describes, or None."""
        if spec.name not in self.nodes:
            return None
        key = self._key(spec)
        if key not in self.found:
            st = self._stage(spec)
            self.found[key] = cached_synth(self._source_bytes(st), st.module, params=stage_params(st),
                                           roms=rom_bytes(st))
        return self.found[key]

    def synthesize(self, spec: StageSpec) -> SynthResult:
        """Run yosys on the stage configuration ``spec`` describes (as the synth step would, same cache entry)
        and remember the result; for ``--synth-folding``. Raises SNN2FPGAError for a node without RTL."""
        if spec.name not in self.nodes:
            raise SNN2FPGAError(f"node {spec.name} is not an RTL stage of this design: nothing to synthesize")
        st = self._stage(spec)
        with tempfile.TemporaryDirectory(prefix="snn2fpga-stage-") as tmp:
            roms = []
            for name, data in rom_bytes(st):
                (Path(tmp) / name).write_bytes(data)
                roms.append(Path(tmp) / name)
            result = synth([RTL_KERNEL_DIR / n for n in stage_sources(st)], st.module, params=stage_params(st),
                           rom_files=roms)
        self.found[self._key(spec)] = result
        return result

    def __call__(self, spec: StageSpec) -> Resources | None:
        found = self.result(spec)
        return None if found is None else resources_of(found)


__all__ = ["StageSynthLookup", "resources_of", "rom_bytes", "stage_params", "stage_sources"]
