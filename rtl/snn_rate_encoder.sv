// snn_rate_encoder: on-chip rate encoder, the RTL counterpart of rate_encoder in hls/snn_encoders.h and
// of rate_encode in snn2fpga/semantics/encoders.py, bit for bit.
//
//   spike[t, i] = R[t, i] < q[i]
// R is the byte sequence of a 32-bit right-shifting Galois LFSR (mask 0x80200003, polynomial
// x^32 + x^22 + x^2 + x + 1): state s -> (s >> 1) ^ (s[0] ? 0x80200003 : 0), 8 steps per byte, the byte
// being the low 8 bits after its 8th step, bytes taken in (t, i) row-major order. The LFSR restarts
// from the seed state (SEED, or 0xACE1ACE1 for SEED = 0) at every sample start.
//
// Streams:
//   in  (s_tdata, 32 bits): per sample IN_WORDS = ceil(IN/4) words, feature 4k+b in bits 8b+7..8b of
//       word k (little-endian); bytes beyond feature IN-1 are ignored.
//   out (m_tdata, SIMD bits): per sample T * IN/SIMD words, timestep by timestep; bit l of word f of a
//       timestep = spike of feature f*SIMD + l.
//
// Parameters: IN features (>= 1, int); SIMD spikes per output word (>= 1, divides IN, int); T timesteps
// (>= 1, int); SEED LFSR seed (32 bits; 0 -> 0xACE1ACE1; a 32-bit logic, not an int, so that seeds
// >= 2^31 pass unchanged); BANKS sample buffers (>= 1, int, default 2).
//
// Structure: the feature bytes go into snn_bank_buffer (BANKS banks of IN_WORDS*4 bytes, read T times
// as IN/SIMD words of SIMD bytes; LUT RAM storage, RAM = 1, words of lcm(4, SIMD) bytes). One output word needs 8*SIMD LFSR steps: they are an unrolled chain
// of the step function in always_comb, which is linear over GF(2), so synthesis collapses it into one
// XOR tree per state bit (at most 32 inputs each) and the encoder emits one word per cycle (II = 1).
// m_tdata = compare(bytes of the buffer word, LFSR bytes): registers only change at a handshake, so
// m_tdata holds while stalled; m_tvalid is a register.
//
// Cycle behaviour, never stalled, first input handshake at cycle 0, IW = ceil(IN/4), FOLDS = IN/SIMD:
//   latency first input -> first output:  IW cycles (output starts the cycle after the last feature word).
//   per sample (II, BANKS >= 2):          max(IW, T * FOLDS) cycles; the next sample's features are read
//                                          while this one is emitted.
//   last output of one sample:            cycle IW + T * FOLDS - 1.
//   samples in a stream:                  the k-th sample's last output at cycle
//                                          IW + T*FOLDS - 1 + k * max(IW, T*FOLDS) (k = 0, 1, ...).
// BANKS = 1 halves the feature storage (IN*8 bits of LUT RAM per bank) but then a sample takes IW + T*FOLDS
// cycles (the next sample's words are accepted from the cycle after the previous sample's last output).
`default_nettype none

module snn_rate_encoder #(
    parameter int IN = 64,
    parameter int SIMD = 8,
    parameter int T = 16,
    parameter logic [31:0] SEED = 32'd0,
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
    localparam logic [31:0] MASK = 32'h8020_0003;
    localparam logic [31:0] SEED_STATE = (SEED != 32'd0) ? SEED : 32'hACE1_ACE1;

    logic [WW-1:0]     word;   // index of the next feature word within the sample
    logic              can_rsv, fire, rd_last;
    logic [SIMD*8-1:0] q;      // the SIMD feature bytes of the current output word
    logic [PW-1:0]     rd_rep;
    logic [31:0]       lfsr, lfsr_next;

    assign s_tready = (word != '0) || can_rsv;
    assign fire     = s_tvalid && s_tready;

    snn_bank_buffer #(
        .VB(8), .WR_LANES(4), .WR_WORDS(IW), .RD_LANES(SIMD), .RD_WORDS(IN / SIMD), .REPEAT(T), .BANKS(BANKS),
        .RAM(1)
    ) u_buf (
        .clk(clk), .rst_n(rst_n),
        .rsv(fire && word == '0), .can_rsv(can_rsv),
        .wr_en(fire), .wr_idx(word), .wr_data(s_tdata), .wr_last(word == WW'(IW - 1)),
        .m_tdata(q), .m_tvalid(m_tvalid), .m_tready(m_tready),
        .rd_rep(rd_rep), .rd_last(rd_last)
    );

    logic unused_rep;
    assign unused_rep = ^rd_rep;  // the LFSR carries the timestep; the pass number is not needed

    function automatic logic [31:0] lfsr_step(input logic [31:0] s);
        lfsr_step = s[0] ? ((s >> 1) ^ MASK) : (s >> 1);
    endfunction

    // 8*SIMD unrolled LFSR steps: the byte of lane l is the low byte after step 8*(l+1)
    always_comb begin
        logic [31:0] s;
        s = lfsr;
        for (int l = 0; l < SIMD; l++) begin
            for (int k = 0; k < 8; k++) s = lfsr_step(s);
            m_tdata[l] = s[7:0] < q[l*8 +: 8];
        end
        lfsr_next = s;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            word <= '0;
            lfsr <= SEED_STATE;
        end else begin
            if (fire) word <= (word == WW'(IW - 1)) ? '0 : word + WW'(1);
            // the sample's last word: the next word starts a new sample, with a reseeded LFSR
            if (m_tvalid && m_tready) lfsr <= rd_last ? SEED_STATE : lfsr_next;
        end
    end
endmodule

`default_nettype wire
