/**
 * @file snn_neurons.h
 * @brief Neuron update policies (LIF/IF and DCLL) shared by the conv kernels and dense_dcll.
 *
 * A policy is a struct template over the layer config CFG with
 *   - `state`: the per-neuron registers kept on chip between timesteps;
 *   - `update(state&, current, theta, first_step)`: one timestep of one neuron given its integer
 *     synaptic current (sum of the weights of this timestep's input spikes), returning the spike;
 *   - `membrane(const state&)`: the value a testbench compares with the reference's `v_final`.
 * The kernels call `update` once per (timestep, neuron), at the last synapse fold of the neuron, for
 * PE neurons in parallel (unrolled), so every policy is pure combinational logic (INLINE).
 *
 * State reset at the sample start is explicit and costs no cycle: at the first timestep of a call
 * (`first_step`) the policy reads zeros instead of the stored registers (the t == 0 trick of
 * snn_dense.h), so the state arrays are never cleared by a separate loop.
 *
 * LIF / IF (`snn_lif_neuron`, CFG::NEURON == NEURON_LIF) is the arithmetic of snn_common.h:
 *   V <- sat(leak(V) + I);  spk = V >= theta;  V <- V - theta | 0 if spk.
 * Config fields: STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, RESET, state_t; theta in
 * 1..2^(STATE_BITS-1)-1. State: V (STATE_BITS bits). One saturation check per (timestep, neuron).
 *
 * DCLL (`snn_dcll_neuron`, CFG::NEURON == NEURON_DCLL) reproduces snn2fpga/semantics/dcll.py run_dcll
 * bit for bit, per timestep and neuron (all `>>` arithmetic, i.e. floor):
 *   Q' = sat(Q - (Q >> KQ) + I)
 *   P' = sat(P - (P >> KP) + Q)          the OLD Q
 *   R' = sat(R - (R >> KR) - RHO * S)    S: the neuron's previous spike (0 at the first timestep)
 *   U  = sat(P' + R')
 *   S' = U >= theta
 * Config fields: STATE_BITS, KQ, KP, KR (1..STATE_BITS), RHO (0..2^(STATE_BITS-1)-1), state_t; theta
 * anywhere in the signed STATE_BITS range. State: Q, P, R (STATE_BITS bits each) and S (1 bit) =
 * 3*STATE_BITS + 1 bits per neuron; U is not stored: the final U equals sat(P + R) of the stored P, R
 * (U = sat(P' + R') and P', R' are what is stored), so `membrane` recomputes it. Each of the four
 * clamps is counted separately (up to 4 saturations per timestep and neuron), as in the reference.
 *
 * C-simulation only: `snn_membrane_tap<CFG>::v` receives, at the last timestep of a call, the final
 * membrane (V, or U for DCLL) of every neuron, indexed as the reference flattens the layer
 * (dense: neuron; conv: (channel, y, x) row-major), so a testbench can compare final membranes
 * without a membrane output port. Compiled out under __SYNTHESIS__.
 */
#ifndef SNN2FPGA_SNN_NEURONS_H
#define SNN2FPGA_SNN_NEURONS_H

#include "snn_common.h"

#ifndef __SYNTHESIS__
#include <vector>
#endif

/** Which neuron model a conv layer uses (CFG::NEURON). */
enum NeuronKind {
    NEURON_LIF = 0,  ///< LIF / IF: snn_lif_neuron (LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, RESET).
    NEURON_DCLL = 1  ///< DCLL / DECOLLE: snn_dcll_neuron (KQ, KP, KR, RHO).
};

#ifndef __SYNTHESIS__
/**
 * @brief C-simulation only: final membranes of the last call of a kernel configured by CFG.
 * @tparam CFG the layer config.
 */
template <class CFG>
struct snn_membrane_tap {
    static std::vector<long long> v;  ///< final membrane per neuron, reference order
    /** Store membrane `value` of neuron `idx` (grows the vector as needed). */
    static void record(unsigned idx, long long value) {
        if (v.size() <= idx) {
            v.resize(idx + 1, 0);
        }
        v[idx] = value;
    }
};
template <class CFG>
std::vector<long long> snn_membrane_tap<CFG>::v;
/** Record the final membrane of neuron IDX of a kernel configured by CFG (csim only). */
#define SNN_TAP_MEMBRANE(CFG, IDX, VALUE) snn_membrane_tap<CFG>::record((IDX), (VALUE))
#else
#define SNN_TAP_MEMBRANE(CFG, IDX, VALUE) ((void)0)
#endif

/**
 * @brief Compile-time checks of the DCLL fields of a layer config (instantiate to check).
 * @tparam CFG layer config: STATE_BITS, KQ, KP, KR, RHO, state_t.
 */
template <class CFG>
struct snn_dcll_cfg_check {
    static_assert(CFG::STATE_BITS >= SNN_MIN_STATE_BITS && CFG::STATE_BITS <= SNN_MAX_STATE_BITS,
                  "STATE_BITS must be in 2..32");
    static_assert(unsigned(CFG::state_t::width) == CFG::STATE_BITS, "state_t must be ap_int<STATE_BITS>");
    static_assert(CFG::KQ >= 1 && CFG::KQ <= CFG::STATE_BITS, "KQ must be in 1..STATE_BITS");
    static_assert(CFG::KP >= 1 && CFG::KP <= CFG::STATE_BITS, "KP must be in 1..STATE_BITS");
    static_assert(CFG::KR >= 1 && CFG::KR <= CFG::STATE_BITS, "KR must be in 1..STATE_BITS");
    static_assert((unsigned long long)CFG::RHO <= (1ull << (CFG::STATE_BITS - 1)) - 1,
                  "RHO must be in 0..2^(STATE_BITS-1)-1");
    static_assert(CFG::FRAC_BITS <= 16, "FRAC_BITS must be in 0..16");
    static const bool ok = true;
};

/**
 * @brief LIF / IF neuron policy (the arithmetic of snn_common.h, as in dense_lif).
 * @tparam CFG layer config: STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS, RESET, state_t.
 */
template <class CFG>
struct snn_lif_neuron {
    static_assert(snn_lif_cfg_check<CFG>::ok, "invalid LIF neuron config");
    typedef typename CFG::state_t state_t;
    /** Per-neuron registers: the membrane V. */
    struct state {
        state_t v;  ///< membrane after the last timestep's reset
    };
    /**
     * @brief One timestep of one neuron: leak, integrate with saturation, fire, reset.
     * @tparam WA width of the current; must exceed STATE_BITS and hold |leak(V)| + |I| exactly.
     * @param s the neuron's registers (read unless first_step, then written).
     * @param current this timestep's synaptic current.
     * @param theta threshold, 1..2^(STATE_BITS-1)-1.
     * @param first_step true at the first timestep of a sample: integrate from V = 0.
     * @return the spike.
     */
    template <int WA>
    static bool update(state& s, const ap_int<WA>& current, const state_t& theta, bool first_step) {
#pragma HLS INLINE
#if SNN_CSIM_FAST
        if (WA <= 64 && CFG::STATE_BITS + CFG::BETA_FRAC_BITS + 1 <= 64) {
            return update_csim<WA>(s, current.to_int64(), theta.to_int64(), first_step);
        }
#endif
        const state_t v_old = first_step ? state_t(0) : s.v;
        bool clamped = false;
        state_t v = snn_integrate<CFG>(v_old, current, clamped);
        SNN_SAT_TICK(CFG, clamped);
        const bool fire = snn_fire<CFG>(v, theta);
        s.v = v;
        return fire;
    }
    /** @param s the neuron's registers. @return the membrane V (the reference's v_final). */
    static state_t membrane(const state& s) {
#pragma HLS INLINE
        return s.v;
    }
#if SNN_CSIM_FAST
    /**
     * @brief The same update in C integers (C-simulation; ap_int arithmetic is slow in g++): leak as
     *        snn_leak, the WA-bit sum as snn_integrate, the clamp as snn_saturate, fire and reset as
     *        snn_fire, each step on values that fit a long long.
     * @tparam WA width of the current. @param s the registers. @param current the current.
     * @param theta the threshold. @param first_step integrate from V = 0. @return the spike.
     */
    template <int WA>
    static bool update_csim(state& s, long long current, long long theta, bool first_step) {
        const int SB = CFG::STATE_BITS;
        long long v = first_step ? 0 : s.v.to_int64();
        if (CFG::LEAK == LEAK_SHIFT) {
            v -= v >> CFG::LEAK_SHIFT;  // g++ shifts a negative long long arithmetically (floor)
        } else if (CFG::LEAK == LEAK_MULT) {
            v = (static_cast<long long>(CFG::BETA_Q) * v) >> CFG::BETA_FRAC_BITS;
            v = static_cast<long long>(static_cast<unsigned long long>(v) << (64 - SB)) >> (64 - SB);  // state_t
        }
        // the WA-bit sum of snn_integrate (sign extension from WA bits; it never wraps in practice)
        const int wrap = 64 - WA;
        long long total = v + current;
        total = wrap > 0 ? static_cast<long long>(static_cast<unsigned long long>(total) << wrap) >> wrap : total;
        const long long hi = (1LL << (SB - 1)) - 1, lo = -(1LL << (SB - 1));
        const bool clamped = total > hi || total < lo;
        SNN_SAT_TICK(CFG, clamped);
        v = total > hi ? hi : (total < lo ? lo : total);
        const bool fire = v >= theta;
        if (fire) {
            v = CFG::RESET == RESET_SUBTRACT ? v - theta : 0;  // theta in 1..hi: no overflow
        }
        s.v = state_t(v);
        return fire;
    }
#endif
};

/**
 * @brief DCLL (DECOLLE) neuron policy, filter-after-weights form of snn2fpga/semantics/dcll.py.
 * @tparam CFG layer config: STATE_BITS, KQ, KP, KR, RHO, state_t.
 */
template <class CFG>
struct snn_dcll_neuron {
    static_assert(snn_dcll_cfg_check<CFG>::ok, "invalid DCLL neuron config");
    typedef typename CFG::state_t state_t;
    static const int SB = CFG::STATE_BITS;
    /** One guard bit: leak(X) + Y and leak(R) - RHO with X, Y, R, RHO in the SB-bit range fit. */
    typedef ap_int<SB + 1> wide_t;
    /** Per-neuron registers: the traces Q, P, R and the previous spike S (U is recomputed). */
    struct state {
        state_t q;     ///< input trace Q
        state_t p;     ///< second (membrane) trace P
        state_t r;     ///< refractory trace R
        ap_uint<1> s;  ///< spike of the last timestep
    };
    /**
     * @brief One timestep of one neuron (four saturating updates, each clamp counted), then fire.
     * @tparam WA width of the current; must exceed STATE_BITS and hold |I| exactly.
     * @param st the neuron's registers (read unless first_step, then written).
     * @param current this timestep's synaptic current I.
     * @param theta threshold, any value in the signed STATE_BITS range.
     * @param first_step true at the first timestep of a sample: Q, P, R, S read as 0.
     * @return the spike S' = U >= theta.
     */
    template <int WA>
    static bool update(state& st, const ap_int<WA>& current, const state_t& theta, bool first_step) {
#pragma HLS INLINE
        static_assert(WA > SB, "the current must be wider than the state");
        const state_t q = first_step ? state_t(0) : st.q;
        const state_t p = first_step ? state_t(0) : st.p;
        const state_t r = first_step ? state_t(0) : st.r;
        const bool s_old = first_step ? false : bool(st.s);
        const state_t q_leak = snn_leak<LEAK_SHIFT, CFG::KQ, 0, 0>::apply(q);
        const state_t p_leak = snn_leak<LEAK_SHIFT, CFG::KP, 0, 0>::apply(p);
        const state_t r_leak = snn_leak<LEAK_SHIFT, CFG::KR, 0, 0>::apply(r);
        bool cq = false, cp = false, cr = false, cu = false;
        // the current enters the traces with FRAC_BITS fractional bits (a shift: no multiplier)
        typedef ap_int<WA + CFG::FRAC_BITS + 1> qsum_t;
        const qsum_t q_sum = qsum_t(q_leak) + (qsum_t(current) << CFG::FRAC_BITS);
        const state_t q_new = snn_saturate<SB>(q_sum, cq);
        const wide_t p_sum = wide_t(p_leak) + wide_t(q);  // the OLD Q
        const state_t p_new = snn_saturate<SB>(p_sum, cp);
        const wide_t kick = s_old ? wide_t(CFG::RHO) : wide_t(0);
        const wide_t r_sum = wide_t(r_leak) - kick;
        const state_t r_new = snn_saturate<SB>(r_sum, cr);
        const wide_t u_sum = wide_t(p_new) + wide_t(r_new);
        const state_t u = snn_saturate<SB>(u_sum, cu);
        SNN_SAT_TICK(CFG, cq);
        SNN_SAT_TICK(CFG, cp);
        SNN_SAT_TICK(CFG, cr);
        SNN_SAT_TICK(CFG, cu);
        const bool fire = u >= theta;
        st.q = q_new;
        st.p = p_new;
        st.r = r_new;
        st.s = fire ? 1 : 0;
        return fire;
    }
    /** @param st the neuron's registers. @return U = sat(P + R) (the reference's v_final), not counted. */
    static state_t membrane(const state& st) {
#pragma HLS INLINE
        bool clamped = false;
        return snn_saturate<SB>(wide_t(wide_t(st.p) + wide_t(st.r)), clamped);
    }
};

/**
 * @brief The neuron policy a layer config selects with CFG::NEURON.
 * @tparam CFG layer config with NEURON and the fields of the selected policy.
 * @tparam KIND the neuron kind (defaults to CFG::NEURON).
 */
template <class CFG, NeuronKind KIND = CFG::NEURON>
struct snn_neuron;

/** NEURON_LIF selects snn_lif_neuron. @tparam CFG layer config. */
template <class CFG>
struct snn_neuron<CFG, NEURON_LIF> : snn_lif_neuron<CFG> {};

/** NEURON_DCLL selects snn_dcll_neuron. @tparam CFG layer config. */
template <class CFG>
struct snn_neuron<CFG, NEURON_DCLL> : snn_dcll_neuron<CFG> {};

#endif  // SNN2FPGA_SNN_NEURONS_H
