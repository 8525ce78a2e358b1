/**
 * @file snn_readout.h
 * @brief Spike-count readout of a spiking last layer, and a C-simulation-only spike-count tap.
 *
 * Cycle model (pipelined-loop iterations at II=1, counted by snn_cycle_counter<CFG>::cycles):
 *
 *   spike_counter  per timestep:  C/SIMD
 *                  per sample:    T * C/SIMD + C
 *
 * Config struct (generated):
 * @code
 * struct counter_cfg {
 *     static const unsigned C = 10;    // neurons counted
 *     static const unsigned SIMD = 2;  // spikes per input word (the producer's OUT_SIMD)
 *     static const unsigned T = 16;    // timesteps per sample
 * };
 * @endcode
 */
#ifndef SNN2FPGA_SNN_READOUT_H
#define SNN2FPGA_SNN_READOUT_H

#include "snn_common.h"

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

/**
 * @brief Count the spikes of each of C neurons over the T timesteps of ONE sample, then emit the counts.
 *
 * The counters are reset at the sample start (the first timestep overwrites instead of adding).
 *
 * @tparam CFG counter config: C (neurons), SIMD (spikes per input word, divides C), T (timesteps).
 * @param in T * C/SIMD spike words per sample, bit l of word f = neuron f*SIMD + l.
 * @param out C counts per sample, in neuron order, as 32-bit signed words.
 */
template <class CFG>
void spike_counter(hls::stream<ap_uint<CFG::SIMD> >& in, hls::stream<ap_int<32> >& out) {
    static_assert(CFG::C >= 1 && CFG::SIMD >= 1 && CFG::C % CFG::SIMD == 0, "SIMD must divide C");
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    typedef ap_uint<snn_clog2<CFG::T + 1>::value> count_t;
    const unsigned FOLDS = CFG::C / CFG::SIMD;
    count_t counts[CFG::C];
#pragma HLS ARRAY_PARTITION variable=counts cyclic factor=CFG::SIMD dim=1
Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
    Fold:
        for (unsigned f = 0; f < FOLDS; f++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            const ap_uint<CFG::SIMD> word = in.read();
        Lane:
            for (unsigned l = 0; l < CFG::SIMD; l++) {
#pragma HLS UNROLL
                const count_t before = (t == 0) ? count_t(0) : counts[f * CFG::SIMD + l];
                counts[f * CFG::SIMD + l] = before + count_t(word[l]);
            }
        }
    }
Emit:
    for (unsigned c = 0; c < CFG::C; c++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        out.write(ap_int<32>(counts[c]));
    }
}

#ifndef __SYNTHESIS__
/**
 * @brief C-simulation only: count the spikes on an inter-layer stream without changing it.
 *
 * C simulation runs the DATAFLOW stages one after another, so after a stage has run for all samples
 * its output stream holds every word: this drains the stream, adds the spikes per (sample, neuron)
 * into `counts` [samples * C] and writes the words back in order. Never compiled for synthesis.
 *
 * @tparam W stream word width (spikes per word; divides C).
 * @param s the stream between two stages.
 * @param samples samples in the stream; @param steps timesteps per sample; @param chans neurons.
 * @param counts output, samples * chans counters (must be zeroed by the caller).
 */
template <unsigned W>
void snn_csim_tap(hls::stream<ap_uint<W> >& s, unsigned samples, unsigned steps, unsigned chans, int* counts) {
    const unsigned words = samples * steps * (chans / W);
    hls::stream<ap_uint<W> > keep;
    for (unsigned i = 0; i < words; i++) {
        const ap_uint<W> word = s.read();
        const unsigned per_sample = steps * (chans / W);
        const unsigned sample = i / per_sample;
        const unsigned f = i % (chans / W);
        for (unsigned l = 0; l < W; l++) {
            counts[sample * chans + f * W + l] += int(word[l]);
        }
        keep.write(word);
    }
    for (unsigned i = 0; i < words; i++) {
        s.write(keep.read());
    }
}
#endif

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#endif  // SNN2FPGA_SNN_READOUT_H
