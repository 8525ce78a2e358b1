/**
 * @file snn_iq.h
 * @brief On-chip I/Q-plane spike encoder (snn2fpga/semantics/iq.py): one spike per timestep on a
 *        G x G grid, as an event word or as a one-hot frame.
 *
 * For a code pair (ci, cq) of signed 8-bit codes (the host quantises I/Q to codes, see iq.py):
 *   row = ((ci + 128) * G) >> 8,  col = ((cq + 128) * G) >> 8   (0..G-1; ci + 128 is the code byte
 *   with its top bit flipped)
 * and the frame of timestep t is spike[0, row, col] = 1, all else 0 (iq_plane_encode).
 *
 * Stream formats:
 *  - host codes (input of both kernels): ceil(T/2) 32-bit words per sample; word k holds two
 *    timesteps, byte 0 = I(2k), byte 1 = Q(2k), byte 2 = I(2k+1), byte 3 = Q(2k+1) (two's-complement
 *    bytes, byte b in bits 8b+7..8b). For odd T, bytes 2 and 3 of the last word are ignored (send 0).
 *  - events (iq_encoder output, conv_event_neuron input): T 16-bit words per sample, row in bits 15:8,
 *    col in bits 7:0.
 *  - frames (iq_frame_encoder output): per timestep G*G/SIMD words of SIMD bits, pixels in raster
 *    order, bit l of word f = pixel f*SIMD + l = (row, col) with row*G + col = f*SIMD + l. With one
 *    channel this is the NHWC spike-map stream of snn_conv.h only for SIMD == 1 (per pixel C/SIMD =
 *    1 word); any SIMD dividing G*G is the flattened spike stream a dense layer reads.
 *
 * Cycle model (pipelined-loop iterations at II=1 per call = per sample, excluding pipeline depth;
 * what snn_cycle_counter<CFG>::cycles counts; the host word is read in the iteration that needs it):
 *  - iq_encoder:        T
 *  - iq_frame_encoder:  T * G*G/SIMD
 *
 * Encoder config (generated):
 * @code
 * struct iq_cfg {
 *     static const unsigned T = 128;  // timesteps = I/Q samples per frame
 *     static const unsigned G = 32;   // grid bins per axis, 2..256
 *     static const unsigned SIMD = 1; // iq_frame_encoder only: pixels per output word
 * };
 * @endcode
 */
#ifndef SNN2FPGA_SNN_IQ_H
#define SNN2FPGA_SNN_IQ_H

#include "snn_common.h"

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

/** Width of one I/Q code (bits). */
const unsigned SNN_IQ_CODE_BITS = 8;

/**
 * @brief Compile-time legality checks of an I/Q encoder config (instantiate to check).
 * @tparam CFG encoder config: T, G.
 */
template <class CFG>
struct snn_iq_cfg_check {
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    static_assert(CFG::T <= (1u << 24), "T above 2^24 timesteps is not supported");
    static_assert(CFG::G >= 2 && CFG::G <= 256, "G (I/Q grid) must be in 2..256");
    static const bool ok = true;
};

/**
 * @brief Grid bin of one 8-bit code: ((code + 128) * G) >> 8.
 * @tparam G grid bins per axis, 2..256.
 * @param code the two's-complement code byte.
 * @return the bin, 0..G-1.
 */
template <unsigned G>
ap_uint<8> snn_iq_bin(const ap_uint<8>& code) {
#pragma HLS INLINE
    const ap_uint<8> offset = code ^ ap_uint<8>(0x80);  // code + 128 for a two's-complement byte
    const ap_uint<17> scaled = ap_uint<17>(offset) * ap_uint<17>(G);
    return ap_uint<8>(scaled >> SNN_IQ_CODE_BITS);
}

/**
 * @brief Event-word I/Q-plane encoder: one event per timestep; ONE sample per call.
 * Cycles per sample: T.
 * @tparam CFG encoder config: T (timesteps), G (grid bins per axis, 2..256).
 * @param in ceil(T/2) host words per sample (two (I, Q) byte pairs each).
 * @param events T event words per sample, row in bits 15:8, col in bits 7:0.
 */
template <class CFG>
void iq_encoder(hls::stream<ap_uint<32> >& in, hls::stream<ap_uint<16> >& events) {
    static_assert(snn_iq_cfg_check<CFG>::ok, "invalid I/Q encoder config");
    ap_uint<32> word = 0;
Step:
    for (unsigned t = 0; t < CFG::T; t++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        const bool even = (t & 1u) == 0;
        if (even) {
            word = in.read();
        }
        const ap_uint<8> ci = even ? ap_uint<8>(word.range(7, 0)) : ap_uint<8>(word.range(23, 16));
        const ap_uint<8> cq = even ? ap_uint<8>(word.range(15, 8)) : ap_uint<8>(word.range(31, 24));
        ap_uint<16> ev = 0;
        ev.range(15, 8) = snn_iq_bin<CFG::G>(ci);
        ev.range(7, 0) = snn_iq_bin<CFG::G>(cq);
        events.write(ev);
    }
}

/**
 * @brief One-hot frame I/Q-plane encoder ([1, G, G] frame per timestep) for a non-event first layer;
 *        ONE sample per call. Cycles per sample: T * G*G/SIMD.
 * @tparam CFG encoder config: T (timesteps), G (grid bins per axis, 2..256), SIMD (pixels per output
 *   word, divides G*G; 1 for a conv_neuron consumer).
 * @param in ceil(T/2) host words per sample.
 * @param out T * G*G/SIMD spike words per sample, raster order.
 */
template <class CFG>
void iq_frame_encoder(hls::stream<ap_uint<32> >& in, hls::stream<ap_uint<CFG::SIMD> >& out) {
    static_assert(snn_iq_cfg_check<CFG>::ok, "invalid I/Q encoder config");
    static_assert(CFG::SIMD >= 1 && (CFG::G * CFG::G) % CFG::SIMD == 0, "G*G must be a multiple of SIMD");
    const unsigned FOLDS = CFG::G * CFG::G / CFG::SIMD;
    ap_uint<32> word = 0;
    unsigned hot = 0;  // row*G + col of the current timestep
    unsigned t = 0, f = 0;
Step:
    for (unsigned k = 0; k < CFG::T * FOLDS; k++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        if (f == 0) {
            const bool even = (t & 1u) == 0;
            if (even) {
                word = in.read();
            }
            const ap_uint<8> ci = even ? ap_uint<8>(word.range(7, 0)) : ap_uint<8>(word.range(23, 16));
            const ap_uint<8> cq = even ? ap_uint<8>(word.range(15, 8)) : ap_uint<8>(word.range(31, 24));
            hot = unsigned(snn_iq_bin<CFG::G>(ci)) * CFG::G + unsigned(snn_iq_bin<CFG::G>(cq));
        }
        ap_uint<CFG::SIMD> spikes = 0;
    Lane:
        for (unsigned l = 0; l < CFG::SIMD; l++) {
#pragma HLS UNROLL
            spikes[l] = (f * CFG::SIMD + l == hot) ? 1 : 0;
        }
        out.write(spikes);
        if (f == FOLDS - 1) {
            f = 0;
            t++;
        } else {
            f++;
        }
    }
}

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#endif  // SNN2FPGA_SNN_IQ_H
