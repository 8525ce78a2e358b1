/**
 * @file snn_dense.h
 * @brief Spiking fully connected layer with a fused LIF/IF update, and the leaky-integrator readout.
 *
 * Reproduces `run_neurons(dense_currents(spikes, W), theta, params)` of snn2fpga/semantics bit for
 * bit: per timestep t and neuron c, V <- sat(leak(V) + sum_j W[c, j] * s_j), then (LIF only)
 * spk = V >= theta[c] and the reset. The weighted sum over binary spikes uses adders only.
 *
 * One call = ONE sample of T timesteps; the generated top loops over samples. The membranes live in
 * an on-chip array that is reset at every sample start: the first timestep of a call integrates from
 * 0 instead of reading the array (an explicit reset that costs no cycles).
 *
 * Streams (see snn_encoders.h): the input carries, per timestep, IN/SIMD words of SIMD spikes, bit l
 * of word f = input f*SIMD + l. dense_lif's output carries, per timestep, OUT/OUT_SIMD words, bit j
 * of word o = neuron o*OUT_SIMD + j. dense_li's output carries, after the last timestep, the OUT
 * final membranes in neuron order, sign-extended to 32 bits.
 *
 * Folding: NF = OUT/PE neuron folds, SF = IN/SIMD synapse folds. Each timestep reads the SF input
 * words into a buffer, then runs NF*SF iterations of one flattened pipelined loop; iteration (nf, sf)
 * adds, for PE neurons nf*PE..nf*PE+PE-1 in parallel, the weights of the SIMD inputs sf*SIMD.. whose
 * spike is 1; the last synapse fold applies leak, saturation, fire and reset.
 *
 * Cycle model: pipelined-loop iterations at II=1 (excluding pipeline depth), exactly what
 * snn_cycle_counter<CFG>::cycles counts:
 *
 *   dense_lif  per timestep:  IN/SIMD + (OUT/PE)*(IN/SIMD) + OUT/OUT_SIMD
 *              per sample:    T * (IN/SIMD + (OUT/PE)*(IN/SIMD) + OUT/OUT_SIMD)
 *   dense_li   per timestep:  IN/SIMD + (OUT/PE)*(IN/SIMD)
 *              per sample:    T * (IN/SIMD + (OUT/PE)*(IN/SIMD)) + OUT
 *
 * ROMs: the weights and thresholds are constant arrays of the config's weight_rom_t / state_rom_t =
 * snn_rom<WEIGHT_BITS / STATE_BITS>::type (snn_common.h): ap_int<WEIGHT_BITS> / ap_int<STATE_BITS>
 * under synthesis (ROM width and BRAM use as for weight_t / state_t arrays), plain int8_t..int32_t in
 * C-simulation (fast to compile). The kernels read each element as weight_t / state_t.
 *
 * Layer config (one struct per layer, generated). The member LEAK_SHIFT hides the enum value of the
 * same name inside the struct, so the leak mode must be written with a leading `::`:
 * @code
 * struct layer0_cfg {
 *     static const unsigned IN = 64, OUT = 32;          // inputs, neurons
 *     static const unsigned SIMD = 8, PE = 4;           // inputs per input word, neurons in parallel
 *     static const unsigned OUT_SIMD = 4;               // spikes per output word (dense_lif only)
 *     static const unsigned T = 16;                     // timesteps per sample
 *     static const unsigned WEIGHT_BITS = 4, STATE_BITS = 16;
 *     static const LeakMode LEAK = ::LEAK_SHIFT;        // or ::LEAK_NONE, ::LEAK_MULT
 *     static const unsigned LEAK_SHIFT = 3;             // SHIFT: beta = 1 - 2^-3
 *     static const unsigned BETA_Q = 0, BETA_FRAC_BITS = 0;  // MULT: beta = BETA_Q / 2^BETA_FRAC_BITS
 *     static const ResetMode RESET = ::RESET_SUBTRACT;  // ignored by dense_li
 *     typedef ap_int<WEIGHT_BITS> weight_t;
 *     typedef ap_int<STATE_BITS> state_t;
 *     typedef snn_rom<WEIGHT_BITS>::type weight_rom_t;   // element of the weight ROM
 *     typedef snn_rom<STATE_BITS>::type state_rom_t;     // element of the threshold ROM (dense_lif)
 * };
 * @endcode
 */
#ifndef SNN2FPGA_SNN_DENSE_H
#define SNN2FPGA_SNN_DENSE_H

#include "snn_common.h"

// Loop labels name the loops in Vitis HLS reports; g++ -Wall would call them unused labels.
#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

/**
 * @brief Compile-time legality checks of a dense layer config (instantiate to check).
 * @tparam CFG layer config: IN, OUT, SIMD, PE, T, WEIGHT_BITS, STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q,
 *   BETA_FRAC_BITS, RESET, weight_t, state_t, weight_rom_t.
 */
template <class CFG>
struct snn_dense_cfg_check {
    static_assert(CFG::IN >= 1 && CFG::OUT >= 1, "IN and OUT must be >= 1");
    static_assert(CFG::SIMD >= 1 && CFG::PE >= 1, "SIMD and PE must be >= 1");
    static_assert(CFG::IN % CFG::SIMD == 0, "IN must be a multiple of SIMD");
    static_assert(CFG::OUT % CFG::PE == 0, "OUT must be a multiple of PE");
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    static_assert(CFG::WEIGHT_BITS >= SNN_MIN_WEIGHT_BITS && CFG::WEIGHT_BITS <= SNN_MAX_WEIGHT_BITS,
                  "WEIGHT_BITS must be in 2..16");
    static_assert(unsigned(CFG::weight_t::width) == CFG::WEIGHT_BITS, "weight_t must be ap_int<WEIGHT_BITS>");
    static_assert(snn_rom_fits<typename CFG::weight_rom_t, CFG::WEIGHT_BITS>::value,
                  "weight_rom_t must hold signed WEIGHT_BITS-bit values (use snn_rom<WEIGHT_BITS>::type)");
    static_assert(snn_lif_cfg_check<CFG>::ok, "invalid LIF/IF neuron fields");
    static const bool ok = true;
};

/**
 * @brief Derived sizes and the accumulator type of a dense layer.
 *
 * The accumulator holds leak(V) + sum_j W[c, j] * s_j exactly, before saturation:
 * |leak(V)| <= 2^(STATE_BITS-1) and |sum| <= IN * 2^(WEIGHT_BITS-1) <= 2^(WEIGHT_BITS-1+clog2(IN)),
 * so max(STATE_BITS, WEIGHT_BITS + clog2(IN)) + 1 bits suffice; one more bit of margin keeps it
 * strictly wider than the state.
 *
 * @tparam CFG layer config.
 */
template <class CFG>
struct snn_dense_traits {
    static const unsigned NF = CFG::OUT / CFG::PE;   ///< neuron folds
    static const unsigned SF = CFG::IN / CFG::SIMD;  ///< synapse folds
    static const unsigned ACC_BITS =
        snn_max<CFG::STATE_BITS, CFG::WEIGHT_BITS + snn_clog2<CFG::IN>::value>::value + 2;
    typedef ap_int<ACC_BITS> acc_t;
};

/**
 * @brief Read one timestep of input spikes (IN/SIMD words) into a buffer.
 * @tparam CFG layer config (IN, SIMD).
 * @param in spike stream.
 * @param buf IN/SIMD words of SIMD spikes.
 */
template <class CFG>
void snn_read_spikes(hls::stream<ap_uint<CFG::SIMD> >& in, ap_uint<CFG::SIMD> buf[CFG::IN / CFG::SIMD]) {
#pragma HLS INLINE
ReadInput:
    for (unsigned sf = 0; sf < CFG::IN / CFG::SIMD; sf++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        buf[sf] = in.read();
    }
}

/**
 * @brief One (neuron fold, synapse fold) step: add, for PE neurons, the weights of the SIMD inputs
 * whose spike is 1 (adders only). The partial sums restart at synapse fold 0.
 * @tparam CFG layer config (IN, OUT, SIMD, PE, weight_t, weight_rom_t).
 * @param spikes the SIMD input spikes of synapse fold sf.
 * @param weights W[OUT][IN] (ROM of weight_rom_t, each element read as weight_t).
 * @param nf neuron fold: neurons nf*PE .. nf*PE + PE - 1.
 * @param sf synapse fold: inputs sf*SIMD .. sf*SIMD + SIMD - 1.
 * @param acc PE partial sums, updated in place.
 */
template <class CFG>
void snn_accumulate(const ap_uint<CFG::SIMD>& spikes,
                    const typename CFG::weight_rom_t weights[CFG::OUT][CFG::IN], unsigned nf, unsigned sf,
                    typename snn_acc_store<typename snn_dense_traits<CFG>::acc_t>::type acc[CFG::PE]) {
#pragma HLS INLINE
    typedef typename CFG::weight_t weight_t;
#if SNN_CSIM_FAST
    snn_csim_fold<weight_t, CFG::PE, CFG::SIMD>(spikes, weights, nf * CFG::PE, sf * CFG::SIMD, sf == 0, acc);
#else
    typedef typename snn_dense_traits<CFG>::acc_t acc_t;
Neuron:
    for (unsigned p = 0; p < CFG::PE; p++) {
#pragma HLS UNROLL
        acc_t sum = (sf == 0) ? acc_t(0) : acc[p];
    Synapse:
        for (unsigned l = 0; l < CFG::SIMD; l++) {
#pragma HLS UNROLL
            if (spikes[l]) {
                sum += weight_t(weights[nf * CFG::PE + p][sf * CFG::SIMD + l]);
            }
        }
        acc[p] = sum;
    }
#endif
}

/**
 * @brief Spiking fully connected layer with fused LIF/IF neurons; processes ONE sample per call.
 *
 * Per timestep: reads IN/SIMD input words, integrates all OUT neurons (leak, saturate, fire, reset),
 * then writes the timestep's OUT output spikes as OUT/OUT_SIMD words.
 * Cycles per sample: T * (IN/SIMD + (OUT/PE)*(IN/SIMD) + OUT/OUT_SIMD).
 *
 * @tparam CFG layer config: IN (inputs), OUT (neurons), SIMD (inputs per input word and per cycle),
 *   PE (neurons per cycle), OUT_SIMD (spikes per output word), T (timesteps), WEIGHT_BITS,
 *   STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, RESET, weight_t, state_t, weight_rom_t,
 *   state_rom_t.
 * @param in T * IN/SIMD spike words.
 * @param out T * OUT/OUT_SIMD spike words.
 * @param weights integer weights W[OUT][IN] (units of the weight scale), a ROM of weight_rom_t.
 * @param thresholds integer thresholds theta[OUT], each in 1..2^(STATE_BITS-1)-1, a ROM of state_rom_t.
 */
template <class CFG>
void dense_lif(hls::stream<ap_uint<CFG::SIMD> >& in, hls::stream<ap_uint<CFG::OUT_SIMD> >& out,
               const typename CFG::weight_rom_t weights[CFG::OUT][CFG::IN],
               const typename CFG::state_rom_t thresholds[CFG::OUT]) {
    static_assert(snn_dense_cfg_check<CFG>::ok, "invalid dense layer config");
    static_assert(CFG::OUT_SIMD >= 1 && CFG::OUT % CFG::OUT_SIMD == 0, "OUT must be a multiple of OUT_SIMD");
    static_assert(snn_rom_fits<typename CFG::state_rom_t, CFG::STATE_BITS>::value,
                  "state_rom_t must hold signed STATE_BITS-bit values (use snn_rom<STATE_BITS>::type)");
    typedef typename CFG::state_t state_t;
    typedef snn_dense_traits<CFG> traits;
    typedef typename traits::acc_t acc_t;
    const unsigned NF = traits::NF;
    const unsigned SF = traits::SF;
    const unsigned OF = CFG::OUT / CFG::OUT_SIMD;
    const int PE_BANKS = CFG::PE;
    const int SIMD_BANKS = CFG::SIMD;
    const int SPK_BANKS = snn_lcm<CFG::PE, CFG::OUT_SIMD>::value;  // PE written, OUT_SIMD read per cycle
    (void)PE_BANKS, (void)SIMD_BANKS, (void)SPK_BANKS;  // used by pragmas only
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=PE_BANKS dim=1
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=SIMD_BANKS dim=2
#pragma HLS ARRAY_PARTITION variable=thresholds cyclic factor=PE_BANKS dim=1

    ap_uint<CFG::SIMD> in_buf[SF];
    state_t v_mem[CFG::OUT];
#pragma HLS ARRAY_PARTITION variable=v_mem cyclic factor=PE_BANKS dim=1
    ap_uint<1> spk_buf[CFG::OUT];
#pragma HLS ARRAY_PARTITION variable=spk_buf cyclic factor=SPK_BANKS dim=1
    typename snn_acc_store<acc_t>::type acc[CFG::PE];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1

Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
        snn_read_spikes<CFG>(in, in_buf);

        unsigned nf = 0;
        unsigned sf = 0;
    Fold:
        for (unsigned k = 0; k < NF * SF; k++) {
#pragma HLS PIPELINE II=1
            // Each neuron's membrane is read and written once per timestep, in the same iteration.
#pragma HLS DEPENDENCE variable=v_mem inter false
            SNN_CYCLE_TICK(CFG);
            snn_accumulate<CFG>(in_buf[sf], weights, nf, sf, acc);
            if (sf == SF - 1) {
            Update:
                for (unsigned p = 0; p < CFG::PE; p++) {
#pragma HLS UNROLL
                    const unsigned n = nf * CFG::PE + p;
                    // Sample start: integrate from 0, not from the previous sample's membrane.
                    const state_t v_old = (t == 0) ? state_t(0) : v_mem[n];
                    bool clamped = false;
                    state_t v = snn_integrate<CFG>(v_old, acc_t(acc[p]), clamped);
                    SNN_SAT_TICK(CFG, clamped);
                    spk_buf[n] = snn_fire<CFG>(v, state_t(thresholds[n])) ? 1 : 0;
                    v_mem[n] = v;
                }
                sf = 0;
                nf++;
            } else {
                sf++;
            }
        }

    WriteOutput:
        for (unsigned o = 0; o < OF; o++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            ap_uint<CFG::OUT_SIMD> word = 0;
        Pack:
            for (unsigned j = 0; j < CFG::OUT_SIMD; j++) {
#pragma HLS UNROLL
                word[j] = spk_buf[o * CFG::OUT_SIMD + j];
            }
            out.write(word);
        }
    }
}

/**
 * @brief Non-spiking leaky-integrator readout layer (no spike, no reset); ONE sample per call.
 *
 * Same accumulation, leak and saturation as dense_lif. After the last timestep it writes the OUT final
 * membranes (the class scores), sign-extended to 32 bits, in neuron order.
 * Cycles per sample: T * (IN/SIMD + (OUT/PE)*(IN/SIMD)) + OUT.
 *
 * @tparam CFG layer config: IN (inputs), OUT (neurons), SIMD (inputs per input word and per cycle),
 *   PE (neurons per cycle), T (timesteps), WEIGHT_BITS, STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q,
 *   BETA_FRAC_BITS, RESET (unused), weight_t, state_t, weight_rom_t. OUT_SIMD is not used.
 * @param in T * IN/SIMD spike words.
 * @param out OUT final membranes, one 32-bit word each.
 * @param weights integer weights W[OUT][IN] (units of the weight scale), a ROM of weight_rom_t.
 */
template <class CFG>
void dense_li(hls::stream<ap_uint<CFG::SIMD> >& in, hls::stream<ap_int<32> >& out,
              const typename CFG::weight_rom_t weights[CFG::OUT][CFG::IN]) {
    static_assert(snn_dense_cfg_check<CFG>::ok, "invalid dense layer config");
    typedef typename CFG::state_t state_t;
    typedef snn_dense_traits<CFG> traits;
    typedef typename traits::acc_t acc_t;
    const unsigned NF = traits::NF;
    const unsigned SF = traits::SF;
    const int PE_BANKS = CFG::PE;
    const int SIMD_BANKS = CFG::SIMD;
    (void)PE_BANKS, (void)SIMD_BANKS;  // used by pragmas only
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=PE_BANKS dim=1
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=SIMD_BANKS dim=2

    ap_uint<CFG::SIMD> in_buf[SF];
    state_t v_mem[CFG::OUT];
#pragma HLS ARRAY_PARTITION variable=v_mem cyclic factor=PE_BANKS dim=1
    typename snn_acc_store<acc_t>::type acc[CFG::PE];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1

Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
        snn_read_spikes<CFG>(in, in_buf);

        unsigned nf = 0;
        unsigned sf = 0;
    Fold:
        for (unsigned k = 0; k < NF * SF; k++) {
#pragma HLS PIPELINE II=1
            // Each neuron's membrane is read and written once per timestep, in the same iteration.
#pragma HLS DEPENDENCE variable=v_mem inter false
            SNN_CYCLE_TICK(CFG);
            snn_accumulate<CFG>(in_buf[sf], weights, nf, sf, acc);
            if (sf == SF - 1) {
            Update:
                for (unsigned p = 0; p < CFG::PE; p++) {
#pragma HLS UNROLL
                    const unsigned n = nf * CFG::PE + p;
                    // Sample start: integrate from 0, not from the previous sample's membrane.
                    const state_t v_old = (t == 0) ? state_t(0) : v_mem[n];
                    bool clamped = false;
                    v_mem[n] = snn_integrate<CFG>(v_old, acc_t(acc[p]), clamped);
                    SNN_SAT_TICK(CFG, clamped);
                }
                sf = 0;
                nf++;
            } else {
                sf++;
            }
        }
    }

Readout:
    for (unsigned o = 0; o < CFG::OUT; o++) {
#pragma HLS PIPELINE II=1
        SNN_CYCLE_TICK(CFG);
        out.write(ap_int<32>(v_mem[o]));  // sign extension: STATE_BITS <= 32
    }
}

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#endif  // SNN2FPGA_SNN_DENSE_H
