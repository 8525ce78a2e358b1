// snn_dense_dcll: spiking fully connected layer with fused DCLL (DECOLLE) neurons, the RTL counterpart of
// dense_dcll in hls/snn_conv.h: per timestep t and neuron c, I = sum_j W[c, j] * s_j, then the DCLL update of
// rtl/snn_dcll_neuron.sv (Q, P, R traces with shifts KQ, KP, KR, kick RHO, FRAC_BITS, four saturating
// clamps, S' = U >= theta[c]); bit for bit run_dcll(dense_currents(s, W), theta, DCLLParams(...)) of
// snn2fpga/semantics/dcll.py.
//
// The structure, streams, ROMs and cycle behaviour are those of rtl/snn_dense_lif.sv (same synapse engine
// snn_dense_engine, same output bank buffer, same schedule); only the neuron differs: PE snn_dcll_neuron
// lanes, and the state array holds per neuron {S, R, P, Q} = 3*STATE_BITS + 1 bits (Q in the least
// significant bits), NF words of PE*(3*STATE_BITS+1) bits, read synchronously with the same one-word
// bypass for back-to-back updates of the same fold (NF = 1, SF = 1). Reset at every sample start: the
// first timestep reads Q = P = R = S = 0 (no clearing pass, no cycle).
//
// Streams:
//   in  (s_tdata, SIMD bits): per timestep IN/SIMD words, bit l of word f = input f*SIMD + l; T timesteps
//       per sample, samples back to back.
//   out (m_tdata, OUT_SIMD bits): per timestep OUT/OUT_SIMD words, bit j of word o = spike of neuron
//       o*OUT_SIMD + j.
//
// ROMs ($readmemh, one word per line, hex, no addresses; written by snn2fpga/codegen/rtl_rom.py
// dense_weight_rom / threshold_rom):
//   WEIGHTS_FILE:    NF*SF words of PE*SIMD*WEIGHT_BITS bits (word nf*SF + sf, weight W[nf*PE + p][sf*SIMD + l]
//                    at bits (p*SIMD + l)*WEIGHT_BITS).
//   THRESHOLDS_FILE: NF words of PE*STATE_BITS bits; word nf holds theta[nf*PE + p] at bits
//                    p*STATE_BITS +: STATE_BITS (two's complement, any value of the signed state range).
//
// Parameters (int unless noted, names of the HLS layer config): IN, OUT (>= 1); SIMD (divides IN); PE
// (divides OUT); OUT_SIMD (divides OUT); T (>= 1); WEIGHT_BITS (2..16); STATE_BITS (2..32); KQ, KP, KR
// (1..STATE_BITS); RHO (0..2^(STATE_BITS-1)-1); FRAC_BITS (0..16); OUT_BANKS output spike banks (>= 1,
// default 2); WEIGHTS_FILE, THRESHOLDS_FILE (string). ACC_BITS = max(STATE_BITS, WEIGHT_BITS + clog2(IN)) + 2.
//
// Cycle behaviour: exactly that of snn_dense_lif (see its header), P = NF*SF = (OUT/PE)*(IN/SIMD),
// OF = OUT/OUT_SIMD: S(0) = 0, S(n) = max(S(n-1) + P, E(n - OUT_BANKS) + 1), F(n) = S(n) + P + 2,
// O(n) = max(F(n), E(n-1) + 1), E(n) = O(n) + OF - 1; latency first input -> first output P + 2 cycles;
// T*P cycles per sample when P >= OF + 2 (OUT_BANKS = 2); samples overlap.
`default_nettype none

module snn_dense_dcll #(
    parameter int IN = 64,
    parameter int OUT = 32,
    parameter int SIMD = 8,
    parameter int PE = 4,
    parameter int OUT_SIMD = 4,
    parameter int T = 16,
    parameter int WEIGHT_BITS = 4,
    parameter int STATE_BITS = 16,
    parameter int KQ = 1,
    parameter int KP = 1,
    parameter int KR = 1,
    parameter int RHO = 0,
    parameter int FRAC_BITS = 0,
    parameter int OUT_BANKS = 2,
    parameter string WEIGHTS_FILE = "",
    parameter string THRESHOLDS_FILE = ""
) (
    input  logic                clk,
    input  logic                rst_n,
    input  logic [SIMD-1:0]     s_tdata,
    input  logic                s_tvalid,
    output logic                s_tready,
    output logic [OUT_SIMD-1:0] m_tdata,
    output logic                m_tvalid,
    input  logic                m_tready
);
    localparam int NF = OUT / PE;
    localparam int NW = (NF > 1) ? $clog2(NF) : 1;
    localparam int SB = STATE_BITS;
    localparam int ACC_BITS = ((SB > WEIGHT_BITS + $clog2(IN)) ? SB : WEIGHT_BITS + $clog2(IN)) + 2;

    logic                   step_start, step_last, can_rsv;
    logic [NW-1:0]          pre_nf, res_nf;
    logic                   res_valid, res_first, res_last, res_last_fold;
    logic [PE*ACC_BITS-1:0] res_acc;

    snn_dense_engine #(
        .IN(IN), .OUT(OUT), .SIMD(SIMD), .PE(PE), .T(T), .WEIGHT_BITS(WEIGHT_BITS), .ACC_BITS(ACC_BITS),
        .WEIGHTS_FILE(WEIGHTS_FILE)
    ) u_engine (
        .clk(clk), .rst_n(rst_n), .s_tdata(s_tdata), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .step_start(step_start), .step_last(step_last), .step_ok(can_rsv), .pre_nf(pre_nf),
        .res_valid(res_valid), .res_nf(res_nf), .res_first(res_first), .res_last(res_last),
        .res_last_fold(res_last_fold), .res_acc(res_acc)
    );

    logic unused_engine;
    assign unused_engine = ^{step_last, res_last};  // every timestep produces output: no per-sample event

    // ---- thresholds and neuron states: synchronous reads at pre_nf, one cycle before the result ----
    localparam int SBN = 3 * SB + 1;  // {S, R, P, Q} per neuron
    logic [PE*SB-1:0]  trom [NF];
    initial $readmemh(THRESHOLDS_FILE, trom);
    logic [PE*SBN-1:0] smem [NF];
    logic [PE*SB-1:0]  theta_q;
    logic [PE*SBN-1:0] s_rd, s_fwd, s_new, s_old;
    logic              fwd;
    logic [PE-1:0]     spikes;

    always_ff @(posedge clk) begin
        theta_q <= trom[pre_nf];
        s_rd    <= smem[pre_nf];
        // the fold written this cycle is the one read: pass the new value on (read-before-write RAM)
        fwd     <= res_valid && (res_nf == pre_nf);
        s_fwd   <= s_new;
        if (res_valid) smem[res_nf] <= s_new;
    end

    assign s_old = fwd ? s_fwd : s_rd;

    genvar p;
    generate
        for (p = 0; p < PE; p++) begin : g_neuron
            logic [3:0]           unused_sat;
            logic signed [SB-1:0] unused_u;
            snn_dcll_neuron #(
                .STATE_BITS(SB), .CUR_BITS(ACC_BITS), .KQ(KQ), .KP(KP), .KR(KR), .RHO(RHO), .FRAC_BITS(FRAC_BITS)
            ) u_neuron (
                .current(res_acc[p * ACC_BITS +: ACC_BITS]),
                .theta(theta_q[p * SB +: SB]),
                .first_step(res_first),
                .q_in(s_old[p * SBN +: SB]),
                .p_in(s_old[p * SBN + SB +: SB]),
                .r_in(s_old[p * SBN + 2 * SB +: SB]),
                .s_in(s_old[p * SBN + 3 * SB]),
                .q_out(s_new[p * SBN +: SB]),
                .p_out(s_new[p * SBN + SB +: SB]),
                .r_out(s_new[p * SBN + 2 * SB +: SB]),
                .s_out(spikes[p]),
                .u(unused_u),
                .sat(unused_sat)
            );
            assign s_new[p * SBN + 3 * SB] = spikes[p];
        end
    endgenerate

    // ---- output: OUT_BANKS timestep banks of OUT spikes ----
    logic [0:0] rd_rep;
    logic       rd_last;
    logic       unused_rd;
    assign unused_rd = ^{rd_rep, rd_last};

    snn_bank_buffer #(
        .VB(1), .WR_LANES(PE), .WR_WORDS(NF), .RD_LANES(OUT_SIMD), .RD_WORDS(OUT / OUT_SIMD), .REPEAT(1),
        .BANKS(OUT_BANKS)
    ) u_out (
        .clk(clk), .rst_n(rst_n), .rsv(step_start), .can_rsv(can_rsv),
        .wr_en(res_valid), .wr_idx(res_nf), .wr_data(spikes), .wr_last(res_last_fold),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready), .rd_rep(rd_rep), .rd_last(rd_last)
    );
endmodule

`default_nettype wire
