// snn_dcll_neuron: one timestep of one DCLL (DECOLLE) neuron, combinational (no clock, no stream).
//
// Bit-exact with snn2fpga/semantics/dcll.py run_dcll and the snn_dcll_neuron policy of
// hls/snn_neurons.h (every >>> is arithmetic, i.e. floor; each clamp saturates, never wraps):
//   Q' = sat(Q - (Q >>> KQ) + (I <<< FRAC_BITS))
//   P' = sat(P - (P >>> KP) + Q)                 the OLD Q
//   R' = sat(R - (R >>> KR) - (S ? RHO : 0))     S: the neuron's previous spike
//   U  = sat(P' + R')
//   S' = U >= theta
// With first_step = 1 (the first timestep of a sample) Q, P, R and S are read as 0, so the state
// memory of a layer never needs clearing (the t == 0 trick of the HLS kernels).
// The conv and dense layers instantiate PE of these per cycle; they store Q', P', R', S' per neuron
// (3*STATE_BITS + 1 bits) and U is recomputed as sat(P' + R') when needed.
//
// Parameters (units: the DCLL state is in 2^-FRAC_BITS of the weight scale):
//   STATE_BITS  width of Q, P, R, U and theta, 2..32 bits (signed)
//   CUR_BITS    width of the signed current I, STATE_BITS+1..47 (CUR_BITS + FRAC_BITS <= 62)
//   KQ, KP, KR  leak shifts of the Q, P, R traces, 1..STATE_BITS
//   RHO         refractory kick, 0..2^(STATE_BITS-1)-1
//   FRAC_BITS   fractional bits of the traces below the weight scale, 0..16
// Ports: current I, theta, first_step, the old state (q_in, p_in, r_in, s_in); the new state
// (q_out, p_out, r_out, s_out = fire), u (the membrane U) and sat = {U, R, P, Q} clamp flags (the
// reference counts each of the four clamps per timestep and neuron).
// Cycle behaviour: purely combinational.
`default_nettype none

module snn_dcll_neuron #(
    parameter int STATE_BITS = 16,
    parameter int CUR_BITS = 24,
    parameter int KQ = 1,
    parameter int KP = 1,
    parameter int KR = 1,
    parameter int RHO = 0,
    parameter int FRAC_BITS = 0
) (
    input  logic signed [CUR_BITS-1:0]   current,
    input  logic signed [STATE_BITS-1:0] theta,
    input  logic                         first_step,
    input  logic signed [STATE_BITS-1:0] q_in,
    input  logic signed [STATE_BITS-1:0] p_in,
    input  logic signed [STATE_BITS-1:0] r_in,
    input  logic                         s_in,
    output logic signed [STATE_BITS-1:0] q_out,
    output logic signed [STATE_BITS-1:0] p_out,
    output logic signed [STATE_BITS-1:0] r_out,
    output logic                         s_out,
    output logic signed [STATE_BITS-1:0] u,
    output logic [3:0]                   sat
);
    // Wide enough for every intermediate sum exactly: leak(Q) + (I << F) needs
    // max(STATE_BITS, CUR_BITS + FRAC_BITS) + 1 bits; one more keeps the clamp test simple.
    localparam int WB = ((CUR_BITS + FRAC_BITS > STATE_BITS) ? CUR_BITS + FRAC_BITS : STATE_BITS) + 2;
    localparam logic signed [WB-1:0] SMAX = (WB'(1) <<< (STATE_BITS - 1)) - WB'(1);
    localparam logic signed [WB-1:0] SMIN = -(WB'(1) <<< (STATE_BITS - 1));
    localparam logic signed [WB-1:0] RHO_W = WB'(RHO);

    localparam logic signed [WB-1:0] ZERO_W = '0;

    logic signed [WB-1:0] q, p, r, kick, theta_w;
    logic signed [WB-1:0] q_sum, p_sum, r_sum, u_sum;
    logic signed [STATE_BITS-1:0] p_new, r_new, u_new;

    // Every operand below is signed (ZERO_W, RHO_W included): one unsigned operand would make the
    // whole expression unsigned and turn >>> into a logical shift.
    always_comb begin
        // Sample start: integrate from Q = P = R = 0 and no previous spike.
        q = first_step ? ZERO_W : WB'(q_in);
        p = first_step ? ZERO_W : WB'(p_in);
        r = first_step ? ZERO_W : WB'(r_in);
        kick = (s_in && !first_step) ? RHO_W : ZERO_W;
        q_sum = q - (q >>> KQ) + (WB'(current) <<< FRAC_BITS);
        p_sum = p - (p >>> KP) + q;
        r_sum = r - (r >>> KR) - kick;
        sat[0] = (q_sum > SMAX) || (q_sum < SMIN);
        q_out = (q_sum > SMAX) ? SMAX[STATE_BITS-1:0]
              : ((q_sum < SMIN) ? SMIN[STATE_BITS-1:0] : q_sum[STATE_BITS-1:0]);
        sat[1] = (p_sum > SMAX) || (p_sum < SMIN);
        p_new = (p_sum > SMAX) ? SMAX[STATE_BITS-1:0] : ((p_sum < SMIN) ? SMIN[STATE_BITS-1:0] : p_sum[STATE_BITS-1:0]);
        sat[2] = (r_sum > SMAX) || (r_sum < SMIN);
        r_new = (r_sum > SMAX) ? SMAX[STATE_BITS-1:0] : ((r_sum < SMIN) ? SMIN[STATE_BITS-1:0] : r_sum[STATE_BITS-1:0]);
        u_sum = WB'(p_new) + WB'(r_new);
        sat[3] = (u_sum > SMAX) || (u_sum < SMIN);
        u_new = (u_sum > SMAX) ? SMAX[STATE_BITS-1:0] : ((u_sum < SMIN) ? SMIN[STATE_BITS-1:0] : u_sum[STATE_BITS-1:0]);
        theta_w = WB'(theta);
    end

    assign p_out = p_new;
    assign r_out = r_new;
    assign u = u_new;
    assign s_out = WB'(u_new) >= theta_w;
endmodule

`default_nettype wire
