// snn_spike_unpack: host-encoded spikes (32 per AXI word) -> the on-chip spike stream of SIMD-bit
// words; the RTL counterpart of spike_unpack in hls/snn_encoders.h, bit for bit.
//
// Streams:
//   in  (s_tdata, 32 bits): per timestep IN_WORDS = ceil(IN/32) words, input i at bit i%32 of word i/32;
//       bits beyond input IN-1 of the last word are ignored.
//   out (m_tdata, SIMD bits): per timestep IN/SIMD words, bit l of word f = input f*SIMD + l.
// Every timestep is unpacked the same way, so the module needs no T: it free-runs over timesteps (and
// therefore over samples, T timesteps each).
//
// Parameters (int): IN inputs per timestep (>= 1); SIMD spikes per output word (>= 1, divides IN);
// BANKS timestep buffers (>= 1, default 2: the next timestep is read while this one is emitted).
//
// Structure: the input words are written straight into snn_bank_buffer (WR_LANES = 32, WR_WORDS =
// IN_WORDS, RD_LANES = SIMD, RD_WORDS = IN/SIMD, REPEAT = 1, LUT RAM storage RAM = 1). s_tready = (not
// at a timestep's first word) || (a bank is free): registered state only. m_tdata is an asynchronous
// RAM read at registered addresses (it holds while stalled).
//
// Cycle behaviour, never stalled (valid always high in, ready always high out), first input handshake
// at cycle 0, FOLDS = IN/SIMD, IW = IN_WORDS:
//   latency first input -> first output:  IW cycles (the timestep must be complete: word IW-1 at
//                                          cycle IW-1, first output at cycle IW).
//   per timestep (II):                    max(IW, FOLDS) cycles, input and output overlapped (BANKS >= 2).
//   last output of a T-timestep sample:   cycle IW + FOLDS - 1 + (T-1) * max(IW, FOLDS).
//   samples follow each other with no gap (a sample is just T more timesteps).
// With BANKS = 1 a timestep takes IW + FOLDS cycles (read, then emit; reserve after the last read).
`default_nettype none

module snn_spike_unpack #(
    parameter int IN = 64,
    parameter int SIMD = 8,
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
    localparam int IW = (IN + 31) / 32;
    localparam int WW = (IW > 1) ? $clog2(IW) : 1;

    logic [WW-1:0] word;     // index of the next input word within the timestep
    logic          can_rsv, fire;
    logic          unused_rd;
    logic [0:0]    rd_rep;

    assign s_tready  = (word != '0) || can_rsv;
    assign fire      = s_tvalid && s_tready;
    assign unused_rd = ^{rd_rep, rd_last};

    logic rd_last;
    snn_bank_buffer #(
        .VB(1), .WR_LANES(32), .WR_WORDS(IW), .RD_LANES(SIMD), .RD_WORDS(IN / SIMD), .REPEAT(1), .BANKS(BANKS),
        .RAM(1)
    ) u_buf (
        .clk(clk), .rst_n(rst_n),
        .rsv(fire && word == '0), .can_rsv(can_rsv),
        .wr_en(fire), .wr_idx(word), .wr_data(s_tdata), .wr_last(word == WW'(IW - 1)),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready),
        .rd_rep(rd_rep), .rd_last(rd_last)
    );

    always_ff @(posedge clk) begin
        if (!rst_n) word <= '0;
        else if (fire) word <= (word == WW'(IW - 1)) ? '0 : word + WW'(1);
    end
endmodule

`default_nettype wire
