// snn_axilite_ctrl: the AXI4-Lite control slave of the RTL top, with the register map, the port names
// and the ap_ctrl_hs behaviour that Vitis HLS generates for the HLS top
// (`#pragma HLS INTERFACE s_axilite port=num_samples bundle=control` + `port=return`), so the board
// driver (board/snn2fpga_board/devices.py: poll ap_idle, write num_samples at 0x10, write ap_start=1 at
// 0x00) and a PYNQ register_map work unchanged on an RTL bitstream.
//
// Register map (byte offsets; 32-bit registers; the two low address bits are ignored):
//   0x00 ap_ctrl  bit0 ap_start (R/W; writing 1 starts a run; reads 1 until the run is accepted)
//                 bit1 ap_done  (R, clear on read: set when a run finished)
//                 bit2 ap_idle  (R: no run in progress and none requested)
//                 bit3 ap_ready (R, clear on read: set when a run was accepted; as Vitis HLS 2022.1+)
//                 bit7 auto_restart (R/W: start the next run as soon as one finishes)
//                 bit9 interrupt (R: the `interrupt` output; as Vitis HLS 2022.1+)
//   0x04 GIE      bit0 global interrupt enable (R/W)
//   0x08 IER      bit0 ap_done interrupt enable, bit1 ap_ready interrupt enable (R/W)
//   0x0C ISR      bit0 ap_done, bit1 ap_ready interrupt status (R; set by the event when enabled in IER;
//                 toggle on write: writing 1 flips the bit, so the driver clears a set bit by writing 1)
//   0x10 num_samples  (R/W, 32 bits, byte-lane write strobes honoured)
//   0x14 reserved (reads 0). Other addresses: writes ignored, reads 0. BRESP/RRESP are always OKAY.
//
// AXI4-Lite handshake (as the Vitis HLS control adapter): write address first, then data, then the
// response (AWREADY in the idle state, WREADY after the address, BVALID after the data); a read returns
// RDATA registered one cycle after the address handshake and holds it until RREADY. One outstanding
// transaction per channel.
//
// Core side (ap_ctrl_hs, with the start/done logic kept here so the top only wires the adapters):
//   run_start  one-cycle pulse when ap_start is set and no run is in progress: the top starts
//              snn_axis_in and snn_axis_out with it (both take num_samples and count the words).
//              ap_ready is this pulse. With auto_restart set, ap_start stays set and the next run starts
//              one cycle after the previous one's run_done.
//   run_done   one-cycle pulse from the top when the run finished (snn_axis_out's done, i.e. the host
//              accepted the TLAST word): this is ap_done.
//   num_samples  the register at 0x10 (stable during a run as long as the host does not write it then,
//              the same contract as the HLS IP).
//   interrupt  GIE && (ISR != 0), level, as the Vitis HLS IP's `interrupt` port.
//   ap_idle = no run in progress and ap_start not set (as an HLS core, whose ap_idle is low while
//   ap_start is high), so a host that polls ap_idle right after writing ap_start never sees a stale idle.
//
// Cycles: a write of ap_start=1 takes effect at the W handshake edge; run_start pulses in the next cycle.
`default_nettype none

module snn_axilite_ctrl #(
    parameter int ADDR_WIDTH = 5   // C_S_AXI_CONTROL_ADDR_WIDTH of the Vitis HLS IP for this map (5..32)
) (
    input  logic                  ap_clk,
    input  logic                  ap_rst_n,
    // byte addresses of word registers: bits [1:0] are ignored, as in the Vitis HLS adapter
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [ADDR_WIDTH-1:0] s_axi_control_AWADDR,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic                  s_axi_control_AWVALID,
    output logic                  s_axi_control_AWREADY,
    input  logic [31:0]           s_axi_control_WDATA,
    input  logic [3:0]            s_axi_control_WSTRB,
    input  logic                  s_axi_control_WVALID,
    output logic                  s_axi_control_WREADY,
    output logic [1:0]            s_axi_control_BRESP,
    output logic                  s_axi_control_BVALID,
    input  logic                  s_axi_control_BREADY,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [ADDR_WIDTH-1:0] s_axi_control_ARADDR,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic                  s_axi_control_ARVALID,
    output logic                  s_axi_control_ARREADY,
    output logic [31:0]           s_axi_control_RDATA,
    output logic [1:0]            s_axi_control_RRESP,
    output logic                  s_axi_control_RVALID,
    input  logic                  s_axi_control_RREADY,
    // `interrupt` is the Vitis HLS port name the block design connects; it is no C++ keyword problem here
    /* verilator lint_off SYMRSVDWORD */
    output logic                  interrupt,
    /* verilator lint_on SYMRSVDWORD */
    output logic                  run_start,
    input  logic                  run_done,
    output logic [31:0]           num_samples
);
    localparam logic [ADDR_WIDTH-1:0] A_CTRL = ADDR_WIDTH'(8'h00);
    localparam logic [ADDR_WIDTH-1:0] A_GIE  = ADDR_WIDTH'(8'h04);
    localparam logic [ADDR_WIDTH-1:0] A_IER  = ADDR_WIDTH'(8'h08);
    localparam logic [ADDR_WIDTH-1:0] A_ISR  = ADDR_WIDTH'(8'h0C);
    localparam logic [ADDR_WIDTH-1:0] A_NUM  = ADDR_WIDTH'(8'h10);

    // ---------------- write channel: IDLE -> DATA -> RESP ----------------
    localparam logic [1:0] W_IDLE = 2'd0, W_DATA = 2'd1, W_RESP = 2'd2;
    logic [1:0]            wstate;
    logic [ADDR_WIDTH-1:0] waddr;
    logic                  aw_hs, w_hs;
    logic [31:0]           wmask;

    assign s_axi_control_AWREADY = (wstate == W_IDLE);
    assign s_axi_control_WREADY  = (wstate == W_DATA);
    assign s_axi_control_BVALID  = (wstate == W_RESP);
    assign s_axi_control_BRESP   = 2'b00;
    assign aw_hs = s_axi_control_AWVALID && s_axi_control_AWREADY;
    assign w_hs  = s_axi_control_WVALID && s_axi_control_WREADY;
    assign wmask = {{8{s_axi_control_WSTRB[3]}}, {8{s_axi_control_WSTRB[2]}},
                    {8{s_axi_control_WSTRB[1]}}, {8{s_axi_control_WSTRB[0]}}};

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wstate <= W_IDLE;
        end else begin
            case (wstate)
                W_IDLE:  if (s_axi_control_AWVALID) wstate <= W_DATA;
                W_DATA:  if (s_axi_control_WVALID) wstate <= W_RESP;
                W_RESP:  if (s_axi_control_BREADY) wstate <= W_IDLE;
                default: wstate <= W_IDLE;
            endcase
        end
        if (aw_hs) waddr <= {s_axi_control_AWADDR[ADDR_WIDTH-1:2], 2'b00};
    end

    // ---------------- read channel: IDLE -> DATA ----------------
    logic                  rstate;   // 0: idle (ARREADY), 1: RDATA valid
    logic                  ar_hs;
    logic [ADDR_WIDTH-1:0] raddr;
    logic [31:0]           rdata;

    assign s_axi_control_ARREADY = !rstate;
    assign s_axi_control_RVALID  = rstate;
    assign s_axi_control_RRESP   = 2'b00;
    assign s_axi_control_RDATA   = rdata;
    assign ar_hs = s_axi_control_ARVALID && s_axi_control_ARREADY;
    assign raddr = {s_axi_control_ARADDR[ADDR_WIDTH-1:2], 2'b00};

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) rstate <= 1'b0;
        else if (ar_hs) rstate <= 1'b1;
        else if (s_axi_control_RREADY) rstate <= 1'b0;
    end

    // ---------------- registers ----------------
    logic       ap_start_r, ap_done_r, ap_ready_r, auto_restart, gie, running;
    logic [1:0] ier, isr;
    logic       ap_idle;
    logic       ctrl_read;

    assign ctrl_read = ar_hs && (raddr == A_CTRL);
    assign ap_idle   = !running && !ap_start_r;
    assign run_start = ap_start_r && !running;
    assign interrupt = gie && (isr != 2'b00);

    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            ap_start_r   <= 1'b0;
            ap_done_r    <= 1'b0;
            ap_ready_r   <= 1'b0;
            auto_restart <= 1'b0;
            gie          <= 1'b0;
            ier          <= 2'b00;
            isr          <= 2'b00;
            running      <= 1'b0;
            num_samples  <= '0;
        end else begin
            // a run is in progress from its run_start pulse to its run_done pulse
            if (run_start) running <= 1'b1;
            else if (run_done) running <= 1'b0;

            if (w_hs && waddr == A_CTRL && s_axi_control_WSTRB[0] && s_axi_control_WDATA[0])
                ap_start_r <= 1'b1;
            else if (run_start)
                ap_start_r <= auto_restart;   // ap_ready clears ap_start unless auto_restart is set

            if (run_done) ap_done_r <= 1'b1;
            else if (ctrl_read) ap_done_r <= 1'b0;
            if (run_start) ap_ready_r <= 1'b1;
            else if (ctrl_read) ap_ready_r <= 1'b0;

            if (w_hs && waddr == A_CTRL && s_axi_control_WSTRB[0]) auto_restart <= s_axi_control_WDATA[7];
            if (w_hs && waddr == A_GIE && s_axi_control_WSTRB[0]) gie <= s_axi_control_WDATA[0];
            if (w_hs && waddr == A_IER && s_axi_control_WSTRB[0]) ier <= s_axi_control_WDATA[1:0];

            if (ier[0] && run_done) isr[0] <= 1'b1;
            else if (w_hs && waddr == A_ISR && s_axi_control_WSTRB[0]) isr[0] <= isr[0] ^ s_axi_control_WDATA[0];
            if (ier[1] && run_start) isr[1] <= 1'b1;
            else if (w_hs && waddr == A_ISR && s_axi_control_WSTRB[0]) isr[1] <= isr[1] ^ s_axi_control_WDATA[1];

            if (w_hs && waddr == A_NUM) num_samples <= (s_axi_control_WDATA & wmask) | (num_samples & ~wmask);
        end
    end

    logic [31:0] rmux;   // the register at raddr, sampled into rdata at the AR handshake

    always_comb begin
        rmux = 32'd0;
        case (raddr)
            A_CTRL: begin
                rmux[0] = ap_start_r;
                rmux[1] = ap_done_r;
                rmux[2] = ap_idle;
                rmux[3] = ap_ready_r;
                rmux[7] = auto_restart;
                rmux[9] = interrupt;
            end
            A_GIE: rmux[0] = gie;
            A_IER: rmux[1:0] = ier;
            A_ISR: rmux[1:0] = isr;
            A_NUM: rmux = num_samples;
            default: rmux = 32'd0;
        endcase
    end

    always_ff @(posedge ap_clk) begin
        if (ar_hs) rdata <= rmux;
    end
endmodule

`default_nettype wire
