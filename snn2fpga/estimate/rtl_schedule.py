"""The RTL cycle model as a replay of each kernel's documented schedule (see :mod:`snn2fpga.estimate.rtl_cycles`).

A stream's timing is :class:`Timing`: per unit (a timestep of spike words, or a sample of host / score
words) the cycle its first word is handed over; the words of a unit follow one per cycle. Each RTL stage
maps the timing of its input (when each unit's first word is available to it) to the timing of its output
(when each unit's first word leaves it), using the recurrences in its rtl/*.sv header for the case where
the output is never blocked. Between stages a word handed over at cycle c is available at c + 1 (a FIFO
that is not empty passes the word on in the cycle after it was written: snn_fifo LATENCY = 1).

Why "never blocked" is enough: each FIFO of the generated top holds one timestep of words, so a producer
is only ever held back by a consumer that is slower than it; the consumer then sets the pace and its own
recurrence already starts each unit no earlier than the previous one's end. The replay covers the host
adapters (snn_axis_in / snn_axis_out: one register stage each) and the measurement's conventions (a
sample's first input word accepted at cycle ``c0``; its latency ends at the acceptance of its last
output word).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qonnx.custom_op.registry import getCustomOp

from snn2fpga.estimate.rtl_cycles import DesignCycles

FIFO_LATENCY = 1  # snn_fifo: a word written at cycle c is on its output at c + 1
ADAPTER_LATENCY = 1  # snn_axis_in / snn_axis_out: one register stage
NEG = -(10**18)


@dataclass
class Timing:
    """Per unit (a timestep of spike words, or a sample of host / score words) on a stream: the cycle its first
    and its last word are handed over; ``per_sample`` units make one sample. Most producers hand a unit's words
    over one per cycle (last = first + words - 1); a pool spreads them over its input timestep."""

    first: list[int]
    last: list[int]
    per_sample: int

    def shifted(self, cycles: int) -> Timing:
        return Timing([c + cycles for c in self.first], [c + cycles for c in self.last], self.per_sample)


def consecutive(first: list[int], words: int, per_sample: int) -> Timing:
    """Units whose ``words`` words follow one per cycle from ``first``."""
    return Timing(first, [c + words - 1 for c in first], per_sample)


def host_input(samples: int, words: int, c0: int = 0) -> Timing:
    """The host offers every word in back-to-back cycles from ``c0`` (the timing run of the rtlsim step)."""
    return consecutive([c0 + k * words for k in range(samples)], words, 1)


def encoder_schedule(inp: Timing, words_in: int, folds: int, steps: int) -> Timing:
    """snn_rate_encoder / snn_latency_encoder (BANKS = 2): sample k's IW words in, then T timesteps of FOLDS
    words out from the cycle after its last feature word; a sample every max(IW, T*FOLDS) cycles."""
    out: list[int] = []
    prev_start = NEG
    per_sample = max(words_in, steps * folds)
    for first, last in zip(inp.first, inp.last, strict=True):
        start = max(first, last - words_in + 1, prev_start + per_sample)  # its first feature word is taken
        prev_start = start
        out += [start + words_in + n * folds for n in range(steps)]
    return consecutive(out, folds, steps)


def unpack_schedule(inp: Timing, words_in: int, folds: int, steps: int) -> Timing:
    """snn_spike_unpack (BANKS = 2): per timestep IW host words in, FOLDS spike words out from the cycle after
    the last one; a timestep every max(IW, FOLDS) cycles. The host sends a sample's T timesteps back to back."""
    out: list[int] = []
    prev = NEG
    per_step = max(words_in, folds)
    for first in inp.first:
        for n in range(steps):
            start = max(first + n * words_in, prev + per_step)
            prev = start
            out.append(start + words_in)
    return consecutive(out, folds, steps)


def iq_schedule(inp: Timing, steps: int, words_per_step: int) -> Timing:
    """snn_iq_encoder (one event word per timestep) / snn_iq_frame_encoder (G*G/SIMD words per timestep):
    the sample's word i leaves in cycle c0 + 2 + i (c0: its first host word taken); a sample every
    T * words_per_step cycles."""
    out: list[int] = []
    prev = NEG
    for first in inp.first:
        start = max(first, prev + steps * words_per_step)
        prev = start
        out += [start + 2 + t * words_per_step for t in range(steps)]
    return consecutive(out, words_per_step, steps)


def _dense_starts(inp: Timing, p: int, sf: int) -> list[int]:
    """The cycle each timestep's fold iterations can start given its input: the engine reads input word j of
    neuron fold 0 at S + j, so S >= first word and S >= last word - (SF - 1)."""
    return [max(first, last - sf + 1) for first, last in zip(inp.first, inp.last, strict=True)]


def dense_lif_schedule(inp: Timing, p: int, sf: int, out_words: int, banks: int = 2) -> Timing:
    """snn_dense_lif / snn_dense_dcll: S(n) = max(S(n-1) + P, available(n), E(n - BANKS) + 1),
    F(n) = S(n) + P + 2, O(n) = max(F(n), E(n-1) + 1), E(n) = O(n) + OF - 1 (rtl/snn_dense_lif.sv)."""
    s_prev, e_hist, out = NEG, [], []
    for n, avail in enumerate(_dense_starts(inp, p, sf)):
        s = max(s_prev + p, avail, (e_hist[n - banks] + 1) if n >= banks else NEG)
        o = max(s + p + 2, (e_hist[-1] + 1) if e_hist else NEG)
        e_hist.append(o + out_words - 1)
        out.append(o)
        s_prev = s
    return consecutive(out, out_words, inp.per_sample)


def dense_li_schedule(inp: Timing, p: int, sf: int, outs: int, steps: int, banks: int = 2) -> Timing:
    """snn_dense_li: timesteps run as dense_lif's; the last timestep of sample k also waits for a free score
    bank (E(k - BANKS) + 1); scores from F = L + P + 2, one per cycle after the previous sample's."""
    s_prev, e_hist, out = NEG, [], []
    for n, avail in enumerate(_dense_starts(inp, p, sf)):
        k, last = n // steps, n % steps == steps - 1
        s = max(s_prev + p, avail, (e_hist[k - banks] + 1) if last and k >= banks else NEG)
        s_prev = s
        if last:
            o = max(s + p + 2, (e_hist[-1] + 1) if e_hist else NEG)
            e_hist.append(o + outs - 1)
            out.append(o)
    return consecutive(out, outs, 1)


def counter_schedule(inp: Timing, chans: int) -> Timing:
    """snn_spike_counter: words counted as they come; sample k's C counts from the cycle after its last input
    word, which waits until sample k-1's counts have all left (+1)."""
    out: list[int] = []
    steps = inp.per_sample
    e_prev = NEG
    for k in range(len(inp.first) // steps):
        last_word = max(inp.last[(k + 1) * steps - 1], e_prev + 1)
        o = last_word + 1
        e_prev = o + chans - 1
        out.append(o)
    return consecutive(out, chans, 1)


def conv_schedule(inp: Timing, frame: int, folds: int, words: int) -> Timing:
    """snn_conv: timestep n's folds start when its frame is in (the cycle after its last word, at least
    FRAME cycles after its first) and N + max(FRAME, M + 2) cycles after the previous timestep's; its M output
    words leave in cycles s + N + 4 .. s + N + M + 3 (rtl/snn_conv.sv)."""
    out: list[int] = []
    prev = NEG
    for first, last in zip(inp.first, inp.last, strict=True):
        s = max(first + frame, last + 1, prev + folds + max(frame, words + 2))
        prev = s
        out.append(s + folds + 4)
    return consecutive(out, words, inp.per_sample)


def conv_event_schedule(inp: Timing, folds: int, words: int) -> Timing:
    """snn_conv_event: timestep n's folds start the cycle after its event and P = N + M + 1 cycles after the
    previous timestep's; its M output words leave in cycles s + N + 3 .. s + N + M + 2."""
    out: list[int] = []
    prev = NEG
    for first in inp.first:
        s = max(first + 1, prev + folds + words + 1)
        prev = s
        out.append(s + folds + 3)
    return consecutive(out, words, inp.per_sample)


def pool_schedule(inp: Timing, words_in: int, first_word: int, last_word: int) -> Timing:
    """snn_maxpool_or: one input word per cycle; a pooled word leaves the cycle after the input word that
    completes its window: the first after input word ``first_word`` of the timestep, the last after
    ``last_word``. Input word j of a unit is taken at max(first + j, last - (words_in - 1 - j))."""
    firsts, lasts = [], []
    for first, last in zip(inp.first, inp.last, strict=True):
        firsts.append(max(first + first_word, last - (words_in - 1 - first_word)) + 1)
        lasts.append(max(first + last_word, last - (words_in - 1 - last_word)) + 1)
    return Timing(firsts, lasts, inp.per_sample)


def simulate_schedule(model: Any, samples: int = 4) -> DesignCycles:
    """Replay the schedule of ``samples`` samples sent back to back; latency of the first, interval of the
    last two (the rtlsim step's timing run does the same)."""
    from snn2fpga.codegen.rtl_generate import feeds_event_conv, rtl_nodes

    nodes = rtl_nodes(model)
    ops = [getCustomOp(n) for n in nodes]
    c0 = 0
    words = ops[0].rtl_host_words()
    timing = host_input(samples, words, c0).shifted(ADAPTER_LATENCY + FIFO_LATENCY)
    stages: dict[str, int] = {}
    for i, (node, op) in enumerate(zip(nodes, ops, strict=True)):
        out_simd = int(ops[i + 1].get_nodeattr("SIMD")) if i + 1 < len(ops) else 1
        extra = {"event": feeds_event_conv(nodes, i)} if node.op_type == "SpikeInput_rtl" else {}
        timing = op.rtl_schedule(timing, out_simd, **extra)  # each RTL op owns its schedule (rtl/*.sv headers)
        stages[node.name] = op.rtl_interval(out_simd, **extra)
        timing = timing.shifted(FIFO_LATENCY)  # through the FIFO behind the stage
    last = [c + ADAPTER_LATENCY for c in timing.last[timing.per_sample - 1 :: timing.per_sample]]
    latency = last[0] - c0
    interval = last[-1] - last[-2] if len(last) > 1 else latency
    return DesignCycles(latency=latency, interval=interval, stages=stages)
