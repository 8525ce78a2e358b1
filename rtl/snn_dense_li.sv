// snn_dense_li: non-spiking leaky-integrator readout layer (fully connected), the RTL counterpart of
// dense_li in hls/snn_dense.h: per timestep V <- sat(leak(V) + sum_j W[c, j] * s_j), no spike, no reset;
// after the last timestep of a sample it emits the OUT final membranes (the class scores). Bit for bit
// run_neurons(dense_currents(s, W), theta, NeuronParams(spiking=False, ...)).v_final.
//
// Streams:
//   in  (s_tdata, SIMD bits): per timestep IN/SIMD words, bit l of word f = input f*SIMD + l; T timesteps
//       per sample, samples back to back.
//   out (m_tdata, 32 bits): per sample OUT words, word c = final membrane of neuron c, sign-extended from
//       STATE_BITS to 32 bits (two's complement).
//
// Structure: snn_dense_engine -> PE snn_lif_neuron lanes (SPIKING = 0) -> at the last timestep,
// snn_bank_buffer (OUT_BANKS banks of OUT membranes, written PE at a time, read one per word). The
// membranes live in an array of NF = OUT/PE words of PE*STATE_BITS bits, read synchronously with a
// one-word bypass, reset at every sample start by integrating from 0 at t = 0. The copy into the output
// bank lets the next sample start while the scores are still being sent.
//
// ROM: WEIGHTS_FILE, NF*SF words of PE*SIMD*WEIGHT_BITS bits, see snn_dense_engine
// (snn2fpga/codegen/rtl_rom.py dense_weight_rom writes it). No thresholds.
//
// Parameters (int unless noted): IN, OUT, SIMD, PE, T, WEIGHT_BITS, STATE_BITS, LEAK, LEAK_SHIFT, BETA_Q,
// BETA_FRAC_BITS as snn_dense_lif (RESET and OUT_SIMD of the HLS config do not exist here: nothing fires
// and the output words are 32-bit scores); OUT_BANKS score banks (>= 1, default 2); OUT_RAM (1, default:
// the banks are LUT RAM; 0: flip-flops; same cycles); WEIGHTS_FILE (string).
//
// Cycle behaviour. P = NF*SF = (OUT/PE)*(IN/SIMD). Number the timesteps of the stream n = 0, 1, ...
// (sample k = timesteps kT .. kT+T-1) and the samples' score banks u = k. With the input always valid
// and m_tready always high:
//   S(n) cycle of the first iteration (= first input handshake) of timestep n:
//        S(0) = 0;  S(n) = S(n-1) + P, except for a sample's LAST timestep (n = kT + T-1), which also
//        waits for a free score bank: S(n) = max(S(n-1) + P, E(k - OUT_BANKS) + 1)  (E(m) = -inf, m < 0)
//   F(k) = S(kT + T-1) + P + 2   first cycle with sample k's scores complete
//   O(k) = max(F(k), E(k-1) + 1) its first score handshake;  E(k) = O(k) + OUT - 1 its last.
// With two banks the banks never block when T*P >= OUT + 2 (the usual case): sample k's first input at
// cycle k*T*P, first score at (k+1)*T*P + 2, last score at (k+1)*T*P + OUT + 1; latency first input ->
// first output = T*P + 2 cycles; interval between samples T*P cycles (samples overlap: the next sample's
// input is read while the scores go out).
`default_nettype none

module snn_dense_li #(
    parameter int IN = 64,
    parameter int OUT = 10,
    parameter int SIMD = 8,
    parameter int PE = 2,
    parameter int T = 16,
    parameter int WEIGHT_BITS = 4,
    parameter int STATE_BITS = 16,
    parameter int LEAK = 0,
    parameter int LEAK_SHIFT = 1,
    parameter int BETA_Q = 0,
    parameter int BETA_FRAC_BITS = 1,
    parameter int OUT_BANKS = 2,
    parameter int OUT_RAM = 1,
    parameter string WEIGHTS_FILE = ""
) (
    input  logic            clk,
    input  logic            rst_n,
    input  logic [SIMD-1:0] s_tdata,
    input  logic            s_tvalid,
    output logic            s_tready,
    output logic [31:0]     m_tdata,
    output logic            m_tvalid,
    input  logic            m_tready
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
        .step_start(step_start), .step_last(step_last), .step_ok(!step_last || can_rsv), .pre_nf(pre_nf),
        .res_valid(res_valid), .res_nf(res_nf), .res_first(res_first), .res_last(res_last),
        .res_last_fold(res_last_fold), .res_acc(res_acc)
    );

    // ---- membranes: synchronous read at pre_nf, one cycle before the result ----
    logic [PE*SB-1:0] vmem [NF];
    logic [PE*SB-1:0] v_rd, v_fwd, v_new;
    logic             fwd;

    always_ff @(posedge clk) begin
        v_rd  <= vmem[pre_nf];
        fwd   <= res_valid && (res_nf == pre_nf);
        v_fwd <= v_new;
        if (res_valid) vmem[res_nf] <= v_new;
    end

    genvar p;
    generate
        for (p = 0; p < PE; p++) begin : g_neuron
            logic unused_spike;
            snn_lif_neuron #(
                .STATE_BITS(SB), .ACC_BITS(ACC_BITS), .LEAK(LEAK), .LEAK_SHIFT(LEAK_SHIFT), .BETA_Q(BETA_Q),
                .BETA_FRAC_BITS(BETA_FRAC_BITS), .RESET(0), .SPIKING(0)
            ) u_neuron (
                .clear(res_first),
                .v_old(fwd ? v_fwd[p * SB +: SB] : v_rd[p * SB +: SB]),
                .current(res_acc[p * ACC_BITS +: ACC_BITS]),
                .theta('0),
                .v_new(v_new[p * SB +: SB]),
                .spike(unused_spike)
            );
        end
    endgenerate

    // ---- output: the final membranes of each sample, OUT_BANKS banks ----
    logic [SB-1:0] score;
    logic [0:0]    rd_rep;
    logic          rd_last;
    logic          unused_rd;
    assign unused_rd = ^{rd_rep, rd_last};

    snn_bank_buffer #(
        .VB(SB), .WR_LANES(PE), .WR_WORDS(NF), .RD_LANES(1), .RD_WORDS(OUT), .REPEAT(1), .BANKS(OUT_BANKS), .RAM(OUT_RAM)
    ) u_out (
        .clk(clk), .rst_n(rst_n), .rsv(step_start && step_last), .can_rsv(can_rsv),
        .wr_en(res_valid && res_last), .wr_idx(res_nf), .wr_data(v_new), .wr_last(res_last_fold),
        .m_tdata(score), .m_tvalid(m_tvalid), .m_tready(m_tready), .rd_rep(rd_rep), .rd_last(rd_last)
    );

    assign m_tdata = 32'($signed(score));  // sign extension (STATE_BITS <= 32)
endmodule

`default_nettype wire
