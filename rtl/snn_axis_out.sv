// snn_axis_out: the last stage's plain 32-bit word stream -> the host's AXI-Stream (to the AXI DMA's S2MM
// channel), TLAST on the last of `n_words` words per run, TKEEP all ones (the RTL counterpart of
// `snn_words_to_axis(..., out, num_samples * SNN_OUT_WORDS_PER_SAMPLE)` in the HLS top).
//
// Streams:
//   s_*       plain stream from the last stage: 32-bit words (signed readout words are two's complement).
//   m_axis_*  host AXI-Stream master: tdata 32, tvalid, tready, tlast (high on word n_words of the run,
//             low on all others), tkeep 4'b1111.
//
// Control (from snn_axilite_ctrl):
//   start     one-cycle pulse (or a level: honoured only while not busy) that begins a run; n_words is
//             sampled in that cycle.
//   n_words   words of this run (num_samples * OUT_WORDS_PER_SAMPLE), 0 .. 2^32-1.
//   busy      high from the cycle after start until the cycle after the host accepted the TLAST word.
//             s_tready is low while no run is open (before start, and once all n_words were taken from
//             the last stage), so words of a later run are never sent in an earlier one.
//   done      one-cycle pulse in the cycle after the host accepted the TLAST word (for n_words == 0: in
//             the cycle after start, and no word is sent). This is the run's ap_done.
//
// Cycle behaviour: one word per cycle (II = 1). A word accepted from the last stage is on m_axis_tdata
// (m_axis_tvalid high) in the next cycle (LATENCY = 1), through a 2-word snn_fifo holding {tlast, tdata}:
// m_axis_tvalid/tdata/tlast are registers and s_tready has no combinational path from m_axis_tready.
`default_nettype none

module snn_axis_out (
    input  logic        clk,
    input  logic        rst_n,
    input  logic        start,
    input  logic [31:0] n_words,
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
    logic [31:0] left;      // words still to take from the last stage in this run
    logic        taking;    // the run still takes words from the last stage
    logic        buf_ready;
    logic        s_hs;

    assign s_tready = taking && buf_ready;
    assign s_hs = s_tvalid && s_tready;
    assign m_axis_tkeep = 4'b1111;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy   <= 1'b0;
            taking <= 1'b0;
            done   <= 1'b0;
            left   <= '0;
        end else begin
            done <= 1'b0;
            if (!busy) begin
                if (start) begin
                    left   <= n_words;
                    busy   <= (n_words != 32'd0);
                    taking <= (n_words != 32'd0);
                    done   <= (n_words == 32'd0);
                end
            end else begin
                if (s_hs) begin
                    left <= left - 32'd1;
                    if (left == 32'd1) taking <= 1'b0;
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
        .s_tdata({left == 32'd1, s_tdata}), .s_tvalid(s_tvalid && taking), .s_tready(buf_ready),
        .m_tdata({m_axis_tlast, m_axis_tdata}), .m_tvalid(m_axis_tvalid), .m_tready(m_axis_tready)
    );
endmodule

`default_nettype wire
