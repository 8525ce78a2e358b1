// snn_iq_encoder: the on-chip I/Q-plane spike encoder, event form: iq_encoder of hls/snn_iq.h, bit-exact
// with iq_bins / iq_plane_encode of snn2fpga/semantics/iq.py (one spike per timestep on a G x G grid).
//
// For a pair of signed 8-bit codes (ci, cq):  row = ((ci + 128) * G) >> 8,  col = ((cq + 128) * G) >> 8
// (0..G-1; ci + 128 is the code byte with its top bit flipped; G is a constant, so the product is a
// constant multiplication: shifts and adds).
//
// Streams:
//   in  (s_tdata, 32 bits): ceil(T/2) host words per sample; word k holds two timesteps: byte 0 = I(2k),
//       byte 1 = Q(2k), byte 2 = I(2k+1), byte 3 = Q(2k+1) (two's complement). For odd T, bytes 2 and 3 of
//       the sample's last word are ignored.
//   out (m_tdata, 16 bits): T event words per sample, row in bits 15:8, col in bits 7:0 (the input of
//       rtl/snn_conv_event.sv).
// Parameters: T (timesteps per sample, >= 1), G (grid bins per axis, 2..256).
//
// Structure: the host word is held in a register and its two halves are encoded in two consecutive
// cycles into a 2-word snn_fifo; the next word is accepted in the cycle its predecessor's last half is
// pushed (s_tready depends only on registers: the held-word flag and the FIFO's registered ready).
// Cycle behaviour (never stalled): one event per cycle (II = 1), one host word every 2 cycles; the
// event of timestep t of a sample whose first word is handshaken in cycle c0 is handshaken in cycle
// c0 + 2 + t (first input to first output: 2 cycles), so first input to last output handshake spans
// T + 2 cycles (inclusive) and samples
// overlap: the interval between samples is T cycles.
`default_nettype none

module snn_iq_encoder #(
    parameter int T = 16,
    parameter int G = 32
) (
    input  logic        clk,
    input  logic        rst_n,
    input  logic [31:0] s_tdata,
    input  logic        s_tvalid,
    output logic        s_tready,
    output logic [15:0] m_tdata,
    output logic        m_tvalid,
    input  logic        m_tready
);
    localparam int TW = (T > 1) ? $clog2(T) : 1;

    logic [31:0]   word;
    logic          have;       // word holds a host word with events still to emit
    logic          half;       // 0: bytes 1:0 (timestep 2k), 1: bytes 3:2 (timestep 2k+1)
    logic [TW-1:0] t;          // timestep of the next event within the sample
    logic          push, push_ready, word_done;
    logic [7:0]    ci, cq;

    assign ci        = half ? word[23:16] : word[7:0];
    assign cq        = half ? word[31:24] : word[15:8];

    // grid bins ((code + 128) * G) >> 8 (G constant: shifts and adds); code + 128 = code with its top bit
    // flipped. The bin is bits 15:8 of the product (< G <= 256); the other bits are not needed.
    localparam logic [16:0] G17 = G[16:0];
    /* verilator lint_off UNUSEDSIGNAL */
    logic [16:0] scaled_i, scaled_q;
    /* verilator lint_on UNUSEDSIGNAL */
    assign scaled_i = {9'd0, ci ^ 8'h80} * G17;
    assign scaled_q = {9'd0, cq ^ 8'h80} * G17;
    assign push      = have && push_ready;
    assign word_done = half || (t == TW'(T - 1));  // the last event of this word
    assign s_tready  = !have || (push && word_done);

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            have <= 1'b0;
            half <= 1'b0;
            t    <= '0;
        end else begin
            if (push) begin
                t    <= (t == TW'(T - 1)) ? '0 : t + TW'(1);
                half <= !word_done;
                if (word_done) have <= 1'b0;
            end
            if (s_tvalid && s_tready) have <= 1'b1;
        end
        if (s_tvalid && s_tready) word <= s_tdata;
    end

    snn_fifo #(.WIDTH(16), .DEPTH(2)) u_out (
        .clk(clk), .rst_n(rst_n),
        .s_tdata({scaled_i[15:8], scaled_q[15:8]}), .s_tvalid(push), .s_tready(push_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
