// snn_dense_lif: spiking fully connected layer with fused LIF/IF neurons, the RTL counterpart of dense_lif
// in hls/snn_dense.h: per timestep t and neuron c, V <- sat(leak(V) + sum_j W[c, j] * s_j),
// spike = V >= theta[c], reset (subtract | zero); bit for bit run_neurons(dense_currents(s, W), theta, p)
// of snn2fpga/semantics.
//
// Streams:
//   in  (s_tdata, SIMD bits): per timestep IN/SIMD words, bit l of word f = input f*SIMD + l; T timesteps
//       per sample, samples back to back.
//   out (m_tdata, OUT_SIMD bits): per timestep OUT/OUT_SIMD words, bit j of word o = spike of neuron
//       o*OUT_SIMD + j.
//
// Structure: snn_dense_engine (PE x SIMD folding, adders only, II = 1, input reading overlapped with
// fold 0) -> PE snn_lif_neuron lanes -> snn_bank_buffer (OUT_BANKS banks of OUT spikes, written PE at a
// time, read OUT_SIMD at a time). The membranes live in an array of NF = OUT/PE words of PE*STATE_BITS
// bits (lane p = neuron nf*PE + p), read synchronously (block RAM or LUT RAM) with a one-word bypass
// for the back-to-back update of the same fold (NF = 1, SF = 1). They are reset at every sample start
// by integrating from 0 at t = 0 (no clearing pass, no cycle). A timestep is started only when an
// output bank is free (reservation), so the pipeline itself never stalls.
//
// ROMs ($readmemh, one word per line, hex, no addresses):
//   WEIGHTS_FILE:    NF*SF words of PE*SIMD*WEIGHT_BITS bits, see snn_dense_engine (word nf*SF + sf,
//                    weight W[nf*PE + p][sf*SIMD + l] at bits (p*SIMD + l)*WEIGHT_BITS).
//   THRESHOLDS_FILE: NF words of PE*STATE_BITS bits; word nf holds theta[nf*PE + p] at bits
//                    p*STATE_BITS +: STATE_BITS (two's complement, 1..2^(STATE_BITS-1)-1).
// snn2fpga/codegen/rtl_rom.py (dense_weight_rom, threshold_rom) writes both.
//
// Parameters (int unless noted, names of the HLS layer config): IN, OUT (>= 1); SIMD (divides IN); PE
// (divides OUT); OUT_SIMD (divides OUT); T (>= 1); WEIGHT_BITS (2..16); STATE_BITS (2..32); LEAK
// (0 none, 1 shift, 2 mult); LEAK_SHIFT (1..STATE_BITS, shift only); BETA_Q, BETA_FRAC_BITS (mult only,
// 0 <= BETA_Q < 2^F, F in 1..16); RESET (0 subtract, 1 zero); OUT_BANKS output spike banks (>= 1,
// default 2); OUT_RAM (1, default: the banks are LUT RAM; 0: flip-flops; same cycles); WEIGHTS_FILE, THRESHOLDS_FILE (string). ACC_BITS = max(STATE_BITS, WEIGHT_BITS +
// clog2(IN)) + 2 as snn_dense_traits.
//
// Cycle behaviour. P = NF*SF = (OUT/PE)*(IN/SIMD), OF = OUT/OUT_SIMD. Number the timesteps of the stream
// n = 0, 1, ... (sample k = timesteps kT .. kT+T-1). With the input always valid and m_tready always high:
//   S(n)  cycle of the first iteration of timestep n (its first input handshake):
//         S(0) = 0,  S(n) = max(S(n-1) + P, E(n - OUT_BANKS) + 1)   (E(m) = -inf for m < 0)
//   F(n)  = S(n) + P + 2   first cycle in which timestep n's spikes are complete (its last fold's
//                          iteration issues at S(n)+P-1, its sums are on res_* at S(n)+P+1)
//   O(n)  = max(F(n), E(n-1) + 1)   its first output handshake;  E(n) = O(n) + OF - 1  its last.
// So: latency first input -> first output = P + 2 cycles; II = P cycles per timestep (T*P per sample,
// samples overlap: the next sample's input is read while this one finishes) whenever P >= OF + 2 with
// OUT_BANKS = 2 (P >= OF and 2P >= OF + 2 with OUT_BANKS = 3); otherwise the output side sets the pace.
// Then timestep n's first input is at cycle n*P and its last output at n*P + P + OF + 1, so a single
// sample's last output handshake is at cycle T*P + OF + 1.
// Input words are taken in the cycles S(n) .. S(n) + SF - 1 (fold 0 of each timestep).
`default_nettype none

module snn_dense_lif #(
    parameter int IN = 64,
    parameter int OUT = 32,
    parameter int SIMD = 8,
    parameter int PE = 4,
    parameter int OUT_SIMD = 4,
    parameter int T = 16,
    parameter int WEIGHT_BITS = 4,
    parameter int STATE_BITS = 16,
    parameter int LEAK = 0,
    parameter int LEAK_SHIFT = 1,
    parameter int BETA_Q = 0,
    parameter int BETA_FRAC_BITS = 1,
    parameter int RESET = 0,
    parameter int OUT_BANKS = 2,
    parameter int OUT_RAM = 1,
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

    // ---- thresholds and membranes: synchronous reads at pre_nf, one cycle before the result ----
    logic [PE*SB-1:0] trom [NF];
    initial $readmemh(THRESHOLDS_FILE, trom);
    logic [PE*SB-1:0] vmem [NF];
    logic [PE*SB-1:0] theta_q, v_rd, v_fwd, v_new;
    logic             fwd;
    logic [PE-1:0]    spikes;

    always_ff @(posedge clk) begin
        theta_q <= trom[pre_nf];
        v_rd    <= vmem[pre_nf];
        // the fold written this cycle is the one read: pass the new value on (read-before-write RAM)
        fwd     <= res_valid && (res_nf == pre_nf);
        v_fwd   <= v_new;
        if (res_valid) vmem[res_nf] <= v_new;
    end

    genvar p;
    generate
        for (p = 0; p < PE; p++) begin : g_neuron
            snn_lif_neuron #(
                .STATE_BITS(SB), .ACC_BITS(ACC_BITS), .LEAK(LEAK), .LEAK_SHIFT(LEAK_SHIFT), .BETA_Q(BETA_Q),
                .BETA_FRAC_BITS(BETA_FRAC_BITS), .RESET(RESET), .SPIKING(1)
            ) u_neuron (
                .clear(res_first),
                .v_old(fwd ? v_fwd[p * SB +: SB] : v_rd[p * SB +: SB]),
                .current(res_acc[p * ACC_BITS +: ACC_BITS]),
                .theta(theta_q[p * SB +: SB]),
                .v_new(v_new[p * SB +: SB]),
                .spike(spikes[p])
            );
        end
    endgenerate

    // ---- output: OUT_BANKS timestep banks of OUT spikes ----
    logic [0:0] rd_rep;
    logic       rd_last;
    logic       unused_rd;
    assign unused_rd = ^{rd_rep, rd_last};

    snn_bank_buffer #(
        .VB(1), .WR_LANES(PE), .WR_WORDS(NF), .RD_LANES(OUT_SIMD), .RD_WORDS(OUT / OUT_SIMD), .REPEAT(1),
        .BANKS(OUT_BANKS), .RAM(OUT_RAM)
    ) u_out (
        .clk(clk), .rst_n(rst_n), .rsv(step_start), .can_rsv(can_rsv),
        .wr_en(res_valid), .wr_idx(res_nf), .wr_data(spikes), .wr_last(res_last_fold),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready), .rd_rep(rd_rep), .rd_last(rd_last)
    );
endmodule

`default_nettype wire
