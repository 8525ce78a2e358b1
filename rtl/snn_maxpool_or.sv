// snn_maxpool_or: max pooling of binary spike maps = OR over K x K windows with stride K (no
// padding), the RTL of maxpool_or (hls/snn_conv.h) and of maxpool_spikes (snn2fpga/semantics/conv.py).
//
// Streams (NHWC spike maps, as hls/snn_conv.h): per timestep the input map arrives as H*W*C/SIMD words
// of SIMD channel bits, pixels in raster order (y major, x minor), bit l of word f of a pixel = channel
// f*SIMD + l; the output map is HO*WO*C/SIMD words in the same layout, HO = floor(H/K), WO = floor(W/K)
// (input rows y >= HO*K and columns x >= WO*K are read and dropped, as the reference). The module
// keeps no state across timesteps, so T is not a parameter: it pools frame after frame forever, and a
// sample of T timesteps is simply T frames.
//
// Parameters: H, W (input map, >= K), C (channels, >= 1), K (window = stride, >= 1), SIMD (channels
// per word in and out, divides C).
//
// Why it sustains one word per cycle (the HLS kernel read-modify-writes its row accumulator `row_acc`
// in a BRAM-style array, which likely costs II > 1): the OR over the K columns of a window row is kept
// in registers (hacc, C bits), and the OR over the window rows lives in `row_acc`, WO*C/SIMD words with
// a COMBINATIONAL read (distributed/LUT RAM: RAM32M/RAM64M on 7-series) and a synchronous write, so
// its read-modify-write completes in the cycle of the input handshake; an address is touched at most
// once per input row (W*C/SIMD cycles apart), so there is no hazard. The row address is a counter (no
// multiplier). A pooled word is pushed in the cycle that reads the bottom-right pixel of its window
// into a 2-word snn_fifo (skid buffer), so s_tready is a register function (no path from m_tready).
//
// Cycle behaviour (never stalled: s_tvalid and m_tready always high):
//   one input word per cycle, forever: per timestep H*W*C/SIMD cycles, per sample T*H*W*C/SIMD,
//   consecutive timesteps and samples overlap with no bubble (interval = T*H*W*C/SIMD cycles);
//   latency: a pooled word is on m_tdata (m_tvalid high) 1 cycle after the input handshake of the
//   bottom-right pixel of its window. So for a sample whose first input handshake is in cycle c0, the
//   last output handshake is in cycle c0 + T*H*W*CF - 1 - ((H - HO*K)*W + (W - WO*K))*CF + 1
//   (CF = C/SIMD): the span from first input to last output handshake is
//   T*H*W*CF - ((H - HO*K)*W + W - WO*K)*CF + 1 cycles, inclusive of both; the first output handshake
//   comes ((K-1)*W + K-1)*CF + 1 cycles after the first input handshake.
`default_nettype none

module snn_maxpool_or #(
    parameter int H = 4,
    parameter int W = 4,
    parameter int C = 1,
    parameter int K = 2,
    parameter int SIMD = 1
) (
    input  logic            clk,
    input  logic            rst_n,
    input  logic [SIMD-1:0] s_tdata,
    input  logic            s_tvalid,
    output logic            s_tready,
    output logic [SIMD-1:0] m_tdata,
    output logic            m_tvalid,
    input  logic            m_tready
);
    localparam int CF = C / SIMD;
    localparam int HO = H / K;
    localparam int WO = W / K;
    localparam int RA = WO * CF;  // words of the row accumulator
    localparam int CFW = (CF > 1) ? $clog2(CF) : 1;
    localparam int XW = $clog2(W + 1);
    localparam int YW = $clog2(H + 1);
    localparam int KW = (K > 1) ? $clog2(K) : 1;
    localparam int AW = (RA > 1) ? $clog2(RA) : 1;

    logic [CFW-1:0] cf;       // channel word of the current pixel
    logic [XW-1:0]  x;        // input column
    logic [YW-1:0]  y;        // input row
    logic [KW-1:0]  wx, wy;   // position inside the window
    logic [AW-1:0]  ra;       // row-accumulator address = ox*CF + cf of the next window-column end

    logic [SIMD-1:0] hacc [CF];     // OR over the columns of the current window row, per channel word
    logic [SIMD-1:0] row_acc [RA];  // OR over the window rows, per output column and channel word

    logic in_hs, used, col_end, push, push_ready;
    logic [SIMD-1:0] h, merged;

    assign in_hs   = s_tvalid && s_tready;
    assign used    = (y < YW'(HO * K)) && (x < XW'(WO * K));
    assign col_end = used && (wx == KW'(K - 1));
    assign h       = (wx == '0) ? s_tdata : (hacc[cf] | s_tdata);
    assign merged  = (wy == '0) ? h : (row_acc[ra] | h);
    assign push    = in_hs && col_end && (wy == KW'(K - 1));
    assign s_tready = push_ready;

    always_ff @(posedge clk) begin
        if (in_hs) begin
            hacc[cf] <= h;
            if (col_end) row_acc[ra] <= merged;
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            cf <= '0;
            x  <= '0;
            y  <= '0;
            wx <= '0;
            wy <= '0;
            ra <= '0;
        end else if (in_hs) begin
            if (col_end) ra <= (ra == AW'(RA - 1)) ? '0 : ra + AW'(1);
            if (cf == CFW'(CF - 1)) begin
                cf <= '0;
                if (x == XW'(W - 1)) begin
                    x  <= '0;
                    wx <= '0;
                    ra <= '0;
                    if (y == YW'(H - 1)) begin
                        y  <= '0;
                        wy <= '0;
                    end else begin
                        y  <= y + YW'(1);
                        wy <= (wy == KW'(K - 1)) ? '0 : wy + KW'(1);
                    end
                end else begin
                    x  <= x + XW'(1);
                    wx <= (wx == KW'(K - 1)) ? '0 : wx + KW'(1);
                end
            end else begin
                cf <= cf + CFW'(1);
            end
        end
    end

    snn_fifo #(.WIDTH(SIMD), .DEPTH(2)) u_out (
        .clk(clk), .rst_n(rst_n),
        .s_tdata(merged), .s_tvalid(push), .s_tready(push_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
