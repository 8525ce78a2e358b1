// snn_spike_frame: the output spike frame of the conv kernels (rtl/snn_conv.sv, rtl/snn_conv_event.sv):
// written PE channels of one output pixel at a time by the neuron pipeline, then streamed out as the
// NHWC spike map of one timestep (PIX*COUT/OUT_SIMD words, pixels in raster order, bit j of word o of a
// pixel = channel o*OUT_SIMD + j).
//
// Storage: COUT/PE banks of PIX x PE bits (bank b holds channels b*PE .. b*PE+PE-1 of every pixel),
// synchronous read of all banks at one pixel (COUT bits), so block or LUT RAM fits; the OUT_SIMD-bit
// slice of the read row goes into a 3-word snn_fifo. Reads are issued against a credit count (words read
// and not yet taken <= 3), so the FIFO never overflows and the writer never stalls the neuron pipeline.
//
// Protocol with the producer: `claim` (a pulse) marks the start of a new frame (free goes low: no other
// frame may start until this one has been read out); wr_en/wr_pix/wr_nf/wr_bits write PE spikes;
// `wr_done` (with or after the last write) makes the frame complete, and the reads start in the next
// cycle; `free` rises after the cycle in which the last word is read from the banks.
//
// Parameters (int): PIX output pixels (>= 1), COUT channels, PE (divides COUT), OUT_SIMD (divides COUT).
// Cycle behaviour (m_tready always high): with wr_done in cycle c, the frame's words are handshaken in
// cycles c+3 .. c+M+2 (M = PIX*COUT/OUT_SIMD, one per cycle) and free is high again from cycle c+M+1.
`default_nettype none

module snn_spike_frame #(
    parameter int PIX = 1,
    parameter int COUT = 1,
    parameter int PE = 1,
    parameter int OUT_SIMD = 1
) (
    input  logic                                     clk,
    input  logic                                     rst_n,
    input  logic                                     claim,
    output logic                                     free,
    input  logic                                     wr_en,
    input  logic [((PIX > 1) ? $clog2(PIX) : 1)-1:0] wr_pix,
    input  logic [((COUT / PE > 1) ? $clog2(COUT / PE) : 1)-1:0] wr_nf,
    input  logic [PE-1:0]                            wr_bits,
    input  logic                                     wr_done,
    output logic [OUT_SIMD-1:0]                      m_tdata,
    output logic                                     m_tvalid,
    input  logic                                     m_tready
);
    localparam int NF = COUT / PE;
    localparam int OF = COUT / OUT_SIMD;
    localparam int PAW = (PIX > 1) ? $clog2(PIX) : 1;
    localparam int NFW = (NF > 1) ? $clog2(NF) : 1;
    localparam int OFW = (OF > 1) ? $clog2(OF) : 1;

    logic [PAW-1:0]  rd_pix;
    logic [OFW-1:0]  rd_o, o_q;
    logic [COUT-1:0] row;  // all channels of pixel rd_pix (registered read)

    generate
        for (genvar b = 0; b < NF; b++) begin : g_bank
            logic [PE-1:0] bank [PIX];
            always_ff @(posedge clk) begin
                if (wr_en && wr_nf == NFW'(b)) bank[wr_pix] <= wr_bits;
                row[b*PE +: PE] <= bank[rd_pix];
            end
        end
    endgenerate

    logic       active, busy, rd_issue, rd_last, push, pop, push_ready_unused;
    logic [1:0] credits;  // words read but not yet taken by the consumer (the FIFO holds 3)

    assign free     = !busy;
    assign rd_issue = active && (credits != 2'd3);
    assign rd_last  = (rd_pix == PAW'(PIX - 1)) && (rd_o == OFW'(OF - 1));
    assign pop      = m_tvalid && m_tready;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            active  <= 1'b0;
            busy    <= 1'b0;
            rd_pix  <= '0;
            rd_o    <= '0;
            credits <= '0;
            push    <= 1'b0;
        end else begin
            if (claim) busy <= 1'b1;
            if (wr_done) active <= 1'b1;
            if (rd_issue) begin
                if (rd_last) begin
                    active <= 1'b0;
                    busy   <= 1'b0;
                end
                if (rd_o == OFW'(OF - 1)) begin
                    rd_o   <= '0;
                    rd_pix <= rd_last ? '0 : rd_pix + PAW'(1);
                end else begin
                    rd_o <= rd_o + OFW'(1);
                end
            end
            credits <= credits + {1'b0, rd_issue} - {1'b0, pop};
            push    <= rd_issue;
        end
        o_q <= rd_o;
    end

    snn_fifo #(.WIDTH(OUT_SIMD), .DEPTH(3)) u_out (
        .clk(clk), .rst_n(rst_n),
        .s_tdata(row[o_q*OUT_SIMD +: OUT_SIMD]), .s_tvalid(push), .s_tready(push_ready_unused),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
