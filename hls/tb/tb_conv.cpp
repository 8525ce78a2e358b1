/**
 * @file tb_conv.cpp
 * @brief C-simulation testbench of the conv / pool / DCLL / I/Q kernels (tests/hls/test_conv_kernels.py).
 *
 * Build:  g++ -std=c++14 -O1 -Wall -Wextra -Werror -Wno-unknown-pragmas -isystem <ap_types>
 *             -I hls -I <dir of tb_config.h> hls/tb/tb_conv.cpp -o tb
 * Run:    tb <case id> <input.txt> <output.txt>
 *
 * `tb_config.h` (written by the test, see tests/hls/conv_harness.py) defines the configs and the case
 * list `#define TB_CASES(X) X(<id>, <runner>, <cfg>) ...`, runner one of the tb_* templates below.
 *
 * Files are whitespace-separated decimal integers. Input: the number of samples N, the runner's
 * parameters (conv weights [COUT][K*K*CIN] in the kernel's order, dense weights [OUT][IN],
 * thresholds; each must fit weight_t / state_t and is stored in the config's weight_rom_t /
 * state_rom_t ROM arrays), then N samples. Output: one line per sample, counters then data. Spike
 * maps are written in stream order (t, y, x, c); final membranes (V, or U for DCLL) in the reference's
 * order (c, y, x) for conv, neuron order for dense. The internal streams are packed/unpacked here with
 * the kernels' convention: bit l of word f = element f*W + l. Exits non-zero, with a message, on
 * malformed input, on input words a kernel did not consume and on output words it did not produce.
 */
#include "snn_common.h"
#include "snn_conv.h"
#include "snn_iq.h"
#include "snn_neurons.h"

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

/** Read a 2-D ROM [R][C] of V values. @tparam V the ap_int value type. @tparam T ROM element type.
 * @tparam R rows. @tparam C columns. */
template <class V, class T, unsigned R, unsigned C>
void tb_read_matrix(FILE* f, T (&a)[R][C]) {
    for (unsigned r = 0; r < R; r++) {
        for (unsigned c = 0; c < C; c++) {
            a[r][c] = tb_read_rom<V, T>(f);
        }
    }
}

/** Read a 1-D ROM [N] of V values. @tparam V the ap_int value type. @tparam T ROM element type.
 * @tparam N length. */
template <class V, class T, unsigned N>
void tb_read_vector(FILE* f, T (&a)[N]) {
    for (unsigned i = 0; i < N; i++) {
        a[i] = tb_read_rom<V, T>(f);
    }
}

/** Push N 0/1 values as N/W words of W bits (bit l of word f = element f*W + l). @tparam W bits/word. */
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

/** Pop N/W words of W bits, print their bits, and optionally forward the words.
 * @tparam W bits per word. */
template <unsigned W>
void tb_pop_bits(hls::stream<ap_uint<W> >& s, FILE* f, unsigned n, hls::stream<ap_uint<W> >* fwd = NULL) {
    for (unsigned w = 0; w < n / W; w++) {
        if (s.empty()) {
            tb_fail("a kernel wrote fewer spike words than its stream format says");
        }
        const ap_uint<W> word = s.read();
        for (unsigned l = 0; l < W; l++) {
            std::fprintf(f, " %d", int(word[l]));
        }
        if (fwd != NULL) {
            fwd->write(word);
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

/** Fail when a stream still holds words. @tparam T the stream word type. */
template <class T>
void tb_expect_empty(hls::stream<T>& s, const char* what) {
    if (!s.empty()) {
        std::fprintf(stderr, "tb: %s: %u words left over\n", what, static_cast<unsigned>(s.size()));
        std::exit(3);
    }
}

/** Print the final membranes the kernel configured by CFG recorded. @tparam CFG the layer config. */
template <class CFG>
void tb_print_membranes(FILE* f, unsigned n) {
    const std::vector<long long>& v = snn_membrane_tap<CFG>::v;
    if (v.size() != n) {
        tb_fail("the membrane tap does not hold one value per neuron");
    }
    for (unsigned i = 0; i < n; i++) {
        std::fprintf(f, " %lld", v[i]);
    }
}

/** Reset the counters and the membrane tap of one kernel config. @tparam CFG the kernel config. */
template <class CFG>
void tb_reset() {
    snn_cycle_counter<CFG>::reset();
    snn_membrane_tap<CFG>::v.clear();
}

/** Conv layer weights and thresholds, read from the input file. @tparam CFG conv layer config. */
template <class CFG>
struct tb_conv_params {
    typename CFG::weight_rom_t w[CFG::COUT][CFG::K * CFG::K * CFG::CIN];
    typename CFG::state_rom_t th[CFG::COUT];
    void read(FILE* f) {
        tb_read_matrix<typename CFG::weight_t>(f, w);
        tb_read_vector<typename CFG::state_t>(f, th);
    }
};

/** Dense layer weights and thresholds. @tparam CFG dense layer config. */
template <class CFG>
struct tb_dense_params {
    typename CFG::weight_rom_t w[CFG::OUT][CFG::IN];
    typename CFG::state_rom_t th[CFG::OUT];
    void read(FILE* f) {
        tb_read_matrix<typename CFG::weight_t>(f, w);
        tb_read_vector<typename CFG::state_t>(f, th);
    }
};

/**
 * conv_neuron alone. Input: N, W[COUT][K*K*CIN], theta[COUT], then N samples of T*H*W*CIN spikes
 * (t, y, x, c). Output: cycles saturations, T*HO*WO*COUT spikes (t, y, x, c), COUT*HO*WO membranes.
 * @tparam CFG conv layer config.
 */
template <class CFG>
void tb_conv(FILE* in, FILE* out) {
    typedef snn_conv_traits<CFG> tr;
    static tb_conv_params<CFG> prm;
    const long long samples = tb_read(in);
    prm.read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<CFG::SIMD> > s_in;
        hls::stream<ap_uint<CFG::OUT_SIMD> > s_out;
        tb_push_bits<CFG::SIMD>(s_in, in, CFG::T * CFG::H * CFG::W * CFG::CIN);
        tb_reset<CFG>();
        conv_neuron<CFG>(s_in, s_out, prm.w, prm.th);
        tb_expect_empty(s_in, "conv_neuron input");
        std::fprintf(out, "%llu %llu", snn_cycle_counter<CFG>::cycles, snn_cycle_counter<CFG>::saturations);
        tb_pop_bits<CFG::OUT_SIMD>(s_out, out, CFG::T * tr::NEURONS);
        tb_print_membranes<CFG>(out, tr::NEURONS);
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "conv_neuron output");
    }
}

/**
 * iq_encoder -> conv_event_neuron. CH holds typedefs ENC (I/Q config) and L (conv config). Input: N,
 * W[COUT][K*K], theta[COUT], then N samples of ceil(T/2) host words. Output: encoder cycles, conv
 * cycles, conv saturations, T events (row*256 + col), T*HO*WO*COUT spikes, COUT*HO*WO membranes.
 * @tparam CH the chain (ENC, L).
 */
template <class CH>
void tb_conv_event(FILE* in, FILE* out) {
    typedef typename CH::ENC ENC;
    typedef typename CH::L L;
    typedef snn_conv_traits<L> tr;
    static_assert(ENC::T == L::T && ENC::G == L::H && ENC::G == L::W, "encoder/conv mismatch");
    static tb_conv_params<L> prm;
    const long long samples = tb_read(in);
    prm.read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<32> > s_host;
        hls::stream<ap_uint<16> > s_ev;
        hls::stream<ap_uint<16> > s_ev2;
        hls::stream<ap_uint<L::OUT_SIMD> > s_out;
        tb_push_words(s_host, in, snn_div_ceil<ENC::T, 2>::value);
        tb_reset<ENC>();
        tb_reset<L>();
        iq_encoder<ENC>(s_host, s_ev);
        tb_expect_empty(s_host, "iq_encoder input");
        std::vector<unsigned> evs;
        while (!s_ev.empty()) {
            const ap_uint<16> e = s_ev.read();
            evs.push_back(unsigned(e));
            s_ev2.write(e);
        }
        if (evs.size() != ENC::T) {
            tb_fail("iq_encoder wrote a wrong number of events");
        }
        conv_event_neuron<L>(s_ev2, s_out, prm.w, prm.th);
        tb_expect_empty(s_ev2, "conv_event_neuron input");
        std::fprintf(out, "%llu %llu %llu", snn_cycle_counter<ENC>::cycles, snn_cycle_counter<L>::cycles,
                     snn_cycle_counter<L>::saturations);
        for (size_t k = 0; k < evs.size(); k++) {
            std::fprintf(out, " %u", evs[k]);
        }
        tb_pop_bits<L::OUT_SIMD>(s_out, out, L::T * tr::NEURONS);
        tb_print_membranes<L>(out, tr::NEURONS);
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "conv_event_neuron output");
    }
}

/** maxpool_or alone. Input: N, then N samples of T*H*W*C spikes (t, y, x, c). Output: cycles 0, then
 * T*HO*WO*C spikes (t, y, x, c). @tparam CFG pool config. */
template <class CFG>
void tb_maxpool(FILE* in, FILE* out) {
    typedef snn_pool_traits<CFG> tr;
    const long long samples = tb_read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<CFG::SIMD> > s_in;
        hls::stream<ap_uint<CFG::SIMD> > s_out;
        tb_push_bits<CFG::SIMD>(s_in, in, CFG::T * CFG::H * CFG::W * CFG::C);
        snn_cycle_counter<CFG>::reset();
        maxpool_or<CFG>(s_in, s_out);
        tb_expect_empty(s_in, "maxpool_or input");
        std::fprintf(out, "%llu 0", snn_cycle_counter<CFG>::cycles);
        tb_pop_bits<CFG::SIMD>(s_out, out, CFG::T * tr::HO * tr::WO * CFG::C);
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "maxpool_or output");
    }
}

/** dense_dcll alone. Input: N, W[OUT][IN], theta[OUT], then N samples of T*IN spikes. Output: cycles
 * saturations, T*OUT spikes, OUT final U. @tparam CFG dense DCLL config. */
template <class CFG>
void tb_dense_dcll(FILE* in, FILE* out) {
    static tb_dense_params<CFG> prm;
    const long long samples = tb_read(in);
    prm.read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<CFG::SIMD> > s_in;
        hls::stream<ap_uint<CFG::OUT_SIMD> > s_out;
        tb_push_bits<CFG::SIMD>(s_in, in, CFG::T * CFG::IN);
        tb_reset<CFG>();
        dense_dcll<CFG>(s_in, s_out, prm.w, prm.th);
        tb_expect_empty(s_in, "dense_dcll input");
        std::fprintf(out, "%llu %llu", snn_cycle_counter<CFG>::cycles, snn_cycle_counter<CFG>::saturations);
        tb_pop_bits<CFG::OUT_SIMD>(s_out, out, CFG::T * CFG::OUT);
        tb_print_membranes<CFG>(out, CFG::OUT);
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "dense_dcll output");
    }
}

/** iq_frame_encoder alone. Input: N, then N samples of ceil(T/2) host words. Output: cycles 0, then
 * T*G*G spikes (t, row, col). @tparam CFG I/Q encoder config with SIMD. */
template <class CFG>
void tb_iq_frame(FILE* in, FILE* out) {
    const long long samples = tb_read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<32> > s_host;
        hls::stream<ap_uint<CFG::SIMD> > s_out;
        tb_push_words(s_host, in, snn_div_ceil<CFG::T, 2>::value);
        snn_cycle_counter<CFG>::reset();
        iq_frame_encoder<CFG>(s_host, s_out);
        tb_expect_empty(s_host, "iq_frame_encoder input");
        std::fprintf(out, "%llu 0", snn_cycle_counter<CFG>::cycles);
        tb_pop_bits<CFG::SIMD>(s_out, out, CFG::T * CFG::G * CFG::G);
        std::fprintf(out, "\n");
        tb_expect_empty(s_out, "iq_frame_encoder output");
    }
}

/**
 * iq_encoder -> conv_event_neuron -> maxpool_or -> conv_neuron -> dense_dcll, one sample at a time.
 * CH holds typedefs ENC, L1 (event conv), P (pool), L2 (conv), L3 (dense DCLL). Input: N, W1, theta1,
 * W2, theta2, W3, theta3, then N samples of ceil(T/2) host words. Output: cycles of ENC L1 P L2 L3,
 * saturations of L1 L2 L3, then the spikes of L1, P, L2, L3 (stream order), then L3's OUT final U.
 * @tparam CH the chain.
 */
template <class CH>
void tb_dcll_chain(FILE* in, FILE* out) {
    typedef typename CH::ENC ENC;
    typedef typename CH::L1 L1;
    typedef typename CH::P P;
    typedef typename CH::L2 L2;
    typedef typename CH::L3 L3;
    typedef snn_conv_traits<L1> t1;
    typedef snn_pool_traits<P> tp;
    typedef snn_conv_traits<L2> t2;
    static_assert(ENC::T == L1::T && ENC::G == L1::H && ENC::G == L1::W, "encoder/L1 mismatch");
    static_assert(P::H == t1::HO && P::W == t1::WO && P::C == L1::COUT && P::SIMD == L1::OUT_SIMD, "L1/P mismatch");
    static_assert(L2::H == tp::HO && L2::W == tp::WO && L2::CIN == P::C && L2::SIMD == P::SIMD, "P/L2 mismatch");
    static_assert(L3::IN == t2::NEURONS && L3::SIMD == L2::OUT_SIMD, "L2/L3 mismatch");
    static tb_conv_params<L1> p1;
    static tb_conv_params<L2> p2;
    static tb_dense_params<L3> p3;
    const long long samples = tb_read(in);
    p1.read(in);
    p2.read(in);
    p3.read(in);
    for (long long n = 0; n < samples; n++) {
        hls::stream<ap_uint<32> > s_host;
        hls::stream<ap_uint<16> > s_ev;
        hls::stream<ap_uint<L1::OUT_SIMD> > s1, s1f;
        hls::stream<ap_uint<P::SIMD> > sp, spf;
        hls::stream<ap_uint<L2::OUT_SIMD> > s2, s2f;
        hls::stream<ap_uint<L3::OUT_SIMD> > s3;
        tb_push_words(s_host, in, snn_div_ceil<ENC::T, 2>::value);
        tb_reset<ENC>();
        tb_reset<L1>();
        tb_reset<P>();
        tb_reset<L2>();
        tb_reset<L3>();
        // C-simulation runs the stages one after another, as a DATAFLOW region does in csim.
        iq_encoder<ENC>(s_host, s_ev);
        conv_event_neuron<L1>(s_ev, s1, p1.w, p1.th);
        FILE* mem = std::tmpfile();  // the spike dumps, printed after the counters
        if (mem == NULL) {
            tb_fail("cannot open a temporary file");
        }
        tb_pop_bits<L1::OUT_SIMD>(s1, mem, L1::T * t1::NEURONS, &s1f);
        maxpool_or<P>(s1f, sp);
        tb_pop_bits<P::SIMD>(sp, mem, P::T * tp::HO * tp::WO * P::C, &spf);
        conv_neuron<L2>(spf, s2, p2.w, p2.th);
        tb_pop_bits<L2::OUT_SIMD>(s2, mem, L2::T * t2::NEURONS, &s2f);
        dense_dcll<L3>(s2f, s3, p3.w, p3.th);
        tb_pop_bits<L3::OUT_SIMD>(s3, mem, L3::T * L3::OUT);
        tb_print_membranes<L3>(mem, L3::OUT);
        std::fprintf(out, "%llu %llu %llu %llu %llu %llu %llu %llu", snn_cycle_counter<ENC>::cycles,
                     snn_cycle_counter<L1>::cycles, snn_cycle_counter<P>::cycles, snn_cycle_counter<L2>::cycles,
                     snn_cycle_counter<L3>::cycles, snn_cycle_counter<L1>::saturations,
                     snn_cycle_counter<L2>::saturations, snn_cycle_counter<L3>::saturations);
        std::rewind(mem);
        int c = 0;
        while ((c = std::fgetc(mem)) != EOF) {
            std::fputc(c, out);
        }
        std::fclose(mem);
        std::fprintf(out, "\n");
        tb_expect_empty(s_host, "chain host input");
        tb_expect_empty(s_ev, "chain events");
        tb_expect_empty(s1f, "chain pool input");
        tb_expect_empty(spf, "chain conv input");
        tb_expect_empty(s2f, "chain dense input");
        tb_expect_empty(s3, "chain dense output");
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
