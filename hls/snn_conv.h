/**
 * @file snn_conv.h
 * @brief Spiking convolution (frame and event-driven), OR max-pooling over spike maps, and the dense
 *        layer with DCLL neurons.
 *
 * They reproduce snn2fpga/semantics bit for bit: conv_currents / maxpool_spikes (conv.py), then
 * run_neurons (neuron.py, LIF/IF) or run_dcll (dcll.py) on the currents flattened to
 * [T, B, COUT*HO*WO] with the per-channel threshold repeated over the HO*WO positions. The neuron
 * update is a policy of snn_neurons.h chosen by CFG::NEURON. Every kernel processes exactly ONE
 * sample (T timesteps) per call; the generated top loops over samples. Neuron state lives on chip and
 * is reset at the sample start by the t == 0 trick (the first timestep reads zeros instead of the
 * state arrays: no clearing loop, no cycle).
 *
 * Spike-map streams (NHWC): per timestep, pixels in raster order (y major, x minor), and per pixel
 * C/SIMD words of SIMD channel bits, bit l of word f = channel f*SIMD + l. A conv writes the same
 * layout with OUT_SIMD channels per word; a dense layer fed by a conv or a pool sees the flattened
 * input in this (y, x, c) order, i.e. input index (y*W + x)*C + c.
 *
 * Event stream (conv_event_neuron input, iq_encoder output, see snn_iq.h): one 16-bit word per
 * timestep, the single active input pixel of channel 0: row (y) in bits 15:8, col (x) in bits 7:0.
 *
 * Weights: conv weights are `weights[COUT][K*K*CIN]` with weights[co][(ky*K + kx)*CIN + ci] =
 * W[co][ci][ky][kx] of the PyTorch/reference layout [COUT, CIN, K, K] (i.e. W.transpose(0, 2, 3, 1)
 * reshaped to [COUT, K*K*CIN]): the channels of one kernel tap are adjacent, so a synapse fold of
 * SIMD weights matches one input word. dense_dcll takes W[OUT][IN] like dense_lif. Weights and
 * thresholds are ROMs of the config's weight_rom_t / state_rom_t (snn_rom of snn_common.h:
 * ap_int<WEIGHT_BITS> / ap_int<STATE_BITS> under synthesis, plain C integers in C-simulation), read
 * as weight_t / state_t.
 *
 * conv_neuron dataflow per timestep: read the whole input frame (H*W*CIN/SIMD words) into an on-chip
 * bit buffer (a FRAME buffer: the sliding window reads it at random; a K-row line buffer would save
 * memory and is a possible later optimisation); then one flattened pipelined loop over (output pixel,
 * neuron fold nf, synapse fold sf): iteration (pix, nf, sf) takes the input word of tap
 * (ky, kx) = divmod(sf / (CIN/SIMD), K), channel group sf % (CIN/SIMD), at input pixel
 * (oy*STRIDE + ky - PAD, ox*STRIDE + kx - PAD) (zero word outside the map: zero padding), adds the
 * weights of its set bits for PE neurons (adders only), and at the last synapse fold updates the PE
 * neurons (channels nf*PE..) of the pixel and stores their spikes in an output spike frame; finally
 * the output frame is emitted, COUT/OUT_SIMD words per output pixel in raster order, after the last
 * pixel of the timestep (the WriteOutput loop below; emitting per pixel would cost a pipeline fill per
 * pixel for the same iteration count).
 *
 * Sizes: HO = (H + 2*PAD - K) / STRIDE + 1, WO = (W + 2*PAD - K) / STRIDE + 1 (conv);
 *        HO = (H - K) / K + 1 = floor(H / K), WO likewise (maxpool, window K, stride K, rows/columns
 *        beyond HO*K / WO*K are read and dropped, as in the reference).
 * Folds:  CF = CIN/SIMD, SF = K*K*CIN/SIMD, NF = COUT/PE, OF = COUT/OUT_SIMD.
 *
 * Cycle model: pipelined-loop iterations at II=1 (excluding pipeline depth), exactly what
 * snn_cycle_counter<CFG>::cycles counts:
 *
 *   conv_neuron        per timestep: H*W*CIN/SIMD + HO*WO*(COUT/PE)*(K*K*CIN/SIMD) + HO*WO*COUT/OUT_SIMD
 *                      per sample:   T * (the above)
 *   conv_event_neuron  per timestep: HO*WO*(COUT/PE) + HO*WO*COUT/OUT_SIMD   (the event is read in the
 *                                    first iteration of the neuron loop)
 *                      per sample:   T * (the above)
 *   maxpool_or         per timestep: H*W*C/SIMD   (a pooled word is written in the iteration that
 *                                    reads the last pixel of its window)
 *                      per sample:   T * H*W*C/SIMD
 *   dense_dcll         per timestep: IN/SIMD + (OUT/PE)*(IN/SIMD) + OUT/OUT_SIMD   (as dense_lif)
 *                      per sample:   T * (the above)
 *
 * On-chip memory: conv_neuron: input frame H*W*CIN bits, neuron state COUT*HO*WO * (STATE_BITS
 * (LIF) | 3*STATE_BITS + 1 (DCLL)) bits, output spike frame COUT*HO*WO bits; conv_event_neuron: the
 * same minus the input frame; maxpool_or: one row of pooled words, WO*C bits (+ C bits of registers).
 *
 * Conv layer config (one struct per layer, generated). Only the fields of the selected neuron are
 * needed; LEAK_SHIFT hides the enum value of the same name inside the struct, hence `::LEAK_SHIFT`:
 * @code
 * struct conv0_cfg {
 *     static const unsigned H = 32, W = 32;              // input map
 *     static const unsigned CIN = 1, COUT = 8;           // channels
 *     static const unsigned K = 3, STRIDE = 1, PAD = 1;  // square kernel, zero padding, dilation 1
 *     static const unsigned SIMD = 1;                    // input channels per input word (conv_neuron)
 *     static const unsigned PE = 4;                      // output channels updated per cycle
 *     static const unsigned OUT_SIMD = 8;                // output channels per output word
 *     static const unsigned T = 16;                      // timesteps per sample
 *     static const unsigned WEIGHT_BITS = 4, STATE_BITS = 16;
 *     static const NeuronKind NEURON = NEURON_DCLL;      // or NEURON_LIF
 *     static const unsigned KQ = 2, KP = 2, KR = 2, RHO = 10;          // DCLL fields
 *     static const LeakMode LEAK = ::LEAK_SHIFT;                       // LIF fields ...
 *     static const unsigned LEAK_SHIFT = 3, BETA_Q = 0, BETA_FRAC_BITS = 0;
 *     static const ResetMode RESET = ::RESET_SUBTRACT;
 *     typedef ap_int<WEIGHT_BITS> weight_t;
 *     typedef ap_int<STATE_BITS> state_t;
 *     typedef snn_rom<WEIGHT_BITS>::type weight_rom_t;  // element of the weight ROM
 *     typedef snn_rom<STATE_BITS>::type state_rom_t;    // element of the threshold ROM
 * };
 * struct pool0_cfg { static const unsigned H = 32, W = 32, C = 8, K = 2, SIMD = 8, T = 16; };
 * struct fc_cfg {   // dense_dcll: the dense_lif fields with the DCLL neuron fields
 *     static const unsigned IN = 512, OUT = 10, SIMD = 8, PE = 2, OUT_SIMD = 10, T = 16;
 *     static const unsigned WEIGHT_BITS = 4, STATE_BITS = 16, KQ = 2, KP = 2, KR = 2, RHO = 10;
 *     typedef ap_int<WEIGHT_BITS> weight_t;
 *     typedef ap_int<STATE_BITS> state_t;
 *     typedef snn_rom<WEIGHT_BITS>::type weight_rom_t;
 *     typedef snn_rom<STATE_BITS>::type state_rom_t;
 * };
 * @endcode
 */
#ifndef SNN2FPGA_SNN_CONV_H
#define SNN2FPGA_SNN_CONV_H

#include "snn_common.h"
#include "snn_dense.h"
#include "snn_neurons.h"

// Loop labels name the loops in Vitis HLS reports; g++ -Wall would call them unused labels.
#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

/**
 * @brief Derived sizes and the accumulator type of a conv layer.
 *
 * The accumulator holds sum over K*K*CIN synapses of W * s exactly, plus margin for the LIF
 * leak(V) + I: max(STATE_BITS, WEIGHT_BITS + clog2(K*K*CIN)) + 2 bits (as snn_dense_traits).
 *
 * @tparam CFG conv layer config (H, W, CIN, COUT, K, STRIDE, PAD, PE, OUT_SIMD, WEIGHT_BITS, STATE_BITS).
 */
template <class CFG>
struct snn_conv_traits {
    static const unsigned HO =
        (CFG::STRIDE >= 1 && CFG::H + 2 * CFG::PAD >= CFG::K) ? (CFG::H + 2 * CFG::PAD - CFG::K) / CFG::STRIDE + 1 : 0;
    static const unsigned WO =
        (CFG::STRIDE >= 1 && CFG::W + 2 * CFG::PAD >= CFG::K) ? (CFG::W + 2 * CFG::PAD - CFG::K) / CFG::STRIDE + 1 : 0;
    static const unsigned PIX = HO * WO;                          ///< output pixels
    static const unsigned SYN = CFG::K * CFG::K * CFG::CIN;       ///< synapses per neuron
    static const unsigned NF = CFG::PE >= 1 ? CFG::COUT / CFG::PE : 0;                ///< neuron folds
    static const unsigned OF = CFG::OUT_SIMD >= 1 ? CFG::COUT / CFG::OUT_SIMD : 0;    ///< output words / pixel
    static const unsigned NEURONS = CFG::COUT * PIX;              ///< neurons of the layer
    static const unsigned ACC_BITS = snn_max<CFG::STATE_BITS, CFG::WEIGHT_BITS + snn_clog2<SYN>::value>::value + 2;
    typedef ap_int<ACC_BITS> acc_t;
};

/**
 * @brief Compile-time legality checks shared by conv_neuron and conv_event_neuron (instantiate).
 * @tparam CFG conv layer config (see the file comment); the neuron fields are checked by the policy.
 */
template <class CFG>
struct snn_conv_cfg_check {
    static_assert(CFG::H >= 1 && CFG::W >= 1, "H and W must be >= 1");
    static_assert(CFG::CIN >= 1 && CFG::COUT >= 1, "CIN and COUT must be >= 1");
    static_assert(CFG::K >= 1, "K (kernel size) must be >= 1");
    static_assert(CFG::STRIDE >= 1, "STRIDE must be >= 1");
    static_assert(CFG::H + 2 * CFG::PAD >= CFG::K && CFG::W + 2 * CFG::PAD >= CFG::K,
                  "the kernel K does not fit the padded input (H + 2*PAD >= K and W + 2*PAD >= K)");
    static_assert(CFG::PE >= 1 && CFG::COUT % CFG::PE == 0, "COUT must be a multiple of PE");
    static_assert(CFG::OUT_SIMD >= 1 && CFG::COUT % CFG::OUT_SIMD == 0, "COUT must be a multiple of OUT_SIMD");
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    static_assert(CFG::WEIGHT_BITS >= SNN_MIN_WEIGHT_BITS && CFG::WEIGHT_BITS <= SNN_MAX_WEIGHT_BITS,
                  "WEIGHT_BITS must be in 2..16");
    static_assert(unsigned(CFG::weight_t::width) == CFG::WEIGHT_BITS, "weight_t must be ap_int<WEIGHT_BITS>");
    static_assert(snn_rom_fits<typename CFG::weight_rom_t, CFG::WEIGHT_BITS>::value,
                  "weight_rom_t must hold signed WEIGHT_BITS-bit values (use snn_rom<WEIGHT_BITS>::type)");
    static_assert(snn_rom_fits<typename CFG::state_rom_t, CFG::STATE_BITS>::value,
                  "state_rom_t must hold signed STATE_BITS-bit values (use snn_rom<STATE_BITS>::type)");
    static_assert(CFG::NEURON == NEURON_LIF || CFG::NEURON == NEURON_DCLL, "NEURON must be NEURON_LIF or NEURON_DCLL");
    static const bool ok = true;
};

/**
 * @brief Spiking convolution over binary spike maps with fused neurons; ONE sample per call.
 *
 * See the file comment for the dataflow. Per timestep: reads H*W*CIN/SIMD words into the frame
 * buffer, integrates all COUT*HO*WO neurons (PE per cycle, SIMD synapses per cycle), then writes the
 * timestep's output spike map as HO*WO*COUT/OUT_SIMD words (NHWC).
 * Cycles per sample: T * (H*W*CIN/SIMD + HO*WO*(COUT/PE)*(K*K*CIN/SIMD) + HO*WO*COUT/OUT_SIMD).
 *
 * @tparam CFG conv layer config: H, W (input map), CIN, COUT (channels), K (kernel), STRIDE, PAD,
 *   SIMD (input channels per word and per cycle, divides CIN), PE (neurons per cycle, divides COUT),
 *   OUT_SIMD (output channels per word, divides COUT), T (timesteps), WEIGHT_BITS, STATE_BITS,
 *   NEURON (NEURON_LIF: + LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, RESET | NEURON_DCLL: + KQ, KP, KR,
 *   RHO), weight_t, state_t, weight_rom_t, state_rom_t.
 * @param in T * H*W*CIN/SIMD spike words per sample (NHWC).
 * @param out T * HO*WO*COUT/OUT_SIMD spike words per sample (NHWC).
 * @param weights W[COUT][K*K*CIN], index (ky*K + kx)*CIN + ci (units of the weight scale), a ROM of
 *   weight_rom_t.
 * @param thresholds theta per output channel [COUT] (LIF: 1..2^(STATE_BITS-1)-1; DCLL: any state
 *   value), a ROM of state_rom_t.
 */
template <class CFG>
void conv_neuron(hls::stream<ap_uint<CFG::SIMD> >& in, hls::stream<ap_uint<CFG::OUT_SIMD> >& out,
                 const typename CFG::weight_rom_t weights[CFG::COUT][CFG::K * CFG::K * CFG::CIN],
                 const typename CFG::state_rom_t thresholds[CFG::COUT]) {
    static_assert(snn_conv_cfg_check<CFG>::ok, "invalid conv layer config");
    static_assert(CFG::SIMD >= 1 && CFG::CIN % CFG::SIMD == 0, "CIN must be a multiple of SIMD");
    typedef typename CFG::weight_t weight_t;
    typedef typename CFG::state_t state_t;
    typedef snn_neuron<CFG> neuron;
    typedef snn_conv_traits<CFG> traits;
    typedef typename traits::acc_t acc_t;
    const unsigned CF = CFG::CIN / CFG::SIMD;    // input words per pixel
    const unsigned SF = CFG::K * CFG::K * CF;    // synapse folds
    const unsigned NF = traits::NF;
    const unsigned OF = traits::OF;
    const unsigned PIX = traits::PIX;
    const unsigned IN_WORDS = CFG::H * CFG::W * CF;
    const int PE_BANKS = CFG::PE;
    const int SIMD_BANKS = CFG::SIMD;
    const int SPK_BANKS = snn_lcm<CFG::PE, CFG::OUT_SIMD>::value;  // PE written, OUT_SIMD read per cycle
    (void)PE_BANKS, (void)SIMD_BANKS, (void)SPK_BANKS;  // used by pragmas only
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=PE_BANKS dim=1
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=SIMD_BANKS dim=2
#pragma HLS ARRAY_PARTITION variable=thresholds cyclic factor=PE_BANKS dim=1

    ap_uint<CFG::SIMD> frame[IN_WORDS];               // input frame buffer of one timestep
    typename neuron::state mem[traits::NEURONS];      // neuron (pix, co) at pix*COUT + co
#pragma HLS ARRAY_PARTITION variable=mem cyclic factor=PE_BANKS dim=1
    ap_uint<1> spk_buf[traits::NEURONS];              // output spike frame, same order
#pragma HLS ARRAY_PARTITION variable=spk_buf cyclic factor=SPK_BANKS dim=1
    typename snn_acc_store<acc_t>::type acc[CFG::PE];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1

Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
    ReadFrame:
        for (unsigned i = 0; i < IN_WORDS; i++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            frame[i] = in.read();
        }

        unsigned pix = 0, oy = 0, ox = 0, nf = 0, sf = 0, ky = 0, kx = 0, cg = 0;
    Fold:
        for (unsigned k = 0; k < PIX * NF * SF; k++) {
#pragma HLS PIPELINE II=1
            // Each neuron's state is read and written once per timestep, in the same iteration.
#pragma HLS DEPENDENCE variable=mem inter false
            SNN_CYCLE_TICK(CFG);
            const int iy = int(oy * CFG::STRIDE + ky) - int(CFG::PAD);
            const int ix = int(ox * CFG::STRIDE + kx) - int(CFG::PAD);
            const bool inside = iy >= 0 && iy < int(CFG::H) && ix >= 0 && ix < int(CFG::W);
            // Zero padding: a tap outside the map contributes no spike.
            const ap_uint<CFG::SIMD> spikes =
                inside ? frame[(unsigned(iy) * CFG::W + unsigned(ix)) * CF + cg] : ap_uint<CFG::SIMD>(0);
#if SNN_CSIM_FAST
            snn_csim_fold<weight_t, CFG::PE, CFG::SIMD>(spikes, weights, nf * CFG::PE, sf * CFG::SIMD, sf == 0, acc);
#else
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
            if (sf == SF - 1) {
            Update:
                for (unsigned p = 0; p < CFG::PE; p++) {
#pragma HLS UNROLL
                    const unsigned co = nf * CFG::PE + p;
                    const unsigned n = pix * CFG::COUT + co;
                    spk_buf[n] = neuron::update(mem[n], acc_t(acc[p]), state_t(thresholds[co]), t == 0) ? 1 : 0;
                    if (t == CFG::T - 1) {
                        SNN_TAP_MEMBRANE(CFG, co * PIX + pix, neuron::membrane(mem[n]).to_int64());
                    }
                }
                sf = 0;
                ky = 0;
                kx = 0;
                cg = 0;
                if (nf == NF - 1) {
                    nf = 0;
                    pix++;
                    if (ox == traits::WO - 1) {
                        ox = 0;
                        oy++;
                    } else {
                        ox++;
                    }
                } else {
                    nf++;
                }
            } else {
                sf++;
                if (cg == CF - 1) {
                    cg = 0;
                    if (kx == CFG::K - 1) {
                        kx = 0;
                        ky++;
                    } else {
                        kx++;
                    }
                } else {
                    cg++;
                }
            }
        }

    WriteOutput:
        for (unsigned o = 0; o < PIX * OF; o++) {
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
 * @brief Event-driven first conv layer: ONE input spike per timestep in channel 0 (CIN == 1); ONE
 *        sample per call.
 *
 * Each timestep reads one event (row in bits 15:8, col in bits 7:0; row < H and col < W, as the
 * I/Q encoder with G == H == W guarantees). The current of neuron (co, y, x) is
 * W[co][(ky*K + kx)] with ky = row - y*STRIDE + PAD, kx = col - x*STRIDE + PAD when both lie in
 * 0..K-1, else 0 — exactly conv_currents of the one-hot frame. Then all COUT*HO*WO neurons are
 * updated (the leak applies to every neuron every step), PE per cycle, in (pixel, neuron fold) order,
 * and the output frame is written as in conv_neuron.
 * Cycles per sample: T * (HO*WO*(COUT/PE) + HO*WO*COUT/OUT_SIMD).
 *
 * @tparam CFG conv layer config as for conv_neuron with CIN == 1 and H, W <= 256; SIMD is not used.
 * @param events T event words per sample.
 * @param out T * HO*WO*COUT/OUT_SIMD spike words per sample (NHWC).
 * @param weights W[COUT][K*K*CIN] = W[COUT][K*K], index ky*K + kx, a ROM of weight_rom_t.
 * @param thresholds theta per output channel [COUT] (LIF: 1..2^(STATE_BITS-1)-1; DCLL: any state
 *   value), a ROM of state_rom_t.
 */
template <class CFG>
void conv_event_neuron(hls::stream<ap_uint<16> >& events, hls::stream<ap_uint<CFG::OUT_SIMD> >& out,
                       const typename CFG::weight_rom_t weights[CFG::COUT][CFG::K * CFG::K * CFG::CIN],
                       const typename CFG::state_rom_t thresholds[CFG::COUT]) {
    static_assert(snn_conv_cfg_check<CFG>::ok, "invalid conv layer config");
    static_assert(CFG::CIN == 1, "conv_event_neuron needs CIN == 1 (one event per timestep in channel 0)");
    static_assert(CFG::H <= 256 && CFG::W <= 256, "conv_event_neuron needs H, W <= 256 (8-bit row/col)");
    typedef typename CFG::weight_t weight_t;
    typedef typename CFG::state_t state_t;
    typedef snn_neuron<CFG> neuron;
    typedef snn_conv_traits<CFG> traits;
    typedef typename traits::acc_t acc_t;
    const unsigned NF = traits::NF;
    const unsigned OF = traits::OF;
    const unsigned PIX = traits::PIX;
    const int PE_BANKS = CFG::PE;
    const int SPK_BANKS = snn_lcm<CFG::PE, CFG::OUT_SIMD>::value;
    (void)PE_BANKS, (void)SPK_BANKS;  // used by pragmas only
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=PE_BANKS dim=1
#pragma HLS ARRAY_PARTITION variable=thresholds cyclic factor=PE_BANKS dim=1

    typename neuron::state mem[traits::NEURONS];  // neuron (pix, co) at pix*COUT + co
#pragma HLS ARRAY_PARTITION variable=mem cyclic factor=PE_BANKS dim=1
    ap_uint<1> spk_buf[traits::NEURONS];
#pragma HLS ARRAY_PARTITION variable=spk_buf cyclic factor=SPK_BANKS dim=1

Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
        int row = 0, col = 0;
        unsigned pix = 0, oy = 0, ox = 0, nf = 0;
    Update:
        for (unsigned k = 0; k < PIX * NF; k++) {
#pragma HLS PIPELINE II=1
#pragma HLS DEPENDENCE variable=mem inter false
            SNN_CYCLE_TICK(CFG);
            if (k == 0) {
                const ap_uint<16> ev = events.read();
                row = int(ev.range(15, 8));
                col = int(ev.range(7, 0));
            }
            const int ky = row + int(CFG::PAD) - int(oy * CFG::STRIDE);
            const int kx = col + int(CFG::PAD) - int(ox * CFG::STRIDE);
            const bool hit = ky >= 0 && ky < int(CFG::K) && kx >= 0 && kx < int(CFG::K);
            const unsigned tap = hit ? unsigned(ky) * CFG::K + unsigned(kx) : 0u;
        Neuron:
            for (unsigned p = 0; p < CFG::PE; p++) {
#pragma HLS UNROLL
                const unsigned co = nf * CFG::PE + p;
                const unsigned n = pix * CFG::COUT + co;
                const acc_t current = hit ? acc_t(weight_t(weights[co][tap])) : acc_t(0);
                spk_buf[n] = neuron::update(mem[n], current, state_t(thresholds[co]), t == 0) ? 1 : 0;
                if (t == CFG::T - 1) {
                    SNN_TAP_MEMBRANE(CFG, co * PIX + pix, neuron::membrane(mem[n]).to_int64());
                }
            }
            if (nf == NF - 1) {
                nf = 0;
                pix++;
                if (ox == traits::WO - 1) {
                    ox = 0;
                    oy++;
                } else {
                    ox++;
                }
            } else {
                nf++;
            }
        }

    WriteOutput:
        for (unsigned o = 0; o < PIX * OF; o++) {
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
 * @brief Derived sizes of an OR max-pool layer (window K, stride K, no padding).
 * @tparam CFG pool config (H, W, C, K, SIMD).
 */
template <class CFG>
struct snn_pool_traits {
    static const unsigned HO = CFG::K >= 1 && CFG::H >= CFG::K ? (CFG::H - CFG::K) / CFG::K + 1 : 0;
    static const unsigned WO = CFG::K >= 1 && CFG::W >= CFG::K ? (CFG::W - CFG::K) / CFG::K + 1 : 0;
};

/**
 * @brief Max pooling of binary spike maps = OR over KxK windows with stride K; ONE sample per call.
 *
 * Streams through each timestep's input map once (H*W*C/SIMD words, NHWC). The OR over the K columns
 * of a window row is kept in registers (C bits, `hacc`, revisited every C/SIMD iterations), and merged
 * into one row of pooled words (`row_acc`, WO*C/SIMD words of memory, each touched once per window
 * row, i.e. at most once every W*C/SIMD iterations) at the window's last column; a pooled word is
 * written in the iteration that reads the bottom-right pixel of its window, so the output
 * (HO*WO*C/SIMD words, NHWC) is in raster order. Input rows y >= HO*K and columns x >= WO*K are read
 * and dropped: HO = (H - K)/K + 1 as maxpool_spikes.
 * Cycles per sample: T * H*W*C/SIMD.
 *
 * @tparam CFG pool config: H, W (input map, >= K), C (channels), K (window = stride), SIMD (channels
 *   per word in and out, divides C), T (timesteps).
 * @param in T * H*W*C/SIMD spike words per sample.
 * @param out T * HO*WO*C/SIMD spike words per sample.
 */
template <class CFG>
void maxpool_or(hls::stream<ap_uint<CFG::SIMD> >& in, hls::stream<ap_uint<CFG::SIMD> >& out) {
    static_assert(CFG::K >= 1, "K (pool window) must be >= 1");
    static_assert(CFG::H >= CFG::K && CFG::W >= CFG::K, "the pool window K must fit the input (H, W >= K)");
    static_assert(CFG::C >= 1, "C (channels) must be >= 1");
    static_assert(CFG::SIMD >= 1 && CFG::C % CFG::SIMD == 0, "C must be a multiple of SIMD");
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    typedef snn_pool_traits<CFG> traits;
    const unsigned CF = CFG::C / CFG::SIMD;
    ap_uint<CFG::SIMD> row_acc[traits::WO * CF];  // pooled words of the current output row
    ap_uint<CFG::SIMD> hacc[CF];                  // OR over the columns of the current window row
#pragma HLS ARRAY_PARTITION variable=hacc complete dim=1

Timestep:
    for (unsigned t = 0; t < CFG::T; t++) {
        unsigned y = 0, x = 0, cf = 0, wy = 0, wx = 0, ox = 0;  // wy, wx: position inside the window
    Pixel:
        for (unsigned i = 0; i < CFG::H * CFG::W * CF; i++) {
#pragma HLS PIPELINE II=1
            SNN_CYCLE_TICK(CFG);
            const ap_uint<CFG::SIMD> word = in.read();
            const bool used = y < traits::HO * CFG::K && x < traits::WO * CFG::K;
            const ap_uint<CFG::SIMD> h = (wx == 0) ? word : ap_uint<CFG::SIMD>(hacc[cf] | word);
            hacc[cf] = h;
            if (used && wx == CFG::K - 1) {
                const unsigned a = ox * CF + cf;
                const ap_uint<CFG::SIMD> merged = (wy == 0) ? h : ap_uint<CFG::SIMD>(row_acc[a] | h);
                row_acc[a] = merged;
                if (wy == CFG::K - 1) {
                    out.write(merged);
                }
            }
            // Advance (y, x, cf) in raster order, with the window coordinates and the output column.
            if (cf == CF - 1) {
                cf = 0;
                if (x == CFG::W - 1) {
                    x = 0;
                    wx = 0;
                    ox = 0;
                    y++;
                    wy = (wy == CFG::K - 1) ? 0 : wy + 1;
                } else {
                    x++;
                    if (wx == CFG::K - 1) {
                        wx = 0;
                        ox++;
                    } else {
                        wx++;
                    }
                }
            } else {
                cf++;
            }
        }
    }
}

/**
 * @brief Spiking fully connected layer with fused DCLL neurons; ONE sample per call.
 *
 * Same synapse structure, streams and folding as dense_lif (snn_dense.h), with the DCLL update of
 * snn_neurons.h at the last synapse fold. Cycles per sample: T * (IN/SIMD + (OUT/PE)*(IN/SIMD) +
 * OUT/OUT_SIMD).
 *
 * @tparam CFG layer config: IN (inputs), OUT (neurons), SIMD (inputs per word and per cycle), PE
 *   (neurons per cycle), OUT_SIMD (spikes per output word), T (timesteps), WEIGHT_BITS, STATE_BITS,
 *   KQ, KP, KR, RHO, weight_t, state_t, weight_rom_t, state_rom_t.
 * @param in T * IN/SIMD spike words per sample.
 * @param out T * OUT/OUT_SIMD spike words per sample.
 * @param weights integer weights W[OUT][IN] (units of the weight scale), a ROM of weight_rom_t.
 * @param thresholds theta[OUT], any value in the signed STATE_BITS range, a ROM of state_rom_t.
 */
template <class CFG>
void dense_dcll(hls::stream<ap_uint<CFG::SIMD> >& in, hls::stream<ap_uint<CFG::OUT_SIMD> >& out,
                const typename CFG::weight_rom_t weights[CFG::OUT][CFG::IN],
                const typename CFG::state_rom_t thresholds[CFG::OUT]) {
    static_assert(CFG::IN >= 1 && CFG::OUT >= 1, "IN and OUT must be >= 1");
    static_assert(CFG::SIMD >= 1 && CFG::IN % CFG::SIMD == 0, "IN must be a multiple of SIMD");
    static_assert(CFG::PE >= 1 && CFG::OUT % CFG::PE == 0, "OUT must be a multiple of PE");
    static_assert(CFG::OUT_SIMD >= 1 && CFG::OUT % CFG::OUT_SIMD == 0, "OUT must be a multiple of OUT_SIMD");
    static_assert(CFG::T >= 1, "T (timesteps) must be >= 1");
    static_assert(CFG::WEIGHT_BITS >= SNN_MIN_WEIGHT_BITS && CFG::WEIGHT_BITS <= SNN_MAX_WEIGHT_BITS,
                  "WEIGHT_BITS must be in 2..16");
    static_assert(unsigned(CFG::weight_t::width) == CFG::WEIGHT_BITS, "weight_t must be ap_int<WEIGHT_BITS>");
    static_assert(snn_rom_fits<typename CFG::weight_rom_t, CFG::WEIGHT_BITS>::value,
                  "weight_rom_t must hold signed WEIGHT_BITS-bit values (use snn_rom<WEIGHT_BITS>::type)");
    static_assert(snn_rom_fits<typename CFG::state_rom_t, CFG::STATE_BITS>::value,
                  "state_rom_t must hold signed STATE_BITS-bit values (use snn_rom<STATE_BITS>::type)");
    typedef typename CFG::state_t state_t;
    typedef snn_dcll_neuron<CFG> neuron;
    typedef snn_dense_traits<CFG> traits;
    typedef typename traits::acc_t acc_t;
    const unsigned NF = traits::NF;
    const unsigned SF = traits::SF;
    const unsigned OF = CFG::OUT / CFG::OUT_SIMD;
    const int PE_BANKS = CFG::PE;
    const int SIMD_BANKS = CFG::SIMD;
    const int SPK_BANKS = snn_lcm<CFG::PE, CFG::OUT_SIMD>::value;
    (void)PE_BANKS, (void)SIMD_BANKS, (void)SPK_BANKS;  // used by pragmas only
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=PE_BANKS dim=1
#pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=SIMD_BANKS dim=2
#pragma HLS ARRAY_PARTITION variable=thresholds cyclic factor=PE_BANKS dim=1

    ap_uint<CFG::SIMD> in_buf[SF];
    typename neuron::state mem[CFG::OUT];
#pragma HLS ARRAY_PARTITION variable=mem cyclic factor=PE_BANKS dim=1
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
#pragma HLS DEPENDENCE variable=mem inter false
            SNN_CYCLE_TICK(CFG);
            snn_accumulate<CFG>(in_buf[sf], weights, nf, sf, acc);
            if (sf == SF - 1) {
            Update:
                for (unsigned p = 0; p < CFG::PE; p++) {
#pragma HLS UNROLL
                    const unsigned n = nf * CFG::PE + p;
                    spk_buf[n] = neuron::update(mem[n], acc_t(acc[p]), state_t(thresholds[n]), t == 0) ? 1 : 0;
                    if (t == CFG::T - 1) {
                        SNN_TAP_MEMBRANE(CFG, n, neuron::membrane(mem[n]).to_int64());
                    }
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

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#endif  // SNN2FPGA_SNN_CONV_H
