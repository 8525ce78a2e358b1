// snn_latency_encoder: on-chip latency encoder, the RTL counterpart of latency_encoder in
// hls/snn_encoders.h and of latency_encode in snn2fpga/semantics/encoders.py, bit for bit.
//
//   one spike per feature with q > 0, at t_fire = ((255 - q) * (T - 1)) // 255   (brighter = earlier)
//
// The division is never built: with x = (255 - q) * (T - 1) (a constant multiply) and t the timestep,
// floor(x / 255) == t  <=>  255*t <= x < 255*t + 255, two comparisons per lane.
//
// Streams:
//   in  (s_tdata, 32 bits): per sample IN_WORDS = ceil(IN/4) words, feature 4k+b in bits 8b+7..8b of
//       word k (little-endian); bytes beyond feature IN-1 are ignored.
//   out (m_tdata, SIMD bits): per sample T * IN/SIMD words, timestep by timestep; bit l of word f of a
//       timestep = spike of feature f*SIMD + l.
//
// Parameters (int): IN features (>= 1); SIMD spikes per output word (>= 1, divides IN); T timesteps
// (1..2^20); BANKS sample buffers (>= 1, default 2).
//
// Structure: the feature bytes go into snn_bank_buffer (BANKS banks of IN_WORDS*4 bytes, read T times
// as IN/SIMD words of SIMD bytes; its pass counter is the timestep). m_tdata is combinational from
// registers that only change at a handshake (it holds while stalled); m_tvalid is a register.
//
// Cycle behaviour: exactly as snn_rate_encoder (same buffer, one word per cycle):
//   latency first input -> first output IW = ceil(IN/4) cycles; per sample max(IW, T*IN/SIMD) cycles with
//   BANKS >= 2 (IW + T*IN/SIMD with BANKS = 1); k-th sample's last output at
//   cycle IW + T*IN/SIMD - 1 + k * max(IW, T*IN/SIMD).
`default_nettype none

module snn_latency_encoder #(
    parameter int IN = 64,
    parameter int SIMD = 8,
    parameter int T = 16,
    parameter int BANKS = 2
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
    localparam int IW = (IN + 3) / 4;
    localparam int WW = (IW > 1) ? $clog2(IW) : 1;
    localparam int PW = (T > 1) ? $clog2(T) : 1;
    localparam int XW = 8 + PW + 1;   // holds 255 * T

    logic [WW-1:0]     word;
    logic              can_rsv, fire, rd_last;
    logic [SIMD*8-1:0] q;
    logic [PW-1:0]     rd_rep;       // the timestep of the word on m_tdata
    logic [XW-1:0]     lo;           // 255 * t

    assign s_tready = (word != '0) || can_rsv;
    assign fire     = s_tvalid && s_tready;

    snn_bank_buffer #(
        .VB(8), .WR_LANES(4), .WR_WORDS(IW), .RD_LANES(SIMD), .RD_WORDS(IN / SIMD), .REPEAT(T), .BANKS(BANKS)
    ) u_buf (
        .clk(clk), .rst_n(rst_n),
        .rsv(fire && word == '0), .can_rsv(can_rsv),
        .wr_en(fire), .wr_idx(word), .wr_data(s_tdata), .wr_last(word == WW'(IW - 1)),
        .m_tdata(q), .m_tvalid(m_tvalid), .m_tready(m_tready),
        .rd_rep(rd_rep), .rd_last(rd_last)
    );

    logic unused_last;
    assign unused_last = rd_last;  // the buffer's pass counter restarts by itself at a sample start

    assign lo = (XW'(rd_rep) << 8) - XW'(rd_rep);

    always_comb begin
        logic [7:0]    dark;
        logic [XW-1:0] x;
        for (int l = 0; l < SIMD; l++) begin
            dark = 8'd255 - q[l*8 +: 8];
            x = XW'(dark) * XW'(T - 1);
            m_tdata[l] = (q[l*8 +: 8] != 8'd0) && (x >= lo) && (x < lo + XW'(255));
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) word <= '0;
        else if (fire) word <= (word == WW'(IW - 1)) ? '0 : word + WW'(1);
    end
endmodule

`default_nettype wire
