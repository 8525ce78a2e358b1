// snn_axis_out: the last stage's plain 32-bit word stream -> the host's AXI-Stream (to the AXI DMA's S2MM
// channel), TLAST on the last of num_samples * WORDS_PER_SAMPLE words per run, TKEEP all ones (the RTL
// counterpart of `snn_words_to_axis(..., out, num_samples * SNN_OUT_WORDS_PER_SAMPLE)` in the HLS top).
// The run length is counted as samples x words-in-sample with two counters: no multiplier.
//
// Streams:
//   s_*       plain stream from the last stage: 32-bit words (signed readout words are two's complement).
//   m_axis_*  host AXI-Stream master: tdata 32, tvalid, tready, tlast (high on the run's last word, low
//             on all others), tkeep 4'b1111.
//
// Parameter:
//   WORDS_PER_SAMPLE  output words per sample (the HLS top's SNN_OUT_WORDS_PER_SAMPLE), >= 1.
//
// Control (from snn_axilite_ctrl):
//   start        one-cycle pulse (or a level: honoured only while not busy) that begins a run;
//                num_samples is sampled in that cycle.
//   num_samples  samples of this run (the AXI-Lite register), 0 .. 2^32-1.
//   busy      high from the cycle after start until the cycle after the host accepted the TLAST word.
//             s_tready is low while no run is open (before start, and once all words were taken from
//             the last stage), so words of a later run are never sent in an earlier one.
//   done      one-cycle pulse in the cycle after the host accepted the TLAST word (for num_samples == 0: in
//             the cycle after start, and no word is sent). This is the run's ap_done.
//
// Cycle behaviour: one word per cycle (II = 1). A word accepted from the last stage is on m_axis_tdata
// (m_axis_tvalid high) in the next cycle (LATENCY = 1), through a 2-word snn_fifo holding {tlast, tdata}:
// m_axis_tvalid/tdata/tlast are registers and s_tready has no combinational path from m_axis_tready.
`default_nettype none

module snn_axis_out #(
    parameter int WORDS_PER_SAMPLE = 1
) (
    input  logic        clk,
    input  logic        rst_n,
    input  logic        start,
    input  logic [31:0] num_samples,
    output logic        busy,
    output logic        done,
    input  logic [31:0] s_tdata,
    input  logic        s_tvalid,
    output logic        s_tready,
    output logic [31:0] m_axis_tdata,
    output logic        m_axis_tvalid,
    input  logic        m_axis_tready,
    output logic        m_axis_tlast,
    output logic [3:0]  m_axis_tkeep
);
    localparam int WW = (WORDS_PER_SAMPLE > 1) ? $clog2(WORDS_PER_SAMPLE) : 1;
    logic [31:0]   samples_left;  // samples of this run not yet completely taken from the last stage
    logic [WW-1:0] word;          // index of the next word within its sample
    logic          last;          // the next word taken is the run's last (it gets TLAST)
    logic          taking;        // the run still takes words from the last stage
    logic          buf_ready;
    logic          s_hs;

    assign s_tready = taking && buf_ready;
    assign s_hs = s_tvalid && s_tready;
    assign last = (samples_left == 32'd1) && (word == WW'(WORDS_PER_SAMPLE - 1));
    assign m_axis_tkeep = 4'b1111;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy         <= 1'b0;
            taking       <= 1'b0;
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
                    taking       <= (num_samples != 32'd0);
                    done         <= (num_samples == 32'd0);
                end
            end else begin
                if (s_hs) begin
                    if (word == WW'(WORDS_PER_SAMPLE - 1)) begin
                        word         <= '0;
                        samples_left <= samples_left - 32'd1;
                    end else begin
                        word <= word + WW'(1);
                    end
                    if (last) taking <= 1'b0;
                end
                if (m_axis_tvalid && m_axis_tready && m_axis_tlast) begin
                    busy <= 1'b0;
                    done <= 1'b1;
                end
            end
        end
    end

    snn_fifo #(.WIDTH(33), .DEPTH(2)) u_buf (
        .clk(clk), .rst_n(rst_n),
        .s_tdata({last, s_tdata}), .s_tvalid(s_tvalid && taking), .s_tready(buf_ready),
        .m_tdata({m_axis_tlast, m_axis_tdata}), .m_tvalid(m_axis_tvalid), .m_tready(m_axis_tready)
    );
endmodule

`default_nettype wire
