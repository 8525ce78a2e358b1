"""The hardware IR: the dataflow stages as folding, estimates and backends see them.

* :mod:`~snn2fpga.hwir.spec`: :class:`StageSpec` (one stage's sizes, folding, stream widths and backend),
  the stage kinds, :class:`NodeCycles`;
* :mod:`~snn2fpga.hwir.cost`: :class:`Resources` and the cost primitives the formulas are made of;
* :mod:`~snn2fpga.hwir.facts`: :class:`StageFacts`, the one interface through which a hardware op says
  what is true of it (reading, legal foldings, stream widths, cycles, resources); the HLS facts of
  each op are in ``hls_io``, ``hls_dense`` and ``hls_maps``, and every op class of
  :mod:`snn2fpga.ops` carries its facts class (``hw_facts``);
* :mod:`~snn2fpga.hwir.graph`: the stages of a model, each found through its node's op class;
* :mod:`~snn2fpga.hwir.streams`: the stream-width rules between stages.

This package sits below :mod:`snn2fpga.ops` (the op classes import their facts from here); only
``graph`` reads models and imports the ops.
"""
