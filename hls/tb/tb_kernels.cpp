/**
 * @file tb_kernels.cpp
 * @brief Generic C-simulation testbench of the snn2fpga HLS kernels (tests/hls/test_kernels.py).
 *
 * Build:  g++ -std=c++14 -O1 -Wall -Wextra -Werror -Wno-unknown-pragmas -isystem <ap_types>
 *             -I hls -I <dir of tb_config.h> hls/tb/tb_kernels.cpp -o tb
 * Run:    tb <case id> <input.txt> <output.txt>
 *
 * `tb_config.h` (written by the test) defines the kernel configs and the case list
 * `#define TB_CASES(X) X(<id>, <runner>, <cfg>) ...`, runner one of tb_dense_lif, tb_dense_li,
 * tb_rate, tb_latency, tb_unpack, tb_chain (below). Each case runs its kernel(s) once per sample.
 *
 * Files are whitespace-separated decimal integers. Input: the number of samples N, then the runner's
 * parameters (weights row-major [OUT][IN], thresholds [OUT]; each must fit weight_t / state_t and is
 * stored in the config's weight_rom_t / state_rom_t ROM arrays), then N samples:
 *   tb_dense_lif, tb_dense_li: T*IN spikes 0/1, (t, i) row-major;
 *   tb_rate, tb_latency, tb_chain: ceil(IN/4) host words (the AXI-Stream words, unsigned 32-bit);
 *   tb_unpack: T*ceil(IN/32) host words.
 * Output: one line per sample, counters then data:
 *   tb_dense_lif: cycles saturations, then T*OUT spikes (t, neuron) row-major;
 *   tb_dense_li:  cycles saturations, then OUT final membranes;
 *   tb_rate, tb_latency, tb_unpack: cycles 0, then T*IN spikes (t, i) row-major;
 *   tb_chain: encoder cycles, hidden cycles, readout cycles, hidden saturations, readout
 *             saturations, then T*HIDDEN hidden spikes, then OUT final membranes.
 * The internal spike streams are packed/unpacked here with the kernels' convention: bit l of word f
 * = element f*W + l of the timestep. Exits non-zero, with a message, on malformed input, on input
 * words a kernel did not consume or output words it did not produce. Prints the total cycle count.
 */
#include "snn_common.h"
#include "snn_dense.h"
#include "snn_encoders.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

[[noreturn]] inline void tb_fail(const char* what) {
    std::fprintf(stderr, "tb: %s\n", what);
    std::exit(2);
}

inline long long tb_read(FILE* f) {
    long long v = 0;
    if (std::fscanf(f, "%lld", &v) != 1) {
        tb_fail("input file ended early or holds a non-integer");
    }
    return v;
}

/** Read an integer that must fit the ap_int type V exactly, as a ROM element of type R (the kernels'
 * weight_rom_t / state_rom_t, see snn_rom in snn_common.h).
 * @tparam V the ap_int type the value stands for (weight_t, state_t). @tparam R the ROM element type. */
template <class V, class R>
R tb_read_rom(FILE* f) {
    const long long v = tb_read(f);
    const V x = v;
    if (x.to_int64() != v) {
        tb_fail("a weight or threshold does not fit its ap_int type");
    }
    return R(x.to_int64());
}

/** Push one timestep of N 0/1 values as N/W words of W bits (bit l of word f = element f*W + l).
 * @tparam W bits per word. */
template <unsigned W>
void tb_push_bits(hls::stream<ap_uint<W> >& s, FILE* f, unsigned n) {
    for (unsigned w = 0; w < n / W; w++) {
        ap_uint<W> word = 0;
        for (unsigned l = 0; l < W; l++) {
            const long long b = tb_read(f);
            if (b != 0 && b != 1) {
                tb_fail("a spike must be 0 or 1");
            }
            word[l] = b;
        }
        s.write(word);
    }
}

/** Pop N/W words of W bits and print their N bits in element order. @tparam W bits per word. */
template <unsigned W>
void tb_pop_bits(hls::stream<ap_uint<W> >& s, FILE* f, unsigned n) {
    for (unsigned w = 0; w < n / W; w++) {
        if (s.empty()) {
            tb_fail("a kernel wrote fewer spike words than its stream format says");
        }
        const ap_uint<W> word = s.read();
        for (unsigned l = 0; l < W; l++) {
            std::fprintf(f, " %d", int(word[l]));
        }
    }
}

inline void tb_push_words(hls::stream<ap_uint<32> >& s, FILE* f, unsigned n) {
    for (unsigned w = 0; w < n; w++) {
        const long long v = tb_read(f);
        if (v < 0 || v > 0xFFFFFFFFLL) {
            tb_fail("a host word must be an unsigned 32-bit integer");
        }
        s.write(ap_uint<32>(static_cast<unsigned long long>(v)));
    }
}

inline void tb_pop_ints(hls::stream<ap_int<32> >& s, FILE* f, unsigned n) {
    for (unsigned o = 0; o < n; o++) {
        if (s.empty()) {
            tb_fail("a kernel wrote fewer membrane words than OUT");
        }
        std::fprintf(f, " %lld", static_cast<long long>(s.read().to_int64()));
    }
}

/** Fail when a stream still holds words. @tparam T the stream word type. */
template <class T>
void tb_expect_empty(hls::stream<T>& s, const char* what) {
    if (!s.empty()) {
        std::fprintf(stderr, "tb: %s: %u words left over\n", what, static_cast<unsigned>(s.size()));
        std::exit(3);
    }
}

/** Print the cycle and saturation counters of one kernel config. @tparam CFG the kernel config. */
template <class CFG>
void tb_print_counters(FILE* f) {
    std::fprintf(f, "%llu %llu", snn_cycle_counter<CFG>::cycles, snn_cycle_counter<CFG>::saturations);
}

/** Spiking dense layer: input N, W[OUT][IN], theta[OUT], then N samples of T*IN spikes.
 * @tparam CFG dense layer config. */
template <class CFG>
void tb_dense_lif(FILE* in, FILE* out) {
    typedef typename CFG::weight_rom_t weight_rom_t;
    typedef typename CFG::state_rom_t state_rom_t;
    static weight_rom_t weights[CFG::OUT][CFG::IN];
    static state_rom_t thresholds[CFG::OUT];
    const long long samples = tb_read(in);
    for (unsigned o = 0; o < CFG::OUT; o++) {
        for (unsigned i = 0; i < CFG::IN; i++) {
            weights[o][i] = tb_read_rom<typename CFG::weight_t, weight_rom_t>(in);
        }
    }
    for (unsigned o = 0; o < CFG::OUT; o++) {
        thresholds[o] = tb_read_rom<typename CFG::state_t, state_rom_t>(in);
    }
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<CFG::SIMD> > s_in;
        hls::stream<ap_uint<CFG::OUT_SIMD> > s_out;
        for (unsigned t = 0; t < CFG::T; t++) {
            tb_push_bits<CFG::SIMD>(s_in, in, CFG::IN);
        }
        snn_cycle_counter<CFG>::reset();
        dense_lif<CFG>(s_in, s_out, weights, thresholds);
        tb_expect_empty(s_in, "dense_lif input");
        tb_print_counters<CFG>(out);
        for (unsigned t = 0; t < CFG::T; t++) {
            tb_pop_bits<CFG::OUT_SIMD>(s_out, out, CFG::OUT);
        }
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "dense_lif output");
    }
}

/** LI readout: input N, W[OUT][IN], then N samples of T*IN spikes. @tparam CFG dense layer config. */
template <class CFG>
void tb_dense_li(FILE* in, FILE* out) {
    typedef typename CFG::weight_rom_t weight_rom_t;
    static weight_rom_t weights[CFG::OUT][CFG::IN];
    const long long samples = tb_read(in);
    for (unsigned o = 0; o < CFG::OUT; o++) {
        for (unsigned i = 0; i < CFG::IN; i++) {
            weights[o][i] = tb_read_rom<typename CFG::weight_t, weight_rom_t>(in);
        }
    }
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<CFG::SIMD> > s_in;
        hls::stream<ap_int<32> > s_out;
        for (unsigned t = 0; t < CFG::T; t++) {
            tb_push_bits<CFG::SIMD>(s_in, in, CFG::IN);
        }
        snn_cycle_counter<CFG>::reset();
        dense_li<CFG>(s_in, s_out, weights);
        tb_expect_empty(s_in, "dense_li input");
        tb_print_counters<CFG>(out);
        tb_pop_ints(s_out, out, CFG::OUT);
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "dense_li output");
    }
}

/** On-chip encoders: input N, then N samples of ceil(IN/4) host words.
 * @tparam CFG encoder config. @tparam RATE rate encoder if true, latency encoder if false. */
template <class CFG, bool RATE>
void tb_encoder(FILE* in, FILE* out) {
    const long long samples = tb_read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<32> > s_in;
        hls::stream<ap_uint<CFG::SIMD> > s_out;
        tb_push_words(s_in, in, snn_div_ceil<CFG::IN, 4>::value);
        snn_cycle_counter<CFG>::reset();
        if (RATE) {
            rate_encoder<CFG>(s_in, s_out);
        } else {
            latency_encoder<CFG>(s_in, s_out);
        }
        tb_expect_empty(s_in, "encoder input");
        tb_print_counters<CFG>(out);
        for (unsigned t = 0; t < CFG::T; t++) {
            tb_pop_bits<CFG::SIMD>(s_out, out, CFG::IN);
        }
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "encoder output");
    }
}

/** Rate encoder runner. @tparam CFG encoder config. */
template <class CFG>
void tb_rate(FILE* in, FILE* out) {
    tb_encoder<CFG, true>(in, out);
}

/** Latency encoder runner. @tparam CFG encoder config. */
template <class CFG>
void tb_latency(FILE* in, FILE* out) {
    tb_encoder<CFG, false>(in, out);
}

/** Host-spike unpacker: input N, then N samples of T*ceil(IN/32) host words. @tparam CFG encoder config. */
template <class CFG>
void tb_unpack(FILE* in, FILE* out) {
    const long long samples = tb_read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<32> > s_in;
        hls::stream<ap_uint<CFG::SIMD> > s_out;
        tb_push_words(s_in, in, CFG::T * snn_div_ceil<CFG::IN, 32>::value);
        snn_cycle_counter<CFG>::reset();
        spike_unpack<CFG>(s_in, s_out);
        tb_expect_empty(s_in, "spike_unpack input");
        tb_print_counters<CFG>(out);
        for (unsigned t = 0; t < CFG::T; t++) {
            tb_pop_bits<CFG::SIMD>(s_out, out, CFG::IN);
        }
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "spike_unpack output");
    }
}

/**
 * Encoder -> dense_lif -> dense_li, one sample at a time. CH holds typedefs ENC, L1, L2 and
 * `static const bool RATE`. Input: N, W1, theta1, W2, then N samples of ceil(IN/4) host words.
 * @tparam CH the chain: ENC (encoder config), L1 (dense_lif config), L2 (dense_li config), RATE.
 */
template <class CH>
void tb_chain(FILE* in, FILE* out) {
    typedef typename CH::ENC ENC;
    typedef typename CH::L1 L1;
    typedef typename CH::L2 L2;
    static_assert(ENC::SIMD == L1::SIMD && ENC::IN == L1::IN && ENC::T == L1::T, "encoder/L1 mismatch");
    static_assert(L1::OUT_SIMD == L2::SIMD && L1::OUT == L2::IN && L1::T == L2::T, "L1/L2 mismatch");
    static typename L1::weight_rom_t w1[L1::OUT][L1::IN];
    static typename L1::state_rom_t th1[L1::OUT];
    static typename L2::weight_rom_t w2[L2::OUT][L2::IN];
    const long long samples = tb_read(in);
    for (unsigned o = 0; o < L1::OUT; o++) {
        for (unsigned i = 0; i < L1::IN; i++) {
            w1[o][i] = tb_read_rom<typename L1::weight_t, typename L1::weight_rom_t>(in);
        }
    }
    for (unsigned o = 0; o < L1::OUT; o++) {
        th1[o] = tb_read_rom<typename L1::state_t, typename L1::state_rom_t>(in);
    }
    for (unsigned o = 0; o < L2::OUT; o++) {
        for (unsigned i = 0; i < L2::IN; i++) {
            w2[o][i] = tb_read_rom<typename L2::weight_t, typename L2::weight_rom_t>(in);
        }
    }
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<32> > s_host;
        hls::stream<ap_uint<ENC::SIMD> > s_enc;
        hls::stream<ap_uint<L1::OUT_SIMD> > s_hidden;
        hls::stream<ap_uint<L1::OUT_SIMD> > s_l2_in;
        hls::stream<ap_int<32> > s_scores;
        tb_push_words(s_host, in, snn_div_ceil<ENC::IN, 4>::value);
        snn_cycle_counter<ENC>::reset();
        snn_cycle_counter<L1>::reset();
        snn_cycle_counter<L2>::reset();
        if (CH::RATE) {
            rate_encoder<ENC>(s_host, s_enc);
        } else {
            latency_encoder<ENC>(s_host, s_enc);
        }
        dense_lif<L1>(s_enc, s_hidden, w1, th1);
        // Record the hidden spikes on their way to the readout.
        std::vector<int> hidden_bits;
        while (!s_hidden.empty()) {
            const ap_uint<L1::OUT_SIMD> word = s_hidden.read();
            for (unsigned l = 0; l < L1::OUT_SIMD; l++) {
                hidden_bits.push_back(int(word[l]));
            }
            s_l2_in.write(word);
        }
        if (hidden_bits.size() != static_cast<size_t>(L1::T) * L1::OUT) {
            tb_fail("dense_lif wrote a wrong number of spike words");
        }
        dense_li<L2>(s_l2_in, s_scores, w2);
        std::fprintf(out, "%llu %llu %llu %llu %llu", snn_cycle_counter<ENC>::cycles, snn_cycle_counter<L1>::cycles,
                     snn_cycle_counter<L2>::cycles, snn_cycle_counter<L1>::saturations,
                     snn_cycle_counter<L2>::saturations);
        for (size_t k = 0; k < hidden_bits.size(); k++) {
            std::fprintf(out, " %d", hidden_bits[k]);
        }
        tb_pop_ints(s_scores, out, L2::OUT);
        std::fprintf(out, "\n");
        tb_expect_empty(s_host, "chain host input");
        tb_expect_empty(s_enc, "chain encoder output");
        tb_expect_empty(s_l2_in, "chain readout input");
        tb_expect_empty(s_scores, "chain readout output");
    }
}

}  // namespace

#include "tb_config.h"

#ifndef TB_CASES
#error "tb_config.h must define TB_CASES(X)"
#endif

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <case id> <input.txt> <output.txt>\n", argv[0]);
        return 1;
    }
    const int case_id = std::atoi(argv[1]);
    FILE* fin = std::fopen(argv[2], "r");
    FILE* fout = std::fopen(argv[3], "w");
    if (fin == NULL || fout == NULL) {
        std::fprintf(stderr, "tb: cannot open %s or %s\n", argv[2], argv[3]);
        return 1;
    }
    snn_cycle_counter<>::reset();
    bool found = false;
#define TB_DISPATCH(id, runner, cfg) \
    if (case_id == (id)) {           \
        runner<cfg>(fin, fout);      \
        found = true;                \
    }
    TB_CASES(TB_DISPATCH)
#undef TB_DISPATCH
    std::fclose(fin);
    std::fclose(fout);
    if (!found) {
        std::fprintf(stderr, "tb: no case %d in tb_config.h\n", case_id);
        return 1;
    }
    std::printf("tb: case %d: %llu pipelined-loop iterations (cycles at II=1), %llu saturations\n", case_id,
                snn_cycle_counter<>::cycles, snn_cycle_counter<>::saturations);
    return 0;
}
