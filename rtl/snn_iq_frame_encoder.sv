// snn_iq_frame_encoder: the on-chip I/Q-plane spike encoder, one-hot frame form: iq_frame_encoder of
// hls/snn_iq.h, bit-exact with iq_plane_encode of snn2fpga/semantics/iq.py ([1, G, G] frame per timestep
// with the single spike at (row, col), row = ((ci + 128) * G) >> 8, col = ((cq + 128) * G) >> 8), for a
// first layer that is not event-driven.
//
// Streams:
//   in  (s_tdata, 32 bits): ceil(T/2) host words per sample, as rtl/snn_iq_encoder.sv (bytes I(2k), Q(2k),
//       I(2k+1), Q(2k+1); for odd T bytes 2 and 3 of the last word are ignored).
//   out (m_tdata, SIMD bits): per timestep G*G/SIMD words, pixels in raster order, bit l of word f = pixel
//       f*SIMD + l = (row, col) with row*G + col = f*SIMD + l (with SIMD = 1 the NHWC map of one channel
//       that rtl/snn_conv.sv reads; any SIMD dividing G*G is the flattened stream a dense layer reads).
// Parameters: T (timesteps per sample, >= 1), G (grid bins per axis, 2..256), SIMD (divides G*G).
//
// Structure: the host word is held in a register; per timestep the hot index row*G + col is computed
// from it (constant multiplications) and G*G/SIMD words are pushed, one per cycle, into a 2-word
// snn_fifo; word f is the one-hot of (hot - f*SIMD) when that lies in 0..SIMD-1 (a running base, no
// division). The next host word is accepted in the cycle the last word of its predecessor is pushed.
// Cycle behaviour (never stalled): one output word per cycle (II = 1); with the sample's first host word
// handshaken in cycle c0, output word i of the sample (i = 0 .. T*G*G/SIMD - 1) is handshaken in cycle
// c0 + 2 + i: first input to last output handshake spans T*G*G/SIMD + 2 cycles (inclusive); samples
// overlap, the interval between samples is T*G*G/SIMD cycles.
`default_nettype none

module snn_iq_frame_encoder #(
    parameter int T = 16,
    parameter int G = 32,
    parameter int SIMD = 1
) (
    input  logic            clk,
    input  logic            rst_n,
    input  logic [31:0]     s_tdata,
    input  logic            s_tvalid,
    output logic            s_tready,
    output logic [SIMD-1:0] m_tdata,
    output logic            m_tvalid,
    input  logic            m_tready
);
    localparam int FOLDS = G * G / SIMD;
    localparam int TW = (T > 1) ? $clog2(T) : 1;
    localparam int FW = (FOLDS > 1) ? $clog2(FOLDS) : 1;
    // hot index, running base and their difference (at least 9 bits: the bins are 8-bit values)
    localparam int HW0 = $clog2(G * G + SIMD) + 1;
    localparam int HW = (HW0 > 9) ? HW0 : 9;

    logic [31:0]   word;
    logic          have, half, push, push_ready, step_done, word_done;
    logic [TW-1:0] t;
    logic [FW-1:0] f;
    logic [HW-1:0] base;  // f*SIMD
    logic [7:0]    ci, cq;

    assign ci = half ? word[23:16] : word[7:0];
    assign cq = half ? word[31:24] : word[15:8];

    // grid bins ((code + 128) * G) >> 8 (constant G: shifts and adds); the bin is bits 15:8 of the product
    localparam logic [16:0] G17 = G[16:0];
    localparam logic [HW-1:0] GH = G[HW-1:0];
    /* verilator lint_off UNUSEDSIGNAL */
    logic [16:0] scaled_i, scaled_q;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [HW-1:0] hot, diff;
    assign scaled_i = {9'd0, ci ^ 8'h80} * G17;
    assign scaled_q = {9'd0, cq ^ 8'h80} * G17;
    assign hot      = {{(HW - 8){1'b0}}, scaled_i[15:8]} * GH + {{(HW - 8){1'b0}}, scaled_q[15:8]};
    assign diff     = hot - base;

    logic [SIMD-1:0] onehot;
    always_comb begin
        for (int l = 0; l < SIMD; l++) onehot[l] = (diff == HW'(l));
    end

    assign push      = have && push_ready;
    assign step_done = (f == FW'(FOLDS - 1));
    assign word_done = step_done && (half || (t == TW'(T - 1)));
    assign s_tready  = !have || (push && word_done);

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            have <= 1'b0;
            half <= 1'b0;
            t    <= '0;
            f    <= '0;
            base <= '0;
        end else begin
            if (push) begin
                if (step_done) begin
                    f    <= '0;
                    base <= '0;
                    t    <= (t == TW'(T - 1)) ? '0 : t + TW'(1);
                    half <= !word_done;
                    if (word_done) have <= 1'b0;
                end else begin
                    f    <= f + FW'(1);
                    base <= base + HW'(SIMD);
                end
            end
            if (s_tvalid && s_tready) have <= 1'b1;
        end
        if (s_tvalid && s_tready) word <= s_tdata;
    end

    snn_fifo #(.WIDTH(SIMD), .DEPTH(2)) u_out (
        .clk(clk), .rst_n(rst_n),
        .s_tdata(onehot), .s_tvalid(push), .s_tready(push_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
