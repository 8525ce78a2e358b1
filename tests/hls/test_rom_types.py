"""ROM element types (snn_rom in hls/snn_common.h): plain C integers in C-simulation, ap_int<BITS> under
synthesis, and every kernel that takes a ROM accepts them.

The open-source ap_types refuse `__SYNTHESIS__`, so the synthesis branch of the kernel headers is
checked by including ap_int.h and hls_stream.h first (C-simulation versions) and defining
`__SYNTHESIS__` before the kernel headers: what the headers themselves select under synthesis is then
compiled (g++ -fsyntax-only), which is exactly the part this convention changes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.hls.tb_harness import CXX, CXXFLAGS, HLS_DIR, need_toolchain

# One layer config with the fields of every kernel that takes a ROM (dense_lif/dense_li/dense_dcll and
# the two conv kernels), and a call of each with ROM arrays of the config's ROM types.
_KERNELS = """
#include "snn_conv.h"
#include "snn_dense.h"

struct cfg {
    static const unsigned IN = 8, OUT = 4, SIMD = 2, PE = 2, OUT_SIMD = 2, T = 2;
    static const unsigned H = 3, W = 3, CIN = 1, COUT = 4, K = 3, STRIDE = 1, PAD = 1;
    static const unsigned WEIGHT_BITS = 5, STATE_BITS = 12;
    static const NeuronKind NEURON = NEURON_LIF;
    static const LeakMode LEAK = ::LEAK_SHIFT;
    static const unsigned LEAK_SHIFT = 2, BETA_Q = 0, BETA_FRAC_BITS = 0;
    static const ResetMode RESET = ::RESET_SUBTRACT;
    static const unsigned KQ = 1, KP = 1, KR = 1, RHO = 0u, FRAC_BITS = 0;
    typedef ap_int<WEIGHT_BITS> weight_t;
    typedef ap_int<STATE_BITS> state_t;
    typedef snn_rom<WEIGHT_BITS>::type weight_rom_t;
    typedef snn_rom<STATE_BITS>::type state_rom_t;
};
struct conv_cfg : cfg {  // one input channel per input word
    static const unsigned SIMD = 1;
};
static const cfg::weight_rom_t dense_w[4][8] = {{-16, 15}, {1, 2, 3}};
static const cfg::weight_rom_t conv_w[4][9] = {{-16, 15}, {4}};
static const cfg::state_rom_t theta[4] = {-2048, 2047, 1, 5};

void kernels(hls::stream<ap_uint<2> >& in, hls::stream<ap_uint<2> >& out, hls::stream<ap_int<32> >& scores,
             hls::stream<ap_uint<1> >& frame, hls::stream<ap_uint<16> >& events) {
    dense_lif<cfg>(in, out, dense_w, theta);
    dense_li<cfg>(in, scores, dense_w);
    dense_dcll<cfg>(in, out, dense_w, theta);
    conv_neuron<conv_cfg>(frame, out, conv_w, theta);
    conv_event_neuron<conv_cfg>(events, out, conv_w, theta);
}
"""

_CSIM = """
#include "snn_common.h"
#include <stdint.h>
static_assert(snn_same_type<snn_rom<1>::type, int8_t>::value, "1 bit: int8_t");
static_assert(snn_same_type<snn_rom<8>::type, int8_t>::value, "8 bits: int8_t");
static_assert(snn_same_type<snn_rom<9>::type, int16_t>::value, "9 bits: int16_t");
static_assert(snn_same_type<snn_rom<16>::type, int16_t>::value, "16 bits: int16_t");
static_assert(snn_same_type<snn_rom<17>::type, int32_t>::value, "17 bits: int32_t");
static_assert(snn_same_type<snn_rom<32>::type, int32_t>::value, "32 bits: int32_t");
static_assert(snn_same_type<snn_rom<33>::type, int64_t>::value, "33 bits: int64_t");
static_assert(snn_rom_fits<int8_t, 8>::value && !snn_rom_fits<int8_t, 9>::value, "int8_t holds 8 bits");
static_assert(snn_rom_fits<ap_int<6>, 5>::value && !snn_rom_fits<ap_int<4>, 5>::value, "ap_int<W> holds W");
static_assert(!snn_rom_fits<uint16_t, 4>::value && !snn_rom_fits<bool, 1>::value, "unsigned types do not fit");
"""

_SYNTHESIS = """
#include <ap_int.h>
#include <hls_stream.h>
#define __SYNTHESIS__
#include "snn_common.h"
#include <stdint.h>
static_assert(snn_same_type<snn_rom<2>::type, ap_int<2> >::value, "synthesis: ap_int<2>");
static_assert(snn_same_type<snn_rom<5>::type, ap_int<5> >::value, "synthesis: ap_int<5>");
static_assert(snn_same_type<snn_rom<16>::type, ap_int<16> >::value, "synthesis: ap_int<16>");
static_assert(snn_same_type<snn_rom<32>::type, ap_int<32> >::value, "synthesis: ap_int<32>");
static_assert(snn_rom_fits<ap_int<5>, 5>::value, "synthesis: ap_int<BITS> is the ROM type");
static_assert(!snn_rom_fits<ap_int<6>, 5>::value && !snn_rom_fits<int8_t, 5>::value,
              "synthesis: any other ROM type would change the ROM width");
"""


def _syntax_check(source: str, tmp_path: Path, *extra: str) -> None:
    ap_types = need_toolchain()
    src = tmp_path / "rom_types.cpp"
    src.write_text(source)
    cmd = [CXX, *CXXFLAGS, *extra, "-fsyntax-only", "-isystem", str(ap_types), "-I", str(HLS_DIR), str(src)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert res.returncode == 0, f"$ {' '.join(cmd)}\n{res.stderr[-6000:]}"


def test_rom_types_are_plain_integers_in_csim(tmp_path) -> None:
    _syntax_check(_CSIM + _KERNELS, tmp_path)


def test_rom_types_are_ap_int_under_synthesis(tmp_path) -> None:
    # The kernel headers silence g++'s unused-label warning for their loop labels only outside synthesis.
    _syntax_check(_SYNTHESIS + _KERNELS, tmp_path, "-Wno-unused-label")
