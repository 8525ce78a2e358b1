// snn_bank_buffer: a multi-bank (ping-pong) buffer that is written WR_LANES values at a time and
// read out as a stream of RD_LANES-value words; the width converter behind the output side of the dense
// kernels and the input side of the encoders and the spike unpacker.
//
// A bank holds WR_WORDS * WR_LANES values of VB bits. The writer fills a bank with writes wr_idx =
// 0..WR_WORDS-1 (any order, each once), the one with wr_last = 1 completes it; the bank is then "full"
// and is read out REPEAT times as RD_WORDS words of RD_LANES values: word r (r = 0..RD_WORDS-1) of
// every pass carries values r*RD_LANES .. r*RD_LANES + RD_LANES - 1 of the bank, value j of the word
// in bits j*VB +: VB. Values beyond RD_WORDS * RD_LANES (padding of the writes) are never read. After
// the last word of the last pass is taken the bank is free again. Banks are used round robin.
//
// Flow control by reservation, so a writer whose data arrives some cycles after it decides to start a
// bank (a pipelined kernel) never needs to stall its pipeline: the writer pulses `rsv` when it commits to
// fill the next bank (only while `can_rsv` is 1); can_rsv = (banks reserved, being written or full) <
// BANKS. can_rsv is a register: a bank freed by the last read handshake at cycle c can be reserved
// from cycle c + 1.
//
// Parameters (int): VB bits per value (>= 1); WR_LANES values per write (>= 1); WR_WORDS writes per bank
// (>= 1); RD_LANES values per output word (>= 1); RD_WORDS output words per pass (>= 1,
// RD_WORDS * RD_LANES <= WR_WORDS * WR_LANES); REPEAT read passes per bank (>= 1); BANKS (>= 1);
// RAM storage kind (0 registers, 1 LUT RAM, see below).
//
// Streams: m_tdata (RD_LANES * VB bits) / m_tvalid / m_tready; m_tvalid = (the bank being read is full),
// a register; m_tdata is a multiplexer of registers that only change at a handshake (it holds while
// stalled). rd_rep (the pass of the word on m_tdata, 0..REPEAT-1) and rd_last (that word is the bank's
// last) are registers too.
//
// Cycle behaviour: a write with wr_last = 1 in cycle c makes the bank's first word valid in cycle c + 1
// (when the banks before it are read out); then one word per cycle while m_tready is high (II = 1),
// RD_WORDS * REPEAT words per bank, the next full bank following without a gap.
// Storage (RAM parameter): 0 = BANKS * WR_WORDS * WR_LANES * VB flip-flops, written at any wr_idx;
// 1 = a LUT RAM of BANKS * ceil(WR_WORDS*WR_LANES / G) words of G*VB bits, G = lcm(WR_LANES, RD_LANES),
// plus a G*VB-bit staging register: the writes of a bank must then come in order (wr_idx = 0, 1, ...).
// The cycle behaviour is the same.
`default_nettype none

module snn_bank_buffer #(
    parameter int VB = 1,
    parameter int WR_LANES = 1,
    parameter int WR_WORDS = 1,
    parameter int RD_LANES = 1,
    parameter int RD_WORDS = 1,
    parameter int REPEAT = 1,
    parameter int BANKS = 2,
    parameter int RAM = 0
) (
    input  logic                                              clk,
    input  logic                                              rst_n,
    input  logic                                              rsv,
    output logic                                              can_rsv,
    input  logic                                              wr_en,
    input  logic [((WR_WORDS > 1) ? $clog2(WR_WORDS) : 1)-1:0] wr_idx,
    input  logic [WR_LANES*VB-1:0]                            wr_data,
    input  logic                                              wr_last,
    output logic [RD_LANES*VB-1:0]                            m_tdata,
    output logic                                              m_tvalid,
    input  logic                                              m_tready,
    output logic [((REPEAT > 1) ? $clog2(REPEAT) : 1)-1:0]     rd_rep,
    output logic                                              rd_last
);
    localparam int WIW = (WR_WORDS > 1) ? $clog2(WR_WORDS) : 1;   // write index width
    localparam int RIW = (RD_WORDS > 1) ? $clog2(RD_WORDS) : 1;   // read index width
    localparam int PW = (REPEAT > 1) ? $clog2(REPEAT) : 1;        // pass counter width
    localparam int BW = (BANKS > 1) ? $clog2(BANKS) : 1;          // bank index width
    localparam int CW = $clog2(BANKS + 1);                        // reserved-bank count width
    localparam int GW = WR_LANES * VB;                            // bits per write group
    localparam int BANKW = WR_WORDS * GW;                         // bits per bank
    localparam int RDW = RD_LANES * VB;                           // bits per output word
    localparam int TOTW = BANKS * BANKW;
    localparam int OFW = (TOTW > 1) ? $clog2(TOTW) : 1;           // bit offset width (offsets < TOTW)

    logic [BW-1:0]   wr_bank, rd_bank;
    logic [RIW-1:0]  rd_idx;
    logic [PW-1:0]   pass;
    logic [BANKS-1:0] full;
    logic [CW-1:0]   reserved;
    logic            rd_fire, rd_done;

    // least common multiple (elaboration only)
    function automatic int lcm(input int a, input int b);
        int x, y, t;
        x = a;
        y = b;
        for (int i = 0; i < 64; i++) begin
            if (y != 0) begin
                t = x % y;
                x = y;
                y = t;
            end
        end
        lcm = a / x * b;
    endfunction

    // ---- storage ----
    genvar b, w;
    generate
        if (RAM == 0) begin : g_regs
            // one register group per (bank, write index); the write decoder compares constants
            logic [TOTW-1:0] store;
            for (b = 0; b < BANKS; b++) begin : g_bank
                for (w = 0; w < WR_WORDS; w++) begin : g_word
                    always_ff @(posedge clk) begin
                        if (wr_en && wr_bank == BW'(b) && wr_idx == WIW'(w)) begin
                            store[(b * WR_WORDS + w) * GW +: GW] <= wr_data;
                        end
                    end
                end
            end
            logic [OFW-1:0] rd_off;
            assign rd_off  = OFW'(rd_bank) * OFW'(BANKW) + OFW'(rd_idx) * OFW'(RDW);
            assign m_tdata = store[rd_off +: RDW];
        end else begin : g_ram
            // A RAM of G = lcm(WR_LANES, RD_LANES) values per word, RW words per bank, one write port and
            // one asynchronous read port: LUT RAM (RAM32M/RAM64M), a fraction of the flip-flops of g_regs
            // for large banks. Writes must come in order (wr_idx = 0, 1, ...): they are gathered in a
            // staging register and a RAM word is written when it is complete (or at wr_last).
            localparam int G = lcm(WR_LANES, RD_LANES);
            localparam int WPG = G / WR_LANES;                        // writes per RAM word
            localparam int RPG = G / RD_LANES;                        // output words per RAM word
            localparam int RW = (WR_WORDS * WR_LANES + G - 1) / G;    // RAM words per bank
            localparam int AW = (BANKS * RW > 1) ? $clog2(BANKS * RW) : 1;
            localparam int SW = (WPG > 1) ? $clog2(WPG) : 1;
            localparam int QW = (RPG > 1) ? $clog2(RPG) : 1;

            logic [G*VB-1:0] ram [BANKS * RW];
            logic [G*VB-1:0] stage, merged, rword;
            logic [SW-1:0]   ws;          // write slot within the RAM word
            logic [AW-1:0]   wa, ra;      // RAM addresses (bank base + word)
            logic [QW-1:0]   rs;          // read slot within the RAM word
            logic            unused_idx;
            assign unused_idx = ^wr_idx;  // writes come in order: the slot counter replaces the index

            always_comb begin
                merged = stage;
                merged[ws * GW +: GW] = wr_data;
            end
            always_ff @(posedge clk) begin
                if (wr_en) stage <= merged;
                if (wr_en && (ws == SW'(WPG - 1) || wr_last)) ram[wa] <= merged;
            end
            always_ff @(posedge clk) begin
                if (!rst_n) begin
                    ws <= '0;
                    wa <= '0;
                    rs <= '0;
                    ra <= '0;
                end else begin
                    if (wr_en) begin
                        if (wr_last) begin
                            ws <= '0;
                            wa <= (wr_bank == BW'(BANKS - 1)) ? '0 : AW'((32'(wr_bank) + 1) * RW);
                        end else if (ws == SW'(WPG - 1)) begin
                            ws <= '0;
                            wa <= wa + AW'(1);
                        end else begin
                            ws <= ws + SW'(1);
                        end
                    end
                    if (rd_fire) begin
                        if (rd_idx == RIW'(RD_WORDS - 1)) begin  // end of a pass: to the start of this bank or the next
                            rs <= '0;
                            if (!rd_done) ra <= AW'(32'(rd_bank) * RW);
                            else ra <= (rd_bank == BW'(BANKS - 1)) ? '0 : AW'((32'(rd_bank) + 1) * RW);
                        end else if (rs == QW'(RPG - 1)) begin
                            rs <= '0;
                            ra <= ra + AW'(1);
                        end else begin
                            rs <= rs + QW'(1);
                        end
                    end
                end
            end
            assign rword   = ram[ra];
            assign m_tdata = rword[rs * RDW +: RDW];
        end
    endgenerate

    // ---- read side ----
    assign m_tvalid = full[rd_bank];
    assign rd_rep   = pass;
    assign rd_fire  = m_tvalid && m_tready;
    assign rd_done  = rd_fire && rd_last;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            wr_bank  <= '0;
            rd_bank  <= '0;
            rd_idx   <= '0;
            pass     <= '0;
            rd_last  <= (RD_WORDS == 1) && (REPEAT == 1);
            full     <= '0;
            reserved <= '0;
        end else begin
            if (wr_en && wr_last) begin
                full[wr_bank] <= 1'b1;
                wr_bank <= (wr_bank == BW'(BANKS - 1)) ? '0 : wr_bank + BW'(1);
            end
            if (rd_fire) begin
                if (rd_idx == RIW'(RD_WORDS - 1)) begin
                    rd_idx <= '0;
                    if (pass == PW'(REPEAT - 1)) begin
                        pass <= '0;
                        full[rd_bank] <= 1'b0;
                        rd_bank <= (rd_bank == BW'(BANKS - 1)) ? '0 : rd_bank + BW'(1);
                    end else begin
                        pass <= pass + PW'(1);
                    end
                end else begin
                    rd_idx <= rd_idx + RIW'(1);
                end
                // rd_last of the word after this one
                rd_last <= (RD_WORDS == 1 || rd_idx == RIW'(RD_WORDS - 2))
                           && (REPEAT == 1 || (rd_idx == RIW'(RD_WORDS - 1) ? pass == PW'(REPEAT - 2)
                                                                            : pass == PW'(REPEAT - 1)));
            end
            reserved <= reserved + CW'(rsv) - CW'(rd_done);
        end
    end

    assign can_rsv = (reserved != CW'(BANKS));
endmodule

`default_nettype wire
