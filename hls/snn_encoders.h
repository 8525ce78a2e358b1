/**
 * @file snn_encoders.h
 * @brief Spike encoders: on-chip rate and latency encoders, and the unpacker of host-encoded spikes.
 *
 * They reproduce `snn2fpga/semantics/encoders.py` bit for bit. Every kernel processes exactly ONE
 * sample per call (T timesteps); the generated top function loops over samples. Encoder state (the
 * LFSR, the stored features) is reset at every call, i.e. at every sample start.
 *
 * Stream formats:
 *  - host features (rate_encoder, latency_encoder input): ceil(IN/4) 32-bit words per sample, four
 *    8-bit features per word, little-endian: feature 4k+b in bits 8b+7..8b of word k. Bits beyond
 *    feature IN-1 in the last word are ignored (send zeros).
 *  - host spikes (spike_unpack input): ceil(IN/32) 32-bit words per timestep, input i at bit i%32
 *    of word i/32; bits beyond input IN-1 are ignored.
 *  - spike stream (every output here, the input of dense_lif/dense_li): per timestep IN/SIMD words
 *    of SIMD bits, bit l of word f = input f*SIMD + l; timesteps in order.
 *
 * Cycle model (pipelined-loop iterations at II=1 per call = per sample, excluding pipeline depth;
 * what snn_cycle_counter counts):
 *  - rate_encoder, latency_encoder:  ceil(IN/4) + T * (IN/SIMD)
 *  - spike_unpack:                   T * (ceil(IN/32) + IN/SIMD)
 *
 * Encoder config (one struct per encoder, generated):
 * @code
 * struct enc0_cfg {
 *     static const unsigned IN = 64;      // features
 *     static const unsigned SIMD = 8;     // spikes per output word
 *     static const unsigned T = 16;       // timesteps per sample
 *     static const unsigned SEED = 0;     // rate encoder LFSR seed (0 -> 0xACE1ACE1); unused otherwise
 * };
 * @endcode
 */
#ifndef SNN2FPGA_SNN_ENCODERS_H
#define SNN2FPGA_SNN_ENCODERS_H

#include "snn_common.h"

// Loop labels name the loops in Vitis HLS reports; g++ -Wall would call them unused labels.
#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

/**
 * @brief Compile-time legality checks of an encoder config (instantiate to check).
 * @tparam CFG encoder config: IN, SIMD, T (and SEED for the rate encoder).
 */
template <class CFG>
struct snn_encoder_cfg_check {
    static_assert(CFG::IN >= 1, "IN (features) must be >= 1");
    static_assert(CFG::SIMD >= 1, "SIMD must be >= 1");
    static_assert(CFG::IN % CFG::SIMD == 0, "IN must be a multiple of SIMD");
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    static_assert(CFG::T <= (1u << 20), "T above 2^20 timesteps is not supported");
    static const bool ok = true;
};

/**
 * @brief Read one sample's ceil(IN/4) host words into a byte array (4 features per word, LE).
 * @tparam CFG encoder config (IN).
 * @param in host feature words.
 * @param q feature bytes, padded to a multiple of 4.
 */
template <class CFG>
void snn_read_features(hls::stream<ap_uint<32> >& in, ap_uint<8> q[snn_div_ceil<CFG::IN, 4>::value * 4]) {
#pragma HLS INLINE
    const unsigned IN_WORDS = snn_div_ceil<CFG::IN, 4>::value;
ReadFeatures:
    for (unsigned w = 0; w < IN_WORDS; w++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        const ap_uint<32> word = in.read();
    UnpackBytes:
        for (unsigned b = 0; b < 4; b++) {
#pragma HLS UNROLL
            q[w * 4 + b] = word.range(8 * b + 7, 8 * b);
        }
    }
}

/**
 * @brief Rate encoder: spike[t, i] = R[t, i] < q[i], R the LFSR byte sequence taken in (t, i) order.
 *
 * Reads one sample of 8-bit features, then emits T timesteps of IN/SIMD spike words. The LFSR is
 * seeded at every call and stepped 8 times per (t, i) byte, SIMD*8 times per cycle (unrolled).
 *
 * @tparam CFG encoder config: IN (features), SIMD (spikes per output word), T (timesteps),
 *   SEED (LFSR seed, 0 -> 0xACE1ACE1).
 * @param in ceil(IN/4) host words per sample (four 8-bit features each, little-endian).
 * @param out T * IN/SIMD spike words per sample.
 */
template <class CFG>
void rate_encoder(hls::stream<ap_uint<32> >& in, hls::stream<ap_uint<CFG::SIMD> >& out) {
    static_assert(snn_encoder_cfg_check<CFG>::ok, "invalid encoder config");
    const unsigned IN_WORDS = snn_div_ceil<CFG::IN, 4>::value;
    const unsigned FOLDS = CFG::IN / CFG::SIMD;
    const int Q_BANKS = snn_lcm<4, CFG::SIMD>::value;  // 4 bytes written, SIMD read per cycle
    (void)Q_BANKS;  // used by a pragma only

    ap_uint<8> q[IN_WORDS * 4];
#pragma HLS ARRAY_PARTITION variable=q cyclic factor=Q_BANKS dim=1
    snn_read_features<CFG>(in, q);

    ap_uint<32> lfsr = snn_lfsr_seed_state(CFG::SEED);
Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
    Fold:
        for (unsigned f = 0; f < FOLDS; f++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            ap_uint<CFG::SIMD> word = 0;
        Lane:
            for (unsigned l = 0; l < CFG::SIMD; l++) {
#pragma HLS UNROLL
            Step:
                for (unsigned s = 0; s < SNN_LFSR_STEPS_PER_BYTE; s++) {
#pragma HLS UNROLL
                    lfsr = snn_lfsr_step(lfsr);
                }
                const ap_uint<8> r = lfsr.range(7, 0);
                word[l] = (r < q[f * CFG::SIMD + l]) ? 1 : 0;
            }
            out.write(word);
        }
    }
}

/**
 * @brief Latency encoder: one spike per feature with q > 0, at t = ((255 - q) * (T - 1)) // 255.
 *
 * Reads one sample of 8-bit features (firing times computed as they arrive), then emits T timesteps
 * of IN/SIMD spike words.
 *
 * @tparam CFG encoder config: IN (features), SIMD (spikes per output word), T (timesteps).
 * @param in ceil(IN/4) host words per sample (four 8-bit features each, little-endian).
 * @param out T * IN/SIMD spike words per sample.
 */
template <class CFG>
void latency_encoder(hls::stream<ap_uint<32> >& in, hls::stream<ap_uint<CFG::SIMD> >& out) {
    static_assert(snn_encoder_cfg_check<CFG>::ok, "invalid encoder config");
    const unsigned IN_WORDS = snn_div_ceil<CFG::IN, 4>::value;
    const unsigned FOLDS = CFG::IN / CFG::SIMD;
    const int T_BANKS = snn_lcm<4, CFG::SIMD>::value;  // 4 written, SIMD read per cycle
    (void)T_BANKS;  // used by a pragma only
    // Firing time 0..T-1, or T for "never" (q == 0).
    typedef ap_uint<snn_clog2<CFG::T + 1>::value> fire_t;
    // (255 - q) * (T - 1) < 2^(8 + clog2(T)).
    typedef ap_uint<SNN_INPUT_BITS + snn_clog2<CFG::T>::value + 1> prod_t;

    fire_t t_fire[IN_WORDS * 4];
#pragma HLS ARRAY_PARTITION variable=t_fire cyclic factor=T_BANKS dim=1
ReadFeatures:
    for (unsigned w = 0; w < IN_WORDS; w++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        const ap_uint<32> word = in.read();
    FiringTime:
        for (unsigned b = 0; b < 4; b++) {
#pragma HLS UNROLL
            const ap_uint<8> q = word.range(8 * b + 7, 8 * b);
            const prod_t num = prod_t(SNN_INPUT_MAX - q) * prod_t(CFG::T - 1);
            t_fire[w * 4 + b] = (q == 0) ? fire_t(CFG::T) : fire_t(num / SNN_INPUT_MAX);
        }
    }

Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
    Fold:
        for (unsigned f = 0; f < FOLDS; f++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            ap_uint<CFG::SIMD> word = 0;
        Lane:
            for (unsigned l = 0; l < CFG::SIMD; l++) {
#pragma HLS UNROLL
                word[l] = (t_fire[f * CFG::SIMD + l] == t) ? 1 : 0;
            }
            out.write(word);
        }
    }
}

/**
 * @brief Unpack host-encoded spikes: 32 spikes per host word -> IN/SIMD words of SIMD spikes.
 *
 * Per timestep reads ceil(IN/32) words into a bit buffer, then emits IN/SIMD words.
 *
 * @tparam CFG encoder config: IN (inputs), SIMD (spikes per output word), T (timesteps).
 * @param in ceil(IN/32) host words per timestep, T timesteps per sample; input i at bit i%32 of word i/32.
 * @param out T * IN/SIMD spike words per sample.
 */
template <class CFG>
void spike_unpack(hls::stream<ap_uint<32> >& in, hls::stream<ap_uint<CFG::SIMD> >& out) {
    static_assert(snn_encoder_cfg_check<CFG>::ok, "invalid encoder config");
    const unsigned IN_WORDS = snn_div_ceil<CFG::IN, SNN_AXI_WORD_BITS>::value;
    const unsigned FOLDS = CFG::IN / CFG::SIMD;
    const int BIT_BANKS = snn_lcm<SNN_AXI_WORD_BITS, CFG::SIMD>::value;  // 32 written, SIMD read per cycle
    (void)BIT_BANKS;  // used by a pragma only

    ap_uint<1> bits[IN_WORDS * SNN_AXI_WORD_BITS];
#pragma HLS ARRAY_PARTITION variable=bits cyclic factor=BIT_BANKS dim=1
Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
    ReadWords:
        for (unsigned w = 0; w < IN_WORDS; w++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            const ap_uint<32> word = in.read();
        UnpackBits:
            for (unsigned b = 0; b < SNN_AXI_WORD_BITS; b++) {
#pragma HLS UNROLL
                bits[w * SNN_AXI_WORD_BITS + b] = word[b];
            }
        }
    Fold:
        for (unsigned f = 0; f < FOLDS; f++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            ap_uint<CFG::SIMD> word = 0;
        Lane:
            for (unsigned l = 0; l < CFG::SIMD; l++) {
#pragma HLS UNROLL
                word[l] = bits[f * CFG::SIMD + l];
            }
            out.write(word);
        }
    }
}

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#endif  // SNN2FPGA_SNN_ENCODERS_H
