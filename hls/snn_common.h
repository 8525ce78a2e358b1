/**
 * @file snn_common.h
 * @brief Types, constants and the integer neuron arithmetic shared by the snn2fpga HLS kernels.
 *
 * The arithmetic here reproduces `snn2fpga/semantics/neuron.py` bit for bit (DESIGN.md section 1):
 *
 *   V   <- leak(V)                  NONE: V;  SHIFT: V - (V >> k);  MULT: (beta_q * V) >> F
 *   V   <- sat(V + I)               clamp to the signed STATE_BITS range, never wrap
 *   spk <- V >= theta               (spiking layers only)
 *   V   <- V - theta | 0  if spk    (reset subtract | zero)
 *
 * Every `>>` on a signed value is an arithmetic shift, i.e. it rounds toward minus infinity (floor),
 * as in numpy's int64 `>>`. ap_int's `>>` on a signed type is arithmetic.
 *
 * Include this header before any other that pulls in ap_int.h: g++ 12 reports -Wmaybe-uninitialized
 * inside the ap_types headers (a false positive in ap_private.h, inlined into user code, so -isystem
 * does not hide it); the includes below silence exactly those two warnings for those headers only.
 * With g++ -Wall, also pass -Wno-unknown-pragmas: g++ does not know `#pragma HLS`, and g++ 12 cannot
 * silence -Wunknown-pragmas from inside a C++ header (GCC bug 53431, fixed in g++ 13). The kernel
 * headers silence -Wunused-label for their own loop labels (the labels name loops for Vitis HLS).
 *
 * Naming trap: a layer config has a member LEAK_SHIFT (the shift k) that hides the enum value
 * LEAK_SHIFT inside the struct, so a config selects the mode as `LEAK = ::LEAK_SHIFT`.
 *
 * ROMs: the constant arrays a kernel takes (weights, thresholds) have the element type
 * snn_rom<BITS>::type (a layer config names it weight_rom_t / state_rom_t): ap_int<BITS> under
 * synthesis, the narrowest of int8_t/int16_t/int32_t/int64_t that holds BITS bits everywhere else.
 * The kernels read an element as the ap type it stands for, so results and ROM widths are unchanged;
 * only g++'s compile time is (see snn_rom).
 *
 * C-simulation fast paths (SNN_CSIM_FAST, below): g++ runs ap_int arithmetic and the hardware's
 * unrolled bit-by-bit synapse loops slowly, so outside synthesis the saturation, the leaks and the
 * synapse folds compute the same integers with C integers and by visiting only the set spike bits
 * (a zero spike adds nothing). Compile with -DSNN_CSIM_HW_LOOPS to C-simulate the synthesised loops
 * instead; the kernel tests run both forms against the reference.
 *
 * C-simulation only (compiled out under __SYNTHESIS__): every kernel bumps a cycle counter once per
 * iteration of each of its `PIPELINE II=1` loops, and a saturation counter once per (timestep,
 * neuron) clamp, so a testbench can check the documented cycle model and the reference's
 * saturation count. See snn_cycle_counter.
 */
#ifndef SNN2FPGA_SNN_COMMON_H
#define SNN2FPGA_SNN_COMMON_H

#if defined(__GNUC__) && !defined(__clang__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <ap_int.h>
#include <hls_stream.h>
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#include <stdint.h>

#include <limits>

/** 1 where the C-simulation fast paths replace the synthesised loops (see the file comment). */
#if !defined(__SYNTHESIS__) && !defined(SNN_CSIM_HW_LOOPS)
#define SNN_CSIM_FAST 1
#else
#define SNN_CSIM_FAST 0
#endif

/** How the membrane decays each timestep (mirrors snn2fpga.semantics.LeakMode). */
enum LeakMode {
    LEAK_NONE = 0,   ///< IF neuron / pure integrator: no leak.
    LEAK_SHIFT = 1,  ///< V - (V >> LEAK_SHIFT): beta = 1 - 2^-k, adders only, no DSP.
    LEAK_MULT = 2    ///< (BETA_Q * V) >> BETA_FRAC_BITS: beta = BETA_Q / 2^F, one multiplier.
};

/** What a spike does to the membrane (mirrors snn2fpga.semantics.ResetMode). */
enum ResetMode {
    RESET_SUBTRACT = 0,  ///< V <- V - theta.
    RESET_ZERO = 1       ///< V <- 0.
};

/** Narrowest and widest signed membrane register, in bits. */
const unsigned SNN_MIN_STATE_BITS = 2;
const unsigned SNN_MAX_STATE_BITS = 32;
/** Narrowest and widest signed weight, in bits (DESIGN.md: Brevitas integer weights, 2..16 bits). */
const unsigned SNN_MIN_WEIGHT_BITS = 2;
const unsigned SNN_MAX_WEIGHT_BITS = 16;
/** Widest fractional part F of the MULT leak's fixed-point beta. */
const unsigned SNN_MAX_BETA_FRAC_BITS = 16;
/** Width of one quantized input feature (bits) and its largest value. */
const unsigned SNN_INPUT_BITS = 8;
const unsigned SNN_INPUT_MAX = 255;
/** Width of the AXI-Stream words on the host side of the encoders and of the LI readout (bits). */
const unsigned SNN_AXI_WORD_BITS = 32;
/** Rate encoder LFSR: 32-bit Galois, right-shifting, polynomial x^32 + x^22 + x^2 + x + 1. */
const unsigned SNN_LFSR_MASK = 0x80200003u;
/** LFSR steps per pseudo-random byte. */
const unsigned SNN_LFSR_STEPS_PER_BYTE = 8;
/** An all-zero LFSR never leaves zero: seed 0 maps to this state. */
const unsigned SNN_LFSR_ZERO_SEED = 0xACE1ACE1u;

// ---------------------------------------------------------------------------------------------
// Compile-time integer helpers (template metaprogramming, nothing reaches the hardware).
// ---------------------------------------------------------------------------------------------

/** ceil(log2(N)) for N >= 1 (0 for N <= 1). @tparam N the value. */
template <unsigned N>
struct snn_clog2 {
    static const unsigned value = 1 + snn_clog2<(N + 1) / 2>::value;
};
template <>
struct snn_clog2<1> {
    static const unsigned value = 0;
};
template <>
struct snn_clog2<0> {
    static const unsigned value = 0;
};

/** Greatest common divisor. @tparam A first operand. @tparam B second operand. */
template <unsigned A, unsigned B>
struct snn_gcd {
    static const unsigned value = snn_gcd<B, A % B>::value;
};
template <unsigned A>
struct snn_gcd<A, 0> {
    static const unsigned value = A;
};

/** Least common multiple (for partitioning a buffer written and read with different widths).
 * @tparam A first operand (>= 1). @tparam B second operand (>= 1). */
template <unsigned A, unsigned B>
struct snn_lcm {
    static const unsigned value = A / snn_gcd<A, B>::value * B;
};

/** max(A, B). @tparam A first operand. @tparam B second operand. */
template <unsigned A, unsigned B>
struct snn_max {
    static const unsigned value = A > B ? A : B;
};

/** ceil(A / B). @tparam A dividend. @tparam B divisor (>= 1). */
template <unsigned A, unsigned B>
struct snn_div_ceil {
    static const unsigned value = (A + B - 1) / B;
};

// ---------------------------------------------------------------------------------------------
// ROM element types.
// ---------------------------------------------------------------------------------------------

/** The narrowest of int8_t, int16_t, int32_t, int64_t that holds signed BITS-bit values.
 * @tparam BITS value width, 1..64. */
template <unsigned BITS, bool FITS8 = (BITS <= 8), bool FITS16 = (BITS <= 16), bool FITS32 = (BITS <= 32)>
struct snn_smallest_int {
    typedef int64_t type;
};
template <unsigned BITS, bool FITS16, bool FITS32>
struct snn_smallest_int<BITS, true, FITS16, FITS32> {
    typedef int8_t type;
};
template <unsigned BITS, bool FITS32>
struct snn_smallest_int<BITS, false, true, FITS32> {
    typedef int16_t type;
};
template <unsigned BITS>
struct snn_smallest_int<BITS, false, false, true> {
    typedef int32_t type;
};

/**
 * @brief Element type of a ROM (a constant array a kernel takes: weights, thresholds) of signed
 *        BITS-bit values.
 *
 * Under synthesis (Vitis HLS defines `__SYNTHESIS__` only then) it is ap_int<BITS>: each ROM word is
 * exactly BITS bits, so the synthesised memory (BRAM/LUTRAM, reshaping) is that of an ap_int<BITS>
 * array. Everywhere else (g++ C-simulation, Vitis HLS csim) it is snn_smallest_int<BITS>::type: the
 * brace initializer of a plain integer array is constant data that g++ compiles in seconds, while an
 * ap_int array's runs one constructor per element (a 784x512 layer: more than 12 minutes and 7 GB).
 * The kernels convert an element to the ap type it stands for when reading it (weight_t(w),
 * state_t(theta)), so every arithmetic result is the same either way.
 *
 * A layer config declares its ROM types with it:
 * @code
 *     typedef snn_rom<WEIGHT_BITS>::type weight_rom_t;  // weights[...] elements
 *     typedef snn_rom<STATE_BITS>::type state_rom_t;    // thresholds[...] elements
 * @endcode
 * @tparam BITS value width, 1..64.
 */
template <unsigned BITS>
struct snn_rom {
    static_assert(BITS >= 1 && BITS <= 64, "a ROM element holds 1..64 bits");
#ifdef __SYNTHESIS__
    typedef ap_int<BITS> type;
#else
    typedef typename snn_smallest_int<BITS>::type type;
#endif
};

/** Width of a signed integer type: W for ap_int<W>, 1 + value bits for a signed C integer type, 0 for
 * anything else. @tparam T the type. */
template <class T>
struct snn_signed_bits {
    static const unsigned value = (std::numeric_limits<T>::is_integer && std::numeric_limits<T>::is_signed)
                                      ? unsigned(std::numeric_limits<T>::digits) + 1
                                      : 0;
};
template <int W>
struct snn_signed_bits<ap_int<W> > {
    static const unsigned value = W;
};

/** Whether A and B are the same type. @tparam A first type. @tparam B second type. */
template <class A, class B>
struct snn_same_type {
    static const bool value = false;
};
template <class A>
struct snn_same_type<A, A> {
    static const bool value = true;
};

/**
 * @brief Whether ROM_T is a legal ROM element type for signed BITS-bit values: under synthesis exactly
 * ap_int<BITS> (the ROM width is BITS bits), elsewhere any signed integer type (ap_int or C) of at
 * least BITS bits.
 * @tparam ROM_T the ROM element type (a config's weight_rom_t or state_rom_t).
 * @tparam BITS the width of the values it holds (WEIGHT_BITS or STATE_BITS).
 */
template <class ROM_T, unsigned BITS>
struct snn_rom_fits {
#ifdef __SYNTHESIS__
    static const bool value = snn_same_type<ROM_T, ap_int<BITS> >::value;
#else
    static const bool value = snn_signed_bits<ROM_T>::value >= BITS;
#endif
};

// ---------------------------------------------------------------------------------------------
// C-simulation counters.
// ---------------------------------------------------------------------------------------------
#ifndef __SYNTHESIS__
/**
 * @brief C-simulation-only counters of pipelined-loop iterations and membrane saturations.
 *
 * `snn_cycle_counter<>::cycles` counts over all kernels; `snn_cycle_counter<CFG>::cycles` counts the
 * kernels instantiated with the layer config CFG. One count per iteration of a `PIPELINE II=1` loop,
 * i.e. the cycles of the kernel at II=1 excluding pipeline fill/drain (depth) and function-call
 * overhead. `saturations` counts (timestep, neuron) clamps, like NeuronTrace.saturations.
 *
 * @tparam CFG the layer config to count for; void (the default) for the total over all kernels.
 */
template <class CFG = void>
struct snn_cycle_counter {
    static unsigned long long cycles;       ///< pipelined-loop iterations since the last reset()
    static unsigned long long saturations;  ///< (timestep, neuron) clamps since the last reset()
    /** Set both counters to zero. */
    static void reset() {
        cycles = 0;
        saturations = 0;
    }
};
template <class CFG>
unsigned long long snn_cycle_counter<CFG>::cycles = 0;
template <class CFG>
unsigned long long snn_cycle_counter<CFG>::saturations = 0;

/** Count one pipelined-loop iteration of a kernel configured by CFG (csim only). */
#define SNN_CYCLE_TICK(CFG)                  \
    do {                                     \
        ++snn_cycle_counter<>::cycles;       \
        ++snn_cycle_counter<CFG>::cycles;    \
    } while (0)
/** Count one saturation of a kernel configured by CFG when `hit` is true (csim only). */
#define SNN_SAT_TICK(CFG, hit)                    \
    do {                                          \
        if (hit) {                                \
            ++snn_cycle_counter<>::saturations;   \
            ++snn_cycle_counter<CFG>::saturations; \
        }                                         \
    } while (0)
#else
#define SNN_CYCLE_TICK(CFG) ((void)0)
#define SNN_SAT_TICK(CFG, hit) ((void)(hit))
#endif

/**
 * @brief Compile-time checks of the LIF/IF fields of a layer config (instantiate to check).
 * @tparam CFG layer config: STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, RESET, state_t.
 */
template <class CFG>
struct snn_lif_cfg_check {
    static_assert(CFG::STATE_BITS >= SNN_MIN_STATE_BITS && CFG::STATE_BITS <= SNN_MAX_STATE_BITS,
                  "STATE_BITS must be in 2..32");
    static_assert(unsigned(CFG::state_t::width) == CFG::STATE_BITS, "state_t must be ap_int<STATE_BITS>");
    static_assert(CFG::LEAK == LEAK_NONE || CFG::LEAK == LEAK_SHIFT || CFG::LEAK == LEAK_MULT,
                  "LEAK must be LEAK_NONE, LEAK_SHIFT or LEAK_MULT");
    static_assert(CFG::LEAK != LEAK_SHIFT || (CFG::LEAK_SHIFT >= 1 && CFG::LEAK_SHIFT <= CFG::STATE_BITS),
                  "LEAK_SHIFT must be in 1..STATE_BITS");
    static_assert(CFG::LEAK != LEAK_MULT ||
                      (CFG::BETA_FRAC_BITS >= 1 && CFG::BETA_FRAC_BITS <= SNN_MAX_BETA_FRAC_BITS),
                  "BETA_FRAC_BITS must be in 1..16");
    static_assert(CFG::LEAK != LEAK_MULT ||
                      CFG::BETA_Q < (1u << (CFG::BETA_FRAC_BITS <= SNN_MAX_BETA_FRAC_BITS ? CFG::BETA_FRAC_BITS
                                                                                         : 0)),
                  "BETA_Q must satisfy 0 <= BETA_Q < 2^BETA_FRAC_BITS");
    static_assert(CFG::RESET == RESET_SUBTRACT || CFG::RESET == RESET_ZERO,
                  "RESET must be RESET_SUBTRACT or RESET_ZERO");
    static const bool ok = true;
};

// ---------------------------------------------------------------------------------------------
// Neuron arithmetic.
// ---------------------------------------------------------------------------------------------

/**
 * @brief One timestep of membrane leak, selected at compile time.
 *
 * The result always lies in the signed W-bit range when the input does, so no saturation is needed
 * after the leak: SHIFT gives V - floor(V / 2^k), between V and 0 (or V + 1 for V < 0 and k = W);
 * MULT gives floor(BETA_Q * V / 2^F) with 0 <= BETA_Q < 2^F, between V and 0.
 *
 * @tparam MODE the leak mode.
 * @tparam K LEAK_SHIFT, k of the SHIFT leak, 1..state bits (unused otherwise).
 * @tparam BQ BETA_Q, the MULT leak's F-bit fixed-point beta, 0 <= BQ < 2^F (unused otherwise).
 * @tparam F BETA_FRAC_BITS, fractional bits of BQ, 1..16 (unused otherwise).
 */
template <LeakMode MODE, unsigned K, unsigned BQ, unsigned F>
struct snn_leak;

template <unsigned K, unsigned BQ, unsigned F>
struct snn_leak<LEAK_NONE, K, BQ, F> {
    /** @tparam W state width in bits. @param v membrane. @return v unchanged. */
    template <int W>
    static ap_int<W> apply(const ap_int<W>& v) {
#pragma HLS INLINE
        return v;
    }
};

template <unsigned K, unsigned BQ, unsigned F>
struct snn_leak<LEAK_SHIFT, K, BQ, F> {
    /** @tparam W state width in bits. @param v membrane. @return v - (v >> K), floor shift. */
    template <int W>
    static ap_int<W> apply(const ap_int<W>& v) {
#pragma HLS INLINE
        static_assert(K >= 1 && K <= unsigned(W), "LEAK_SHIFT must be in 1..STATE_BITS");
#if SNN_CSIM_FAST
        if (W < 64) {  // C-simulation: g++ shifts a negative long long arithmetically (floor), as ap_int
            const long long x = v.to_int64();
            return ap_int<W>(x - (x >> K));
        }
#endif
        // One guard bit so that a shift by the full state width (K == W) is well defined.
        const ap_int<W + 1> wide = v;
        const ap_int<W + 1> decay = wide >> K;  // arithmetic: floor(v / 2^K)
        return ap_int<W>(wide - decay);
    }
};

template <unsigned K, unsigned BQ, unsigned F>
struct snn_leak<LEAK_MULT, K, BQ, F> {
    /** @tparam W state width in bits. @param v membrane. @return (BQ * v) >> F, floor shift. */
    template <int W>
    static ap_int<W> apply(const ap_int<W>& v) {
#pragma HLS INLINE
        static_assert(F >= 1 && F <= SNN_MAX_BETA_FRAC_BITS, "BETA_FRAC_BITS must be in 1..16");
        static_assert(BQ < (1u << F), "BETA_Q must satisfy 0 <= BETA_Q < 2^BETA_FRAC_BITS");
#if SNN_CSIM_FAST
        if (W + F + 1 <= 64) {  // C-simulation: the exact product in a long long, floor shift as ap_int
            return ap_int<W>((static_cast<long long>(BQ) * v.to_int64()) >> F);
        }
#endif
        // BQ as a signed (F+1)-bit constant; the exact product needs W + F + 1 bits.
        const ap_int<F + 1> beta = BQ;
        const ap_int<W + F + 1> product = beta * v;
        return ap_int<W>(product >> F);  // arithmetic: floor(product / 2^F)
    }
};

/**
 * @brief Type of a kernel's array of PE partial sums: the accumulator type ACC (ap_int<ACC_BITS>)
 *        under synthesis, a long long in fast C-simulation (the kernels convert a sum back to ACC,
 *        modulo 2^ACC_BITS as ap_int's own additions would; ACC holds every sum, so nothing wraps).
 * @tparam ACC the accumulator type.
 */
template <class ACC>
struct snn_acc_store {
    typedef ACC type;
};
#if SNN_CSIM_FAST
template <int W>
struct snn_acc_store<ap_int<W> > {
    static_assert(W <= 64, "a C-simulation accumulator holds at most 64 bits");
    typedef long long type;
};

/**
 * @brief C-simulation form of one synapse fold of PE neurons: acc[p] = (first ? 0 : acc[p]) + the sum
 *        of W(weights[row + p][col + l]) over the set bits l of `spikes`, p = 0..PE-1.
 *
 * The kernels' unrolled Neuron/Synapse loops test all PE * SIMD (neuron, bit) pairs, as the hardware
 * does in parallel; this visits only the set bits, 64 at a time, so the sums are the same.
 * @tparam W the weight type a ROM element is read as (weight_t).
 * @tparam PE neurons per fold. @tparam SIMD spikes per word. @tparam ROM ROM element type.
 * @tparam COLS weights per ROM row.
 * @param spikes the input word. @param weights the weight ROM. @param row first neuron (nf*PE).
 * @param col first synapse of the word (sf*SIMD). @param first true at synapse fold 0 (start from 0).
 * @param acc PE partial sums, updated in place.
 */
template <class W, unsigned PE, unsigned SIMD, class ROM, unsigned COLS>
void snn_csim_fold(const ap_uint<SIMD>& spikes, const ROM weights[][COLS], unsigned row, unsigned col,
                   bool first, long long acc[PE]) {
    if (first) {
        for (unsigned p = 0; p < PE; p++) {
            acc[p] = 0;
        }
    }
    const int shift = 64 - int(W::width);  // W(w): the ROM element read as a W::width-bit signed value
    for (unsigned base = 0; base < SIMD; base += 64) {
        unsigned long long bits = ap_uint<SIMD>(spikes >> base).to_uint64();
        for (; bits != 0; bits &= bits - 1) {
            const unsigned c = col + base + unsigned(__builtin_ctzll(bits));
            for (unsigned p = 0; p < PE; p++) {
                // sign extension from W::width bits, as ap_int does; |sum| <= COLS * 2^15: no overflow
                const unsigned long long w = static_cast<unsigned long long>(weights[row + p][c]);
                acc[p] += static_cast<long long>(w << shift) >> shift;
            }
        }
    }
}
#endif

/**
 * @brief Clamp a wide signed value to the signed W-bit range (saturate, never wrap).
 * @tparam W target width in bits (the membrane's STATE_BITS).
 * @tparam WA width of the value, > W.
 * @param x the value.
 * @param clamped set to true when x was outside the range.
 * @return x clamped to [-2^(W-1), 2^(W-1) - 1].
 */
template <int W, int WA>
ap_int<W> snn_saturate(const ap_int<WA>& x, bool& clamped) {
#pragma HLS INLINE
    static_assert(WA > W, "the accumulator must be wider than the state");
#if SNN_CSIM_FAST
    if (WA <= 64) {  // C-simulation: the same comparisons on a C integer (ap_int's are slow in g++)
        const long long v = x.to_int64(), hi = (1LL << (W - 1)) - 1, lo = -(1LL << (W - 1));
        clamped = v > hi || v < lo;
        return ap_int<W>(v > hi ? hi : (v < lo ? lo : v));
    }
#endif
    const ap_int<W + 1> one = 1;
    const ap_int<W + 1> hi = (one << (W - 1)) - 1;
    const ap_int<W + 1> lo = -(one << (W - 1));
    clamped = (x > hi) || (x < lo);
    if (x > hi) {
        return ap_int<W>(hi);
    }
    if (x < lo) {
        return ap_int<W>(lo);
    }
    return ap_int<W>(x);
}

/**
 * @brief Leak, then integrate one timestep of synaptic current with saturation.
 * @tparam CFG layer config (STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, state_t).
 * @tparam WA width of the current; must hold |leak(V)| + |I| exactly and exceed STATE_BITS.
 * @param v_old membrane before this timestep.
 * @param current sum of the weights of this timestep's input spikes.
 * @param clamped set to true when the result was saturated.
 * @return sat(leak(v_old) + current).
 */
template <class CFG, int WA>
typename CFG::state_t snn_integrate(const typename CFG::state_t& v_old, const ap_int<WA>& current,
                                    bool& clamped) {
#pragma HLS INLINE
    const typename CFG::state_t leaked =
        snn_leak<CFG::LEAK, CFG::LEAK_SHIFT, CFG::BETA_Q, CFG::BETA_FRAC_BITS>::apply(v_old);
    const ap_int<WA> total = ap_int<WA>(leaked) + current;
    return snn_saturate<CFG::STATE_BITS>(total, clamped);
}

/**
 * @brief Fire and reset: the spike line and the reset line of the LIF update.
 * @tparam CFG layer config (RESET, state_t).
 * @param v membrane after integration; updated in place by the reset when the neuron fires.
 * @param theta threshold, 1..2^(STATE_BITS-1)-1 (so V - theta cannot overflow).
 * @return true when the neuron fires (v >= theta).
 */
template <class CFG>
bool snn_fire(typename CFG::state_t& v, const typename CFG::state_t& theta) {
#pragma HLS INLINE
    const bool fire = v >= theta;
    if (fire) {
        if (CFG::RESET == RESET_SUBTRACT) {
            v = typename CFG::state_t(v - theta);
        } else {
            v = 0;
        }
    }
    return fire;
}

/** LFSR state at every sample start for an encoder seed (seed 0 maps to SNN_LFSR_ZERO_SEED). */
inline ap_uint<32> snn_lfsr_seed_state(unsigned seed) {
#pragma HLS INLINE
    return ap_uint<32>(seed != 0 ? seed : SNN_LFSR_ZERO_SEED);
}

/** One step of the right-shifting Galois LFSR: s = (s >> 1) ^ (lsb ? MASK : 0). */
inline ap_uint<32> snn_lfsr_step(const ap_uint<32>& s) {
#pragma HLS INLINE
    const ap_uint<32> shifted = s >> 1;
    return s[0] ? ap_uint<32>(shifted ^ ap_uint<32>(SNN_LFSR_MASK)) : shifted;
}

#endif  // SNN2FPGA_SNN_COMMON_H
