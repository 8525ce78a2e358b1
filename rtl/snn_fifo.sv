// snn_fifo: valid/ready FIFO between two stages of the RTL backend (the RTL counterpart of an HLS
// `hls::stream` with `#pragma HLS STREAM depth=DEPTH`).
//
// Streams: s_tdata/s_tvalid/s_tready in, m_tdata/m_tvalid/m_tready out, both WIDTH bits, words leave in
// the order they arrived; a transfer happens on a rising edge where valid && ready.
//
// Parameters:
//   WIDTH  bits per word, >= 1.
//   DEPTH  capacity in words, >= 2, any integer (not only powers of two). The FIFO accepts a word whenever
//          it holds fewer than DEPTH words (counting the two output registers).
//
// Structure: a two-word output buffer (o0 drives m_tdata/m_tvalid, o1 behind it) and, for DEPTH > 2, a
// simple dual-port RAM of DEPTH-2 words with a synchronous (registered) read port. The RAM is written in
// one always_ff and read into its own data register `q` with no reset and no bypass mux, the template that
// yosys (memory_libmap: RAM32M/RAM64M/RAM64X1D for small depth*width, RAMB18E1/RAMB36E1 for large) and
// Vivado (distributed RAM / block RAM with its output latch) both infer. The RAM never reads the address
// being written in the same cycle (it only reads words written in an earlier cycle), so read-first or
// write-first makes no difference.
//
// Handshake rules (RTL_CONVENTIONS.md): m_tvalid and m_tdata are registers (never combinational on
// m_tready; m_tdata stays put until its transfer). s_tready is a function of registered state only:
//   DEPTH == 2: s_tready = (fewer than 2 words held);  DEPTH > 2: s_tready = (RAM holds fewer than DEPTH-2).
// No combinational path from m_tready to s_tready, so FIFOs and stages can be chained freely.
//
// Cycle behaviour (never stalled = s_tvalid high, m_tready high):
//   throughput: one word per cycle in and one out, simultaneously, forever (II = 1).
//   latency: a word that is accepted while the RAM is empty and the output buffer has room is on m_tdata
//            with m_tvalid high in the cycle right after its input handshake: LATENCY = 1 cycle (the
//            never-stalled case, which also holds for a FIFO that was empty). A word that had to wait in
//            the RAM (after the consumer stalled) leaves through the read port: at least 3 cycles (write,
//            read into q, move to o0), plus the time the older words need to drain.
//   reset: empty (m_tvalid = 0); s_tready is 1 from the first cycle after reset.
`default_nettype none

module snn_fifo #(
    parameter int WIDTH = 32,
    parameter int DEPTH = 2
) (
    input  logic             clk,
    input  logic             rst_n,
    input  logic [WIDTH-1:0] s_tdata,
    input  logic             s_tvalid,
    output logic             s_tready,
    output logic [WIDTH-1:0] m_tdata,
    output logic             m_tvalid,
    input  logic             m_tready
);
    // RAM part: DEPTH-2 words (at least one entry is declared so the code elaborates for DEPTH == 2;
    // that entry is then never written nor read and synthesis removes it).
    localparam int RDEPTH = DEPTH - 2;
    localparam int RSLOTS = (RDEPTH > 0) ? RDEPTH : 1;
    localparam int PW = (RSLOTS > 1) ? $clog2(RSLOTS) : 1;   // pointer width
    localparam int CW = $clog2(RSLOTS + 1);                    // RAM count width (0..RDEPTH)

    logic [WIDTH-1:0] o0, o1;   // output buffer: o0 is the head (m_tdata), o1 the word behind it
    logic [1:0]       ocnt;     // words in the output buffer, 0..2
    logic             pop;      // o0 leaves this cycle

    assign m_tdata  = o0;
    assign m_tvalid = (ocnt != 2'd0);
    assign pop      = m_tvalid && m_tready;

    logic             s_hs;     // a word enters this cycle
    logic             q_valid;  // the RAM data register holds a word read in the previous cycle
    logic [WIDTH-1:0] q;
    logic             bypass;   // the entering word goes straight into the output buffer
    logic             re, we;   // RAM read / write this cycle
    logic [CW-1:0]    rcnt;     // words in the RAM
    logic [PW-1:0]    rptr, wptr;

    assign s_hs    = s_tvalid && s_tready;

    generate
        if (RDEPTH == 0) begin : g_regs_only
            assign s_tready = (ocnt != 2'd2);
            assign bypass   = s_hs;
            assign we       = 1'b0;
            assign re       = 1'b0;
        end else begin : g_ram
            // output-buffer words after this cycle's pop plus the RAM word arriving now (0..2)
            logic [1:0] after_q;
            assign after_q  = ocnt - {1'b0, pop} + {1'b0, q_valid};
            assign s_tready = (rcnt != CW'(RDEPTH));
            // the entering word may skip the RAM only when no older word is in the RAM (order) and the
            // output buffer keeps room for it behind the word arriving from q
            assign bypass   = s_hs && (rcnt == '0) && (after_q != 2'd2);
            assign we       = s_hs && !bypass;
            // read one word when the output buffer will have room for it when it arrives next cycle
            assign re       = (rcnt != '0) && (after_q != 2'd2);
        end
    endgenerate

    // ---- storage: plain simple dual-port RAM with a registered read (no reset: keeps it inferable) ----
    logic [WIDTH-1:0] mem [RSLOTS];

    always_ff @(posedge clk) begin
        if (we) mem[wptr] <= s_tdata;
        if (re) q <= mem[rptr];
    end

    // ---- RAM pointers and count ----
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            rptr    <= '0;
            wptr    <= '0;
            rcnt    <= '0;
            q_valid <= 1'b0;
        end else begin
            if (we) wptr <= (wptr == PW'(RSLOTS - 1)) ? '0 : wptr + PW'(1);
            if (re) rptr <= (rptr == PW'(RSLOTS - 1)) ? '0 : rptr + PW'(1);
            rcnt    <= rcnt + CW'(we) - CW'(re);
            q_valid <= re;
        end
    end

    // ---- output buffer: after the pop, append the word from q (older) then the bypassed word ----
    logic [WIDTH-1:0] n0, n1;
    logic [1:0]       ncnt;

    always_comb begin
        n0   = o0;
        n1   = o1;
        ncnt = ocnt;
        if (pop) begin
            n0   = o1;
            ncnt = ocnt - 2'd1;
        end
        if (q_valid) begin
            if (ncnt == 2'd0) n0 = q;
            else n1 = q;
            ncnt = ncnt + 2'd1;
        end
        if (bypass) begin
            if (ncnt == 2'd0) n0 = s_tdata;
            else n1 = s_tdata;
            ncnt = ncnt + 2'd1;
        end
    end

    always_ff @(posedge clk) begin
        o0 <= n0;
        o1 <= n1;
        if (!rst_n) ocnt <= 2'd0;
        else ocnt <= ncnt;
    end
endmodule

`default_nettype wire
