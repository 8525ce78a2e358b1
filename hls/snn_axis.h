/**
 * @file snn_axis.h
 * @brief AXI-Stream words of the top-level ports, and the adapters between them and plain streams.
 *
 * With Vitis HLS (or any include path holding ap_axi_sdata.h) the port word is ap_axiu<32,0,0,0>,
 * whose TLAST the AXI DMA needs to end a transfer. Without it (g++ C-simulation against the hls4ml
 * ap_types) an equivalent struct with the same members is used, so the top compiles unchanged.
 */
#ifndef SNN2FPGA_SNN_AXIS_H
#define SNN2FPGA_SNN_AXIS_H

#include "snn_common.h"

#if defined(__has_include)
#if __has_include(<ap_axi_sdata.h>)
#define SNN_HAVE_AP_AXI_SDATA 1
#endif
#endif

#ifdef SNN_HAVE_AP_AXI_SDATA
#include <ap_axi_sdata.h>
typedef ap_axiu<32, 0, 0, 0> snn_axis_t;
#else
/** Stand-in for ap_axiu<32,0,0,0> in g++ C-simulation: the members the top uses. */
struct snn_axis_t {
    ap_uint<32> data;  ///< payload
    ap_uint<4> keep;   ///< byte enables (all ones)
    ap_uint<4> strb;   ///< byte strobes (all ones)
    ap_uint<1> last;   ///< TLAST: set on the final word of a transfer
};
#endif

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
#endif

/**
 * @brief Strip the AXI-Stream side channels: n words in, n 32-bit words out.
 * @param in AXI-Stream port; @param out plain stream; @param n number of words (runtime).
 */
inline void snn_axis_to_words(hls::stream<snn_axis_t>& in, hls::stream<ap_uint<32> >& out, unsigned n) {
Words:
    for (unsigned i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        const snn_axis_t w = in.read();
        out.write(w.data);
    }
}

/**
 * @brief Add AXI-Stream side channels: n signed 32-bit words out, TLAST on the last one.
 * @param in plain stream; @param out AXI-Stream port; @param n number of words (runtime).
 */
inline void snn_words_to_axis(hls::stream<ap_int<32> >& in, hls::stream<snn_axis_t>& out, unsigned n) {
Words:
    for (unsigned i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=1048576
        snn_axis_t w;
        w.data = ap_uint<32>(in.read());
        w.keep = -1;
        w.strb = -1;
        w.last = (i == n - 1) ? 1 : 0;
        out.write(w);
    }
}

#if defined(__GNUC__) && !defined(__SYNTHESIS__)
#pragma GCC diagnostic pop
#endif

#endif  // SNN2FPGA_SNN_AXIS_H
