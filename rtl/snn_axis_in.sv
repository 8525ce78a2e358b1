// snn_axis_in: the host's AXI-Stream (from the AXI DMA's MM2S channel) -> the plain 32-bit word stream of
// the first stage, accepting exactly num_samples * WORDS_PER_SAMPLE words per run (the RTL counterpart of
// `snn_axis_to_words(in, ..., num_samples * SNN_IN_WORDS_PER_SAMPLE)` in the HLS top). The run length is
// counted as samples x words-in-sample with two counters, so no multiplier (yosys maps a 32-bit
// `num_samples * 49` onto two DSP48E1) is needed.
//
// Streams:
//   s_axis_*  host AXI-Stream slave: tdata 32 bits, tvalid, tready, tlast. TLAST is ignored, as the HLS
//             top ignores it on input: the run length is num_samples * WORDS_PER_SAMPLE, not the packet
//             boundary.
//   m_*       plain stream to the first stage: 32-bit words in arrival order.
//
// Parameter:
//   WORDS_PER_SAMPLE  input words per sample (the HLS top's SNN_IN_WORDS_PER_SAMPLE), >= 1.
//
// Control (from snn_axilite_ctrl):
//   start        one-cycle pulse (a level works too: it is honoured only while not busy) that begins a
//                run; num_samples is sampled in that cycle.
//   num_samples  samples of this run (the AXI-Lite register), 0 .. 2^32-1.
//   busy      high from the cycle after start until the cycle after the last word was accepted from
//             the host; s_axis_tready is low whenever busy is low (before the first and after the last
//             word of a run), so extra host words wait in the DMA and are never consumed.
//   done      one-cycle pulse in the cycle after the last word was accepted (or, for num_samples == 0, in the
//             cycle after start).
//
// Cycle behaviour: one word per cycle (II = 1). A word accepted from the host is on m_tdata (m_tvalid high)
// in the next cycle (LATENCY = 1, through a 2-word snn_fifo that keeps m_tvalid/m_tdata registered and
// s_axis_tready free of any combinational path from m_tready or s_axis_tvalid).
`default_nettype none

module snn_axis_in #(
    parameter int WORDS_PER_SAMPLE = 1
) (
    input  logic        clk,
    input  logic        rst_n,
    input  logic        start,
    input  logic [31:0] num_samples,
    output logic        busy,
    output logic        done,
    input  logic [31:0] s_axis_tdata,
    input  logic        s_axis_tvalid,
    output logic        s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */
    // TLAST is part of the AXI-Stream port (the DMA drives it) but the run length is counted here
    input  logic        s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic [31:0] m_tdata,
    output logic        m_tvalid,
    input  logic        m_tready
);
    localparam int WW = (WORDS_PER_SAMPLE > 1) ? $clog2(WORDS_PER_SAMPLE) : 1;
    logic [31:0] samples_left;  // samples of this run not yet complete
    logic [WW-1:0] word;        // index of the next word within its sample
    logic        last;          // the next word is the run's last
    logic        buf_ready;
    logic        hs;

    assign s_axis_tready = busy && buf_ready;
    assign hs = s_axis_tvalid && s_axis_tready;
    assign last = (samples_left == 32'd1) && (word == WW'(WORDS_PER_SAMPLE - 1));

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy         <= 1'b0;
            done         <= 1'b0;
            samples_left <= '0;
            word         <= '0;
        end else begin
            done <= 1'b0;
            if (!busy) begin
                if (start) begin
                    samples_left <= num_samples;
                    word         <= '0;
                    busy         <= (num_samples != 32'd0);
                    done         <= (num_samples == 32'd0);
                end
            end else if (hs) begin
                if (word == WW'(WORDS_PER_SAMPLE - 1)) begin
                    word         <= '0;
                    samples_left <= samples_left - 32'd1;
                end else begin
                    word <= word + WW'(1);
                end
                if (last) begin
                    busy <= 1'b0;
                    done <= 1'b1;
                end
            end
        end
    end

    snn_fifo #(.WIDTH(32), .DEPTH(2)) u_buf (
        .clk(clk), .rst_n(rst_n),
        .s_tdata(s_axis_tdata), .s_tvalid(s_axis_tvalid && busy), .s_tready(buf_ready),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
