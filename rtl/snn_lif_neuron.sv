// snn_lif_neuron: one timestep of ONE LIF / IF neuron (or of a non-spiking leaky integrator), pure
// combinational logic, so a kernel instantiates it once per PE lane and registers around it.
//
// It reproduces snn2fpga/semantics/neuron.py (run_neurons) and snn_integrate/snn_fire of
// hls/snn_common.h bit for bit:
//
//   V0  = clear ? 0 : v_old                   sample start: integrate from 0 (the HLS t == 0 trick)
//   V1  = leak(V0)                            NONE: V0;  SHIFT: V0 - (V0 >>> LEAK_SHIFT);
//                                             MULT: (BETA_Q * V0) >>> BETA_FRAC_BITS
//   V2  = sat(V1 + current)                   clamp to the signed STATE_BITS range, never wrap
//   spike = SPIKING && V2 >= theta            (signed compare)
//   v_new = spike ? (RESET == 0 ? V2 - theta : 0) : V2
//
// Every `>>>` is arithmetic, i.e. floor(x / 2^k), as numpy's int64 `>>`. The leak never leaves the
// STATE_BITS range (SHIFT: between V0 and 0, or V0 + 1 for V0 = -2^(SB-1) and k = SB; MULT: between V0
// and 0 because 0 <= BETA_Q < 2^F), so only the sum is saturated, exactly as in the reference.
// V2 - theta cannot overflow: it is only taken when V2 >= theta >= 1.
//
// Parameters (names as the HLS layer config; all int):
//   STATE_BITS      membrane width in bits, 2..32 (signed).
//   ACC_BITS        width of `current` in bits, > STATE_BITS; the kernels pass snn_dense_traits::ACC_BITS =
//                   max(STATE_BITS, WEIGHT_BITS + clog2(IN)) + 2, which holds any weighted spike sum exactly.
//   LEAK            0 none (IF), 1 shift, 2 mult.
//   LEAK_SHIFT      k of the SHIFT leak, 1..STATE_BITS (read only when LEAK == 1).
//   BETA_Q          the MULT leak's fixed-point beta, 0 <= BETA_Q < 2^BETA_FRAC_BITS (LEAK == 2 only).
//   BETA_FRAC_BITS  F, fractional bits of BETA_Q, 1..16 (LEAK == 2 only). MULT costs one signed
//                   (F+1) x STATE_BITS multiplier (a DSP48 or LUTs); SHIFT and NONE are adders only.
//   RESET           0 subtract (V - theta), 1 zero (read only when SPIKING == 1).
//   SPIKING         1 LIF/IF (fires and resets), 0 leaky integrator readout (spike = 0, no reset,
//                   theta unused).
//
// Ports: clear (1 = first timestep of a sample: v_old is ignored), v_old (membrane after the previous
// timestep), current (this timestep's synaptic sum), theta (threshold, 1..2^(STATE_BITS-1)-1), v_new
// (membrane after this timestep), spike. All signed two's complement.
//
// Cycle behaviour: combinational, no clock (0 cycles).
`default_nettype none

module snn_lif_neuron #(
    parameter int STATE_BITS = 16,
    parameter int ACC_BITS = 18,
    parameter int LEAK = 0,
    parameter int LEAK_SHIFT = 1,
    parameter int BETA_Q = 0,
    parameter int BETA_FRAC_BITS = 1,
    parameter int RESET = 0,
    parameter int SPIKING = 1
) (
    input  logic                         clear,
    input  logic signed [STATE_BITS-1:0] v_old,
    input  logic signed [ACC_BITS-1:0]   current,
    input  logic signed [STATE_BITS-1:0] theta,
    output logic signed [STATE_BITS-1:0] v_new,
    output logic                         spike
);
    localparam int SB = STATE_BITS;
    // the sum of a STATE_BITS and an ACC_BITS value, exact
    localparam int SW = ((ACC_BITS > SB) ? ACC_BITS : SB) + 1;
    localparam logic signed [SW-1:0] HI = SW'((64'sd1 <<< (SB - 1)) - 64'sd1);
    localparam logic signed [SW-1:0] LO = SW'(-(64'sd1 <<< (SB - 1)));

    logic signed [SB-1:0] v0, v1, v2;
    logic signed [SW-1:0] total;

    assign v0 = clear ? '0 : v_old;

    generate
        if (LEAK == 1) begin : g_shift
            // one guard bit so that a shift by the full width (k == STATE_BITS) stays floor(v / 2^k)
            logic signed [SB:0] wide, decay, diff;
            assign wide  = {v0[SB-1], v0};
            assign decay = wide >>> LEAK_SHIFT;
            assign diff  = wide - decay;
            assign v1    = diff[SB-1:0];
            // diff's top bit only repeats bit SB-1 (the result fits STATE_BITS, see the header)
            logic unused_shift_guard;
            assign unused_shift_guard = diff[SB];
        end else if (LEAK == 2) begin : g_mult
            localparam int F = BETA_FRAC_BITS;
            localparam logic signed [F:0] BETA = (F + 1)'(BETA_Q);
            // both operands sign-extended to the product width: the exact product needs SB + F + 1 bits
            logic signed [SB+F:0] product, scaled;
            assign product = (SB + F + 1)'(BETA) * (SB + F + 1)'(v0);
            assign scaled  = product >>> F;
            assign v1      = scaled[SB-1:0];
            logic unused_mult_high;
            assign unused_mult_high = ^scaled[SB+F:SB];
        end else begin : g_none
            assign v1 = v0;
        end
    endgenerate

    assign total = SW'(v1) + SW'(current);
    assign v2 = (total > HI) ? HI[SB-1:0] : (total < LO) ? LO[SB-1:0] : total[SB-1:0];

    generate
        if (SPIKING != 0) begin : g_fire
            assign spike = (v2 >= theta);
            if (RESET == 0) begin : g_subtract
                assign v_new = spike ? v2 - theta : v2;
            end else begin : g_zero
                assign v_new = spike ? '0 : v2;
            end
        end else begin : g_integrate
            assign spike = 1'b0;
            assign v_new = v2;
            logic unused_theta;
            assign unused_theta = ^theta;
        end
    endgenerate
endmodule

`default_nettype wire
