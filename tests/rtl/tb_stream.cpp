// Generic Verilator testbench of one stream module (tests/rtl/harness.py builds and runs it).
//
// The module under test (verilated with --prefix Vdut) has the ports of RTL_CONVENTIONS.md: clk, rst_n,
// s_tdata/s_tvalid/s_tready, m_tdata/m_tvalid/m_tready, data of any width (the port type decides how the
// words are copied: CData/SData/IData/QData or VlWide<N>).
//
// usage: tb IN_FILE OUT_FILE N_OUT SEED P_VALID_PERMILLE P_READY_PERMILLE MAX_CYCLES DRAIN_CYCLES
//   IN_FILE   input words, one hex number per line.
//   OUT_FILE  written: "i CYCLE" per input handshake, "o CYCLE HEX" per output handshake, in time order.
// The input side presents the next word with probability P_VALID per cycle and holds it until it is
// taken; m_tready is high with probability P_READY per cycle (a seeded xorshift). The run stops
// DRAIN_CYCLES cycles after the N_OUT-th output (outputs seen in that window are written too, so the
// caller sees extra words), or fails at MAX_CYCLES. Cycle 0 is the first cycle after reset.
//
// Checked every cycle (exit code 3 with a message on stderr):
//   - m_tvalid does not depend combinationally on m_tready, s_tready not on s_tvalid;
//   - once m_tvalid is high it stays high, with m_tdata unchanged, until the handshake.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "Vdut.h"
#include "verilated.h"

typedef std::vector<uint32_t> Word;  // little-endian 32-bit limbs

static Word parse_hex(const std::string& s) {
    Word w;
    int end = static_cast<int>(s.size());
    while (end > 0) {
        int start = end - 8 > 0 ? end - 8 : 0;
        w.push_back(static_cast<uint32_t>(std::stoul(s.substr(start, end - start), nullptr, 16)));
        end = start;
    }
    if (w.empty()) w.push_back(0);
    return w;
}

static std::string to_hex(const Word& w) {
    std::string s;
    char buf[16];
    for (int i = static_cast<int>(w.size()) - 1; i >= 0; i--) {
        std::snprintf(buf, sizeof buf, "%08x", w[i]);
        s += buf;
    }
    return s;
}

static uint32_t limb(const Word& w, size_t i) { return i < w.size() ? w[i] : 0u; }

static void put(CData& p, const Word& w) { p = static_cast<CData>(limb(w, 0)); }
static void put(SData& p, const Word& w) { p = static_cast<SData>(limb(w, 0)); }
static void put(IData& p, const Word& w) { p = limb(w, 0); }
static void put(QData& p, const Word& w) { p = limb(w, 0) | (static_cast<QData>(limb(w, 1)) << 32); }
template <std::size_t N>
static void put(VlWide<N>& p, const Word& w) {
    for (std::size_t i = 0; i < N; i++) p[i] = limb(w, i);
}

static Word get(CData p) { return Word{p}; }
static Word get(SData p) { return Word{p}; }
static Word get(IData p) { return Word{p}; }
static Word get(QData p) { return Word{static_cast<uint32_t>(p), static_cast<uint32_t>(p >> 32)}; }
template <std::size_t N>
static Word get(const VlWide<N>& p) {
    Word w(N);
    for (std::size_t i = 0; i < N; i++) w[i] = p[i];
    return w;
}

static uint64_t rng_state;
static uint32_t rnd() {  // xorshift64
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return static_cast<uint32_t>(rng_state >> 32);
}
static bool chance(unsigned permille) { return permille >= 1000 || (rnd() % 1000) < permille; }

static int fail(long cycle, const char* what) {
    std::fprintf(stderr, "protocol violation at cycle %ld: %s\n", cycle, what);
    return 3;
}

int main(int argc, char** argv) {
    if (argc != 9) {
        std::fprintf(stderr, "usage: %s IN OUT N_OUT SEED P_VALID P_READY MAX_CYCLES DRAIN\n", argv[0]);
        return 2;
    }
    std::vector<Word> inputs;
    {
        std::ifstream f(argv[1]);
        std::string line;
        while (std::getline(f, line)) {
            if (!line.empty()) inputs.push_back(parse_hex(line));
        }
    }
    const long n_out = std::atol(argv[3]);
    rng_state = 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(std::atoll(argv[4])) * 0x2545F4914F6CDD1Dull);
    if (rng_state == 0) rng_state = 1;
    const unsigned p_valid = static_cast<unsigned>(std::atoi(argv[5]));
    const unsigned p_ready = static_cast<unsigned>(std::atoi(argv[6]));
    const long max_cycles = std::atol(argv[7]);
    const long drain = std::atol(argv[8]);

    VerilatedContext ctx;
    ctx.randReset(2);  // registers and memories power up random: nothing may rely on zeros
    Vdut dut(&ctx);
    std::FILE* out = std::fopen(argv[2], "w");
    if (out == nullptr) return 2;

    dut.clk = 0;
    dut.rst_n = 0;
    dut.s_tvalid = 0;
    dut.m_tready = 0;
    dut.eval();
    for (int i = 0; i < 3; i++) {
        dut.clk = 1;
        dut.eval();
        dut.clk = 0;
        dut.eval();
    }
    dut.rst_n = 1;
    dut.eval();

    size_t next = 0;
    bool presenting = false;
    long got = 0, stop_at = -1;
    bool held = false;  // last cycle ended with m_tvalid && !m_tready
    Word held_data;
    const Word zero{0};
    for (long cycle = 0; cycle < max_cycles; cycle++) {
        if (!presenting && next < inputs.size() && chance(p_valid)) presenting = true;
        put(dut.s_tdata, presenting ? inputs[next] : zero);
        const bool ready = chance(p_ready);

        // combinational independence checks: toggle one handshake input at a time
        dut.m_tready = ready;
        dut.s_tvalid = 0;
        dut.eval();
        const bool sr0 = dut.s_tready;
        dut.s_tvalid = 1;
        dut.eval();
        if (static_cast<bool>(dut.s_tready) != sr0) return fail(cycle, "s_tready depends on s_tvalid");
        dut.s_tvalid = presenting;
        dut.m_tready = 0;
        dut.eval();
        const bool mv0 = dut.m_tvalid;
        dut.m_tready = 1;
        dut.eval();
        if (static_cast<bool>(dut.m_tvalid) != mv0) return fail(cycle, "m_tvalid depends on m_tready");
        dut.s_tvalid = presenting;
        dut.m_tready = ready;
        dut.eval();

        const bool mvalid = dut.m_tvalid;
        const Word mdata = get(dut.m_tdata);
        if (held && (!mvalid || mdata != held_data)) return fail(cycle, "m_tvalid/m_tdata changed before the handshake");
        if (presenting && dut.s_tready) {
            std::fprintf(out, "i %ld\n", cycle);
            next++;
            presenting = false;
        }
        if (mvalid && ready) {
            std::fprintf(out, "o %ld %s\n", cycle, to_hex(mdata).c_str());
            got++;
            if (got == n_out) stop_at = cycle + drain;
        }
        held = mvalid && !ready;
        held_data = mdata;

        dut.clk = 1;
        dut.eval();
        dut.clk = 0;
        dut.eval();
        if (stop_at >= 0 && cycle >= stop_at) {
            std::fclose(out);
            dut.final();
            return 0;
        }
    }
    std::fclose(out);
    std::fprintf(stderr, "timeout: %ld of %ld output words after %ld cycles (%zu of %zu inputs taken)\n", got, n_out,
                 max_cycles, next, inputs.size());
    return 4;
}
