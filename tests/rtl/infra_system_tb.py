"""A loop-back system for the control-path test: snn_axilite_ctrl + snn_axis_in + a toy core + snn_axis_out,
wired the way the generated RTL top wires them, and a C++ testbench that plays the PYNQ driver (AXI-Lite
reads and writes) and the AXI DMA (host streams with random gaps and a random ready) at the same time.

The toy core adds pairs of input words; a sample is 4 input words and 2 output words, so the input and
output runs have different lengths (4 * num_samples and 2 * num_samples words), as in a real model.
"""

from __future__ import annotations

SYSTEM_SV = r"""
`default_nettype none
module infra_system (
    input  logic        ap_clk,
    input  logic        ap_rst_n,
    input  logic [4:0]  s_axi_control_AWADDR,
    input  logic        s_axi_control_AWVALID,
    output logic        s_axi_control_AWREADY,
    input  logic [31:0] s_axi_control_WDATA,
    input  logic [3:0]  s_axi_control_WSTRB,
    input  logic        s_axi_control_WVALID,
    output logic        s_axi_control_WREADY,
    output logic [1:0]  s_axi_control_BRESP,
    output logic        s_axi_control_BVALID,
    input  logic        s_axi_control_BREADY,
    input  logic [4:0]  s_axi_control_ARADDR,
    input  logic        s_axi_control_ARVALID,
    output logic        s_axi_control_ARREADY,
    output logic [31:0] s_axi_control_RDATA,
    output logic [1:0]  s_axi_control_RRESP,
    output logic        s_axi_control_RVALID,
    input  logic        s_axi_control_RREADY,
    output logic        irq,
    input  logic [31:0] in_TDATA,
    input  logic        in_TVALID,
    output logic        in_TREADY,
    input  logic        in_TLAST,
    output logic [31:0] out_TDATA,
    output logic        out_TVALID,
    input  logic        out_TREADY,
    output logic        out_TLAST,
    output logic [3:0]  out_TKEEP
);
    logic run_start, run_done, in_busy, in_done, out_busy;
    logic [31:0] num_samples;
    logic [31:0] a_data, c_data, f_data;
    logic a_valid, a_ready, c_valid, c_ready, f_valid, f_ready;

    snn_axilite_ctrl u_ctrl (.*, .interrupt(irq));
    snn_axis_in #(.WORDS_PER_SAMPLE(4)) u_in (.clk(ap_clk), .rst_n(ap_rst_n), .start(run_start),
        .num_samples(num_samples),
        .busy(in_busy), .done(in_done), .s_axis_tdata(in_TDATA), .s_axis_tvalid(in_TVALID),
        .s_axis_tready(in_TREADY), .s_axis_tlast(in_TLAST), .m_tdata(a_data), .m_tvalid(a_valid),
        .m_tready(a_ready));
    snn_fifo #(.WIDTH(32), .DEPTH(5)) u_fifo (.clk(ap_clk), .rst_n(ap_rst_n), .s_tdata(a_data),
        .s_tvalid(a_valid), .s_tready(a_ready), .m_tdata(f_data), .m_tvalid(f_valid), .m_tready(f_ready));

    // toy core: c = first + second of each pair of words
    logic half;
    logic [31:0] first;
    assign f_ready = !c_valid || c_ready;
    always_ff @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            half <= 1'b0;
            c_valid <= 1'b0;
        end else begin
            if (c_valid && c_ready) c_valid <= 1'b0;
            if (f_valid && f_ready) begin
                half <= !half;
                if (!half) first <= f_data;
                else begin
                    c_data <= first + f_data;
                    c_valid <= 1'b1;
                end
            end
        end
    end

    snn_axis_out #(.WORDS_PER_SAMPLE(2)) u_out (.clk(ap_clk), .rst_n(ap_rst_n), .start(run_start),
        .num_samples(num_samples),
        .busy(out_busy), .done(run_done), .s_tdata(c_data), .s_tvalid(c_valid), .s_tready(c_ready),
        .m_axis_tdata(out_TDATA), .m_axis_tvalid(out_TVALID), .m_axis_tready(out_TREADY),
        .m_axis_tlast(out_TLAST), .m_axis_tkeep(out_TKEEP));
    // busy flags are visible to the testbench through the hierarchy only
    logic unused_ok;
    assign unused_ok = in_busy ^ in_done ^ out_busy;
endmodule
`default_nettype wire
"""

SYSTEM_TB = r"""
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "verilated.h"
#include "Vinfra_system.h"

static uint64_t rng_state;
static bool coin(unsigned percent) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (rng_state % 100) < percent;
}
static Vinfra_system* dut;
static long cyc = 0;
static std::vector<uint32_t> host_in;  // every word the DMA offers, all runs back to back
static size_t hin = 0;                 // words the IP consumed
static bool in_valid = false, out_held = false;
static uint32_t out_held_data = 0;
static unsigned pv = 100, pr = 100;
static bool quiet = false;             // reads of the set-up and auto-restart checks are not printed

static void fail(const char* what) { std::printf("FAIL %s at cycle %ld\n", what, cyc); std::exit(1); }

// one clock cycle; the DMA streams run in every cycle, whatever the AXI-Lite master is doing
static void tick() {
    if (!in_valid) in_valid = hin < host_in.size() && coin(pv);
    dut->in_TVALID = in_valid;
    dut->in_TDATA = hin < host_in.size() ? host_in[hin] : 0;
    dut->in_TLAST = 0;
    const bool rdy = coin(pr);
    dut->out_TREADY = rdy;
    dut->eval();
    if (out_held && (!dut->out_TVALID || dut->out_TDATA != out_held_data)) fail("out TVALID/TDATA dropped");
    if (dut->out_TVALID && dut->out_TKEEP != 0xF) fail("TKEEP not all ones");
    if (dut->out_TVALID && rdy) std::printf("O %u %d %ld\n", dut->out_TDATA, int(dut->out_TLAST), cyc);
    if (in_valid && dut->in_TREADY) { hin++; in_valid = false; }
    out_held = dut->out_TVALID && !rdy; out_held_data = dut->out_TDATA;
    dut->ap_clk = 1; dut->eval(); dut->ap_clk = 0; dut->eval();
    cyc++;
}

static void axi_write(uint32_t addr, uint32_t data, uint32_t strb = 0xF) {
    dut->s_axi_control_AWADDR = addr; dut->s_axi_control_AWVALID = 1;
    dut->s_axi_control_WDATA = data; dut->s_axi_control_WSTRB = strb; dut->s_axi_control_WVALID = 1;
    dut->s_axi_control_BREADY = 1;
    bool aw = false, w = false;
    for (int guard = 0; guard < 100; guard++) {
        dut->eval();
        const bool aw_hs = !aw && dut->s_axi_control_AWREADY, w_hs = !w && dut->s_axi_control_WREADY;
        const bool b_hs = aw && w && dut->s_axi_control_BVALID;
        if (b_hs && dut->s_axi_control_BRESP != 0) fail("BRESP not OKAY");
        tick();
        if (aw_hs) { aw = true; dut->s_axi_control_AWVALID = 0; }
        if (w_hs) { w = true; dut->s_axi_control_WVALID = 0; }
        if (b_hs) { dut->s_axi_control_BREADY = 0; return; }
    }
    fail("AXI-Lite write did not complete");
}

static uint32_t axi_read(uint32_t addr) {
    dut->s_axi_control_ARADDR = addr; dut->s_axi_control_ARVALID = 1; dut->s_axi_control_RREADY = 0;
    for (int guard = 0; guard < 100; guard++) {
        dut->eval();
        const bool ar_hs = dut->s_axi_control_ARVALID && dut->s_axi_control_ARREADY;
        tick();
        if (ar_hs) { dut->s_axi_control_ARVALID = 0; break; }
    }
    dut->s_axi_control_RREADY = 1;
    for (int guard = 0; guard < 100; guard++) {
        dut->eval();
        if (dut->s_axi_control_RVALID) {
            const uint32_t v = dut->s_axi_control_RDATA;
            if (dut->s_axi_control_RRESP != 0) fail("RRESP not OKAY");
            tick();
            dut->s_axi_control_RREADY = 0;
            if (!quiet) std::printf("R %x %x %ld\n", addr, v, cyc);
            return v;
        }
        tick();
    }
    fail("AXI-Lite read did not complete");
    return 0;
}

// args: seed valid% ready% then num_samples per run (0 allowed), and "A" last for the auto-restart check
// (one sample per run, ap_start once); stdin: the host words, all runs
int main(int argc, char** argv) {
    rng_state = std::strtoull(argv[1], nullptr, 10) * 2654435761ull + 1;
    pv = std::atoi(argv[2]); pr = std::atoi(argv[3]);
    unsigned w;
    while (std::scanf("%x", &w) == 1) host_in.push_back(w);
    Verilated::randReset(2);
    VerilatedContext ctx;
    dut = new Vinfra_system(&ctx);
    dut->ap_rst_n = 0;
    for (int i = 0; i < 4; i++) tick();
    dut->ap_rst_n = 1;
    quiet = true;  // byte-lane strobes: only the written bytes of num_samples change
    axi_write(0x10, 0xAABBCCDDu);
    axi_write(0x10, 0x11223344u, 0x5);
    if (axi_read(0x10) != 0xAA22CC44u) fail("WSTRB byte lanes of num_samples");
    quiet = false;
    axi_write(0x08, 1);  // IER: ap_done
    axi_write(0x04, 1);  // GIE
    const bool auto_mode = std::string(argv[argc - 1]) == "A";
    if (auto_mode) argc--;
    for (int r = 4; r < argc; r++) {
        const uint32_t n = std::strtoul(argv[r], nullptr, 10);
        // the driver: wait for ap_idle, write num_samples, ap_start, poll ap_done
        while (!(axi_read(0x00) & 4)) {}
        axi_write(0x10, n);
        axi_read(0x10);
        axi_write(0x00, 1);
        std::printf("S %ld\n", cyc);
        uint32_t ctrl;
        long polls = 0;
        while (!((ctrl = axi_read(0x00)) & 2)) if (++polls > 100000) fail("no ap_done");
        std::printf("IRQ %d\n", int(dut->irq));
        axi_read(0x00);        // ap_done is clear on read
        axi_read(0x0C);        // ISR
        axi_write(0x0C, 1);    // toggle ISR bit 0 back to 0
        std::printf("IRQ %d\n", int(dut->irq));
        std::printf("CONSUMED %zu\n", hin);
    }
    if (auto_mode) {
        // ap_start with auto_restart: one run finishes, the next starts by itself and waits for words
        quiet = true;
        axi_write(0x10, 1);
        axi_write(0x00, 0x81);
        long polls = 0;
        while (!(axi_read(0x00) & 2)) if (++polls > 100000) fail("no ap_done with auto_restart");
        for (int i = 0; i < 200; i++) tick();
        std::printf("AUTO %x\n", axi_read(0x00));
        quiet = false;
    }
    for (int i = 0; i < 50; i++) tick();  // nothing more may be consumed or produced
    std::printf("END %zu\n", hin);
    dut->final();
    delete dut;
    return 0;
}
"""
