"""The one interface through which a hardware op says what is true of it: :class:`StageFacts`.

Every op class of :mod:`snn2fpga.ops` carries a facts class (``hw_facts``); the abstract op's are its
HLS facts (the formulas the HLS kernels document), and a backend whose hardware differs subclasses
them and overrides what differs, typically one method::

    class SpikingDenseRtlFacts(SpikingDenseFacts):
        def cycles(self, spec: StageSpec) -> NodeCycles: ...   # the RTL module's cycle model

    class SpikingDense_rtl(SpikingDense):
        hw_facts = SpikingDenseRtlFacts

A facts object holds no state: every method takes the :class:`~snn2fpga.hwir.spec.StageSpec` it
describes. Folding, estimates and the stream rules ask ``spec.facts`` instead of switching on the
kind. The methods, by concern:

* reading: :meth:`StageFacts.read` (node attributes -> StageSpec);
* legal foldings: :attr:`~StageFacts.folding_attrs`, :meth:`~StageFacts.pe_dim`,
  :meth:`~StageFacts.simd_dims`, :meth:`~StageFacts.out_dims`, :meth:`~StageFacts.check`;
* streams: :meth:`~StageFacts.out_width`, :meth:`~StageFacts.with_consumer` and the class flags;
* costs: :meth:`~StageFacts.cycles`, :meth:`~StageFacts.resources`, :meth:`~StageFacts.host_words`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Protocol

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.hwir.cost import Resources
from snn2fpga.hwir.spec import HwKind, NodeCycles, StageSpec, divisors

Dim = tuple[int, str]  # a size a folding factor must divide, and its name (``(784, "IN")``)
FoldingCheck = tuple[str, int, int, str]  # (factor label, value, size, size name)


class Attrs(Protocol):
    """A node's attributes as :meth:`StageFacts.read` sees them (:class:`snn2fpga.hwir.graph.NodeAttrs`)."""

    def __call__(self, name: str, default: Any = None) -> Any:
        """The attribute's value, or ``default``; an error naming the node when both are absent."""

    def ints(self, name: str) -> tuple[int, ...]:
        """An integer-list attribute (empty when absent)."""


def not_dividing(name: str, label: str, value: int, size: int, size_name: str) -> SNN2FPGAError:
    """The error of a folding factor that is below 1 or does not divide its dimension."""
    return SNN2FPGAError(
        f"node {name}: {label}={value} does not divide {size_name}={size}; "
        f"legal values: {', '.join(map(str, divisors(size)))}"
    )


class StageFacts:
    """What is true of one kind of hardware stage on one backend (this class: the shared defaults).

    Class flags (how the stage sits in the dataflow):
        kind: the stage kind these facts describe.
        folding_attrs: the folding attributes a config may set on the node (``PE``, ``SIMD``).
        simd_from_consumer: the stage's SIMD is not free but its consumer's (a SpikeInput).
        joins_consumer_group: the stage's words are its SIMD wide at both ends, so it shares one SIMD
            with its consumer (a SpikePool).
        out_width_label: what its output word width is called in errors (``SIMD``, ``OUT_SIMD``);
            None when it writes to the host, not to a hardware consumer.
        windowed: it computes an output map HO x WO from a K x K window (conv, pool).
        fires: its neurons spike (the DCLL state includes the spike); a readout's do not.
    """

    kind: ClassVar[HwKind]
    folding_attrs: ClassVar[tuple[str, ...]] = ("SIMD",)
    simd_from_consumer: ClassVar[bool] = False
    joins_consumer_group: ClassVar[bool] = False
    out_width_label: ClassVar[str | None] = None
    windowed: ClassVar[bool] = False
    fires: ClassVar[bool] = False

    # --- reading -------------------------------------------------------------------------------------

    def read(self, attr: Attrs, common: dict[str, Any]) -> StageSpec:
        """The StageSpec of a node: ``common`` holds name, kind, timesteps, simd, consumer and backend."""
        raise NotImplementedError(f"{type(self).__name__}.read")

    # --- legal foldings ------------------------------------------------------------------------------

    def pe_dim(self, spec: StageSpec) -> Dim | None:
        """The size PE must divide and its name; None for a stage without PE."""
        return None

    def simd_dims(self, spec: StageSpec) -> list[Dim]:
        """The sizes the stage's SIMD must divide (the first is the stage's own dimension)."""
        raise NotImplementedError(f"{type(self).__name__}.simd_dims")

    def out_dims(self, spec: StageSpec) -> list[Dim]:
        """The sizes the stage's OUTPUT word width (its consumer's SIMD) must divide."""
        return []

    def group_simd_dims(self, spec: StageSpec) -> list[Dim]:
        """What the SIMD of the stage's SIMD group must divide because of this member."""
        return self.simd_dims(spec)

    def check_simd(self, spec: StageSpec, value: int) -> None:
        """Raise when ``value`` can never be this stage's SIMD, whatever its dimensions."""

    def check(self, spec: StageSpec) -> None:
        """Raise an error naming the node when its folding or shape is illegal."""
        self.check_shape(spec)
        for label, value, size, size_name in self.folding_checks(spec):
            if value < 1 or size % value:
                raise not_dividing(spec.name, label, value, size, size_name)

    def check_shape(self, spec: StageSpec) -> None:
        """The stage's own rules, checked before the divisibility of its folding factors."""

    def folding_checks(self, spec: StageSpec) -> list[FoldingCheck]:
        """(label, value, size, size name) for every folding factor that must divide a size."""
        checks = [("SIMD", spec.simd, size, size_name) for size, size_name in self.simd_dims(spec)]
        pe = self.pe_dim(spec)
        if pe is not None:
            checks.append(("PE", spec.pe, *pe))
        return checks

    # --- streams -------------------------------------------------------------------------------------

    def out_width(self, spec: StageSpec) -> int | None:
        """Spikes per output word (its consumer reads words of this many), None when writing to the host."""
        return None

    def with_consumer(self, spec: StageSpec, consumer: StageSpec | None) -> StageSpec:
        """The stage with the stream widths its consumer (None: no hardware consumer) dictates."""
        return spec

    def reads_events(self, spec: StageSpec) -> bool:
        """Whether the stage reads one event word per timestep from an I/Q encoder."""
        return False

    # --- costs ---------------------------------------------------------------------------------------

    def synapses(self, spec: StageSpec) -> int:
        """Synapses per neuron (the accumulator's fan-in)."""
        return spec.n_in

    def cycles(self, spec: StageSpec) -> NodeCycles:
        """Cycles per timestep and per sample of a legal stage (call :meth:`check` first)."""
        raise NotImplementedError(f"{type(self).__name__}.cycles")

    def resources(self, spec: StageSpec) -> Resources:
        """LUT / FF / BRAM36 / DSP of a legal stage (call :meth:`check` first)."""
        raise NotImplementedError(f"{type(self).__name__}.resources")

    def host_words(self, spec: StageSpec) -> int:
        """32-bit host words per sample the stage reads (0 unless it is the input stage)."""
        return 0


class SpikingOutputFacts(StageFacts):
    """A stage that emits spikes to a consumer (SpikingDense, SpikingConv): its output words are OUT_SIMD =
    the consumer's SIMD wide, and OUT_SIMD must divide its output dimensions. Mixed in before the stage's
    own facts class, so its ``folding_checks`` extends theirs."""

    def folding_checks(self, spec: StageSpec) -> list[FoldingCheck]:
        return super().folding_checks(spec) + [("OUT_SIMD (the consumer's SIMD)", spec.out_simd, size, size_name)
                                               for size, size_name in self.out_dims(spec)]

    def out_width(self, spec: StageSpec) -> int | None:
        return spec.out_simd

    def with_consumer(self, spec: StageSpec, consumer: StageSpec | None) -> StageSpec:
        return replace(spec, out_simd=consumer.simd if consumer is not None else 1)
