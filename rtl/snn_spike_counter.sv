// snn_spike_counter: spike-count readout of a spiking last layer, the RTL twin of `spike_counter<CFG>` in
// hls/snn_readout.h (and of the SpikeCounter op in snn2fpga/ops/hw.py: counts = spikes summed over T).
//
// Streams (per sample):
//   in:  T * C/SIMD words of SIMD bits, timestep-major; bit l of word f (f = 0..C/SIMD-1) of a timestep is
//        the spike of neuron f*SIMD + l.
//   out: C words of 32 bits, neuron order: the number of spikes of that neuron over the T timesteps, a
//        signed 32-bit value (always 0..T) in two's complement, as the HLS kernel's ap_int<32>.
//
// Parameters:
//   C     neurons counted, >= 1.
//   SIMD  spikes per input word (the producer's OUT_SIMD), >= 1, divides C.
//   T     timesteps per sample, 1 .. 2^31-1 (counters are $clog2(T+1) bits).
//
// Free-running: sample after sample, the counters restart at each sample's first timestep (the first
// timestep overwrites instead of adding, as the HLS kernel does).
//
// Cycle behaviour (FOLDS = C/SIMD, N = T*FOLDS input words per sample), never stalled:
//   input: one word per cycle (II = 1); output: one word per cycle (II = 1).
//   The last input word of a sample copies the final counts into an output shift register, so its counts
//   are emitted while the next sample is already being counted (consecutive samples overlap; the HLS kernel
//   does not overlap its Emit loop with the next sample, this module does).
//   latency: the first count is valid in the cycle after the sample's last input handshake; the last
//   output handshake is N + C - 1 cycles after the first input handshake (N + C cycles inclusive, the HLS
//   kernel's T*C/SIMD + C iterations).
//   interval between samples: max(N, C + 1) cycles between the last input words (and between the first
//   counts) of consecutive samples: the last input word of a sample waits (s_tready low) until the
//   previous sample's C counts have all left (the copy needs the output register free; it is free one
//   cycle after the last output handshake, hence C + 1). The other input words never wait.
//   m_tvalid/m_tdata are registers; s_tready depends on registered state only.
`default_nettype none

module snn_spike_counter #(
    parameter int C = 10,
    parameter int SIMD = 1,
    parameter int T = 16
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
    localparam int FOLDS = C / SIMD;
    localparam int CNTW = $clog2(T + 1);                    // bits of one count (0..T)
    localparam int FW = (FOLDS > 1) ? $clog2(FOLDS) : 1;     // fold index width
    localparam int TW = (T > 1) ? $clog2(T) : 1;             // timestep index width
    localparam int OW = (C > 1) ? $clog2(C) : 1;             // output index width

    logic [FW-1:0]   fold;      // word index within the timestep
    logic [TW-1:0]   t;         // timestep within the sample
    logic            last_word; // the current input word is the sample's last
    logic            s_hs, m_hs;
    // packed arrays (index = neuron): registers, not memories, for every tool
    logic [C-1:0][CNTW-1:0] counts;   // running counts of the sample being counted
    logic [C-1:0][CNTW-1:0] outs;     // counts of the finished sample, shifted out from outs[0]
    logic [C-1:0][CNTW-1:0] upd;      // counts after this cycle's input word
    logic [OW-1:0]   left;         // output words still to send after the current one

    assign last_word = (t == TW'(T - 1)) && (fold == FW'(FOLDS - 1));
    assign s_tready  = !(last_word && m_tvalid);
    assign s_hs      = s_tvalid && s_tready;
    assign m_hs      = m_tvalid && m_tready;
    assign m_tdata   = 32'(outs[0]);

    // neuron c is bit c%SIMD of fold c/SIMD; at timestep 0 its count restarts from 0
    always_comb begin
        for (int c = 0; c < C; c++) begin
            upd[c] = (fold == FW'(c / SIMD))
                ? ((t == '0) ? CNTW'(0) : counts[c]) + CNTW'(s_tdata[c % SIMD])
                : counts[c];
        end
    end

    // one process per register array (no reset: the first timestep overwrites the counts, and outs is
    // only read while m_tvalid is high)
    always_ff @(posedge clk) begin
        if (s_hs) counts <= upd;
    end

    always_ff @(posedge clk) begin
        if (s_hs && last_word) outs <= upd;
        else if (m_hs) outs <= outs >> CNTW;   // the next neuron's count moves to outs[0]
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            fold     <= '0;
            t        <= '0;
            m_tvalid <= 1'b0;
            left     <= '0;
        end else begin
            if (s_hs) begin
                if (fold == FW'(FOLDS - 1)) begin
                    fold <= '0;
                    t    <= (t == TW'(T - 1)) ? '0 : t + TW'(1);
                end else begin
                    fold <= fold + FW'(1);
                end
            end
            // s_tready is low on a last word while counts are still being sent, so the two never collide
            if (s_hs && last_word) begin
                m_tvalid <= 1'b1;
                left     <= OW'(C - 1);
            end else if (m_hs) begin
                if (left == '0) m_tvalid <= 1'b0;
                else left <= left - OW'(1);
            end
        end
    end
endmodule

`default_nettype wire
