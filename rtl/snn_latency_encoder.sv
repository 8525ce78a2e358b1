// snn_latency_encoder: on-chip latency encoder, the RTL counterpart of latency_encoder in
// hls/snn_encoders.h and of latency_encode in snn2fpga/semantics/encoders.py, bit for bit.
//
//   one spike per feature with q > 0, at t_fire = ((255 - q) * (T - 1)) // 255   (brighter = earlier)
//
// The division is never built: the firing time depends on the byte q alone, so it comes from a 256-entry
// constant table (FIRE[q] = ((255 - q) * (T - 1)) // 255, and T = "never" for q = 0) that synthesis turns
// into LUT logic, applied to the 4 bytes of each input word as it is written. The buffer keeps the
// firing times (clog2(T+1) bits per feature, as the HLS kernel's t_fire array), and an output lane is
// one equality compare with the timestep.
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
// Structure: the firing times go into snn_bank_buffer (BANKS banks of IN_WORDS*4 times of clog2(T+1)
// bits, read T times as IN/SIMD words of SIMD times; its pass counter is the timestep; LUT RAM storage,
// RAM = 1, words of lcm(4, SIMD) times). m_tdata is
// combinational from registers that only change at a handshake (it holds while stalled); m_tvalid is a
// register.
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
    localparam int PW = (T > 1) ? $clog2(T) : 1;    // timestep counter width
    localparam int FW = $clog2(T + 1);              // firing time 0..T-1, or T for "never"

    // FIRE[q] (bits q*FW +: FW): the firing time of a feature with byte value q
    function automatic logic [256*FW-1:0] fire_table();
        for (int v = 0; v < 256; v++) begin
            fire_table[v * FW +: FW] = (v == 0) ? FW'(T) : FW'(((255 - v) * (T - 1)) / 255);
        end
    endfunction
    localparam logic [256*FW-1:0] FIRE = fire_table();

    logic [WW-1:0]      word;
    logic               can_rsv, fire, rd_last;
    logic [4*FW-1:0]    t_in;         // firing times of the 4 features of the input word
    logic [SIMD*FW-1:0] t_fire;       // firing times of the SIMD features of the output word
    logic [PW-1:0]      rd_rep;       // the timestep of the word on m_tdata

    assign s_tready = (word != '0) || can_rsv;
    assign fire     = s_tvalid && s_tready;

    always_comb begin
        for (int b = 0; b < 4; b++) t_in[b * FW +: FW] = FIRE[s_tdata[b * 8 +: 8] * FW +: FW];
    end

    snn_bank_buffer #(
        .VB(FW), .WR_LANES(4), .WR_WORDS(IW), .RD_LANES(SIMD), .RD_WORDS(IN / SIMD), .REPEAT(T), .BANKS(BANKS),
        .RAM(1)
    ) u_buf (
        .clk(clk), .rst_n(rst_n),
        .rsv(fire && word == '0), .can_rsv(can_rsv),
        .wr_en(fire), .wr_idx(word), .wr_data(t_in), .wr_last(word == WW'(IW - 1)),
        .m_tdata(t_fire), .m_tvalid(m_tvalid), .m_tready(m_tready),
        .rd_rep(rd_rep), .rd_last(rd_last)
    );

    logic unused_last;
    assign unused_last = rd_last;  // the buffer's pass counter restarts by itself at a sample start

    always_comb begin
        for (int l = 0; l < SIMD; l++) m_tdata[l] = (t_fire[l * FW +: FW] == FW'(rd_rep));
    end

    always_ff @(posedge clk) begin
        if (!rst_n) word <= '0;
        else if (fire) word <= (word == WW'(IW - 1)) ? '0 : word + WW'(1);
    end
endmodule

`default_nettype wire
