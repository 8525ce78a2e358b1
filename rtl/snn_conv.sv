// snn_conv: spiking convolution over binary spike maps with fused LIF/IF (NEURON = 0) or DCLL
// (NEURON = 1) neurons; the RTL of conv_neuron (hls/snn_conv.h), bit-exact with conv_currents +
// run_neurons / run_dcll of snn2fpga/semantics (currents flattened to [T, B, COUT*HO*WO], theta per
// output channel). One sample = T timesteps; the module free-runs sample after sample and resets the
// neuron state at each sample start (timestep 0 reads zeros instead of the state memory).
//
// Streams (NHWC, as hls/snn_conv.h): input per timestep H*W*CIN/SIMD words of SIMD channel bits,
// pixels in raster order, bit l of word f of a pixel = channel f*SIMD + l; output per timestep
// HO*WO*COUT/OUT_SIMD words of OUT_SIMD bits in the same layout, HO = (H + 2*PAD - K)/STRIDE + 1,
// WO = (W + 2*PAD - K)/STRIDE + 1.
//
// Parameters (int): H, W (input map, >= 1); CIN, COUT (channels); K (square kernel, H + 2*PAD >= K,
// W + 2*PAD >= K); STRIDE (>= 1); PAD (zero padding, >= 0); SIMD (input channels per word and per cycle,
// divides CIN); PE (output channels per cycle, divides COUT); OUT_SIMD (channels per output word,
// divides COUT); T (timesteps per sample, >= 1); WEIGHT_BITS (2..16); STATE_BITS (2..32);
// NEURON (0 LIF/IF, 1 DCLL); LIF: LEAK (0 none, 1 shift, 2 mult), LEAK_SHIFT, BETA_Q, BETA_FRAC_BITS,
// RESET (0 subtract, 1 zero) as rtl/snn_lif_neuron.sv; DCLL: KQ, KP, KR, RHO, FRAC_BITS as
// rtl/snn_dcll_neuron.sv. WEIGHTS_FILE, THRESHOLDS_FILE: $readmemh files (required).
//
// ROMs (one word per line, hex, written by snn2fpga/codegen/rtl_rom.py conv_weight_rom / threshold_rom):
//   weights:    NF*SF words of PE*SIMD*WEIGHT_BITS bits, NF = COUT/PE, SF = K*K*CIN/SIMD; word
//               nf*SF + sf, bits (p*SIMD + l)*WEIGHT_BITS +: WEIGHT_BITS hold (two's complement)
//               Wm[nf*PE + p][sf*SIMD + l] of the matrix Wm[COUT][K*K*CIN], Wm[co][(ky*K + kx)*CIN + ci]
//               = W[co][ci][ky][kx] (the HLS weights array of SpikingConv_hls.stage_code).
//   thresholds: NF words of PE*STATE_BITS bits; word nf, bits p*STATE_BITS +: STATE_BITS = theta[nf*PE+p].
//
// Structure (one timestep): a reader fills the input frame buffer (H*W*CIN/SIMD words, BRAM-style
// memory); then a 3-stage pipeline issues one (output pixel, neuron fold nf, synapse fold sf) per cycle
// in that nesting order (PIX*NF*SF cycles): S0 computes the tap (ky, kx, channel group) of sf and reads
// the frame word (zero outside the map: padding) and the weight word; S1 adds the weights of the set
// spike bits for PE neurons (adders only) and, at sf = SF-1, reads the neurons' state and thresholds;
// S2 updates the PE neurons, writes their state and their spikes into the output spike frame (NF banks
// of HO*WO x PE bits, rtl/snn_spike_frame.sv), which then streams the spike map out through a 3-word
// snn_fifo (reads are issued against a credit count, so the output never stalls the pipeline). The reader refills the
// frame buffer as soon as the last fold has read it, while the writer is still emitting; the next
// timestep's folds start when the frame is full and the writer has read the whole spike frame.
//
// Cycle behaviour (never stalled: s_tvalid and m_tready always high), with IN = H*W*CIN/SIMD,
// N = HO*WO*(COUT/PE)*(K*K*CIN/SIMD), M = HO*WO*COUT/OUT_SIMD:
//   folds of timestep 0 start IN cycles after the first input handshake c0 of the sample (cycle c0+IN);
//   folds of the next timestep start N + max(IN, M + 2) cycles after those of the previous one;
//   the output words of a timestep are handshaken in cycles s+N+4 .. s+N+M+3 (s: its first fold cycle),
//   so the first output handshake of a sample comes IN + N + 4 cycles after its first input handshake;
//   so per sample, first input handshake to last output handshake, both inclusive:
//     LATENCY = IN + (T-1)*(N + max(IN, M+2)) + N + M + 4 cycles,
//   and samples overlap (the next sample's first frame is read while the last timestep is written):
//   the interval between samples is T*(N + max(IN, M+2)) cycles.
// On-chip memory: frame H*W*CIN bits, state HO*WO*COUT*(STATE_BITS | 3*STATE_BITS+1) bits, spike
// frame HO*WO*COUT bits, weight ROM COUT*K*K*CIN*WEIGHT_BITS bits, thresholds COUT*STATE_BITS bits.
`default_nettype none

module snn_conv #(
    parameter int H = 4,
    parameter int W = 4,
    parameter int CIN = 1,
    parameter int COUT = 1,
    parameter int K = 3,
    parameter int STRIDE = 1,
    parameter int PAD = 1,
    parameter int SIMD = 1,
    parameter int PE = 1,
    parameter int OUT_SIMD = 1,
    parameter int T = 1,
    parameter int WEIGHT_BITS = 4,
    parameter int STATE_BITS = 16,
    parameter int NEURON = 0,
    parameter int LEAK = 0,
    parameter int LEAK_SHIFT = 1,
    parameter int BETA_Q = 0,
    parameter int BETA_FRAC_BITS = 1,
    parameter int RESET = 0,
    parameter int KQ = 1,
    parameter int KP = 1,
    parameter int KR = 1,
    parameter int RHO = 0,
    parameter int FRAC_BITS = 0,
    parameter string WEIGHTS_FILE = "",
    parameter string THRESHOLDS_FILE = ""
) (
    input  logic                clk,
    input  logic                rst_n,
    input  logic [SIMD-1:0]     s_tdata,
    input  logic                s_tvalid,
    output logic                s_tready,
    output logic [OUT_SIMD-1:0] m_tdata,
    output logic                m_tvalid,
    input  logic                m_tready
);
    localparam int HO = (H + 2 * PAD - K) / STRIDE + 1;
    localparam int WO = (W + 2 * PAD - K) / STRIDE + 1;
    localparam int PIX = HO * WO;
    localparam int CF = CIN / SIMD;
    localparam int SF = K * K * CF;
    localparam int NF = COUT / PE;
    localparam int IN_WORDS = H * W * CF;
    localparam int SYN = K * K * CIN;
    localparam int SYN_BITS = (SYN > 1) ? $clog2(SYN) : 0;
    localparam int ACC_BITS = ((STATE_BITS > WEIGHT_BITS + SYN_BITS) ? STATE_BITS : WEIGHT_BITS + SYN_BITS) + 2;
    localparam int SBN = (NEURON == 1) ? 3 * STATE_BITS + 1 : STATE_BITS;  // state bits per neuron
    localparam int WWORD = PE * SIMD * WEIGHT_BITS;

    // widths of counters / addresses (at least 1 bit)
    localparam int FAW = (IN_WORDS > 1) ? $clog2(IN_WORDS) : 1;
    localparam int WAW = (NF * SF > 1) ? $clog2(NF * SF) : 1;
    localparam int SAW = (PIX * NF > 1) ? $clog2(PIX * NF) : 1;
    localparam int PAW = (PIX > 1) ? $clog2(PIX) : 1;
    localparam int NFW = (NF > 1) ? $clog2(NF) : 1;
    localparam int SFW = (SF > 1) ? $clog2(SF) : 1;
    localparam int CFW = (CF > 1) ? $clog2(CF) : 1;
    localparam int KW = (K > 1) ? $clog2(K) : 1;
    localparam int TW = (T > 1) ? $clog2(T) : 1;
    localparam int HOW = (HO > 1) ? $clog2(HO) : 1;
    localparam int WOW = (WO > 1) ? $clog2(WO) : 1;
    // signed input coordinates: -PAD .. max(H, W) - 1 + PAD
    localparam int CW = $clog2(((H > W) ? H : W) + 2 * PAD + K + STRIDE + 1) + 1;
    localparam int FW = ((FAW > CW) ? FAW : CW) + 2;

    // ---------------- ROMs and memories ----------------
    logic [WWORD-1:0]           wrom [NF*SF];
    logic [PE*STATE_BITS-1:0]   trom [NF];
    logic [SIMD-1:0]            frame [IN_WORDS];
    logic [PE*SBN-1:0]          state_mem [PIX*NF];

    initial begin
        $readmemh(WEIGHTS_FILE, wrom);
        $readmemh(THRESHOLDS_FILE, trom);
    end

    // ---------------- reader: input stream -> frame buffer ----------------
    logic           frame_full;   // the frame buffer holds a whole timestep not yet folded
    logic [FAW-1:0] rd_addr;
    logic           in_hs;
    logic           fold_end;     // S0 issues the last fold of a timestep this cycle

    assign s_tready = !frame_full;
    assign in_hs = s_tvalid && s_tready;

    always_ff @(posedge clk) begin
        if (in_hs) frame[rd_addr] <= s_tdata;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            rd_addr    <= '0;
            frame_full <= 1'b0;
        end else begin
            if (in_hs) begin
                if (rd_addr == FAW'(IN_WORDS - 1)) begin
                    rd_addr    <= '0;
                    frame_full <= 1'b1;
                end else begin
                    rd_addr <= rd_addr + FAW'(1);
                end
            end
            if (fold_end) frame_full <= 1'b0;
        end
    end

    // ---------------- S0: fold issue ----------------
    logic                  busy;      // folds of a timestep are being issued
    logic                  frame_free;  // the spike frame may be refilled (the last one was read out)
    logic                  start, issue;
    logic [HOW-1:0]        oy;
    logic [WOW-1:0]        ox;
    logic signed [CW-1:0]  by, bx;    // oy*STRIDE - PAD, ox*STRIDE - PAD
    logic [NFW-1:0]        nf;
    logic [SFW-1:0]        sf;
    logic [KW-1:0]         ky, kx;
    logic [CFW-1:0]        cg;
    logic [WAW-1:0]        waddr;     // nf*SF + sf
    logic [SAW-1:0]        saddr;     // pix*NF + nf
    logic [PAW-1:0]        pix;
    logic [TW-1:0]         tstep;
    logic signed [CW-1:0]  iy, ix;
    logic                  in_map, last_sf, last_nf, last_pix;
    logic [FAW-1:0]        faddr;

    assign start    = !busy && frame_full && frame_free;
    assign issue    = busy || start;
    assign last_sf  = (sf == SFW'(SF - 1));
    assign last_nf  = (nf == NFW'(NF - 1));
    assign last_pix = (pix == PAW'(PIX - 1));
    assign fold_end = issue && last_sf && last_nf && last_pix;
    assign iy       = by + CW'(ky);
    assign ix       = bx + CW'(kx);
    assign in_map   = (iy >= 0) && (iy < CW'(H)) && (ix >= 0) && (ix < CW'(W));
    // frame word (iy*W + ix)*CF + cg, computed FW bits wide (no overflow); only used when in_map
    // (then iy, ix >= 0), so its value outside the map does not matter
    assign faddr    = FAW'(FW'(iy) * FW'(W * CF) + FW'(ix) * FW'(CF) + FW'(cg));

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy  <= 1'b0;
            oy    <= '0;
            ox    <= '0;
            by    <= -CW'(PAD);
            bx    <= -CW'(PAD);
            nf    <= '0;
            sf    <= '0;
            ky    <= '0;
            kx    <= '0;
            cg    <= '0;
            waddr <= '0;
            saddr <= '0;
            pix   <= '0;
            tstep <= '0;
        end else if (issue) begin
            busy <= !fold_end;
            if (last_sf) begin
                sf <= '0;
                ky <= '0;
                kx <= '0;
                cg <= '0;
                saddr <= (saddr == SAW'(PIX * NF - 1)) ? '0 : saddr + SAW'(1);
                if (last_nf) begin
                    nf    <= '0;
                    waddr <= '0;
                    if (last_pix) begin
                        pix   <= '0;
                        oy    <= '0;
                        ox    <= '0;
                        by    <= -CW'(PAD);
                        bx    <= -CW'(PAD);
                        tstep <= (tstep == TW'(T - 1)) ? '0 : tstep + TW'(1);
                    end else begin
                        pix <= pix + PAW'(1);
                        if (ox == WOW'(WO - 1)) begin
                            ox <= '0;
                            bx <= -CW'(PAD);
                            oy <= oy + HOW'(1);
                            by <= by + CW'(STRIDE);
                        end else begin
                            ox <= ox + WOW'(1);
                            bx <= bx + CW'(STRIDE);
                        end
                    end
                end else begin
                    nf    <= nf + NFW'(1);
                    waddr <= waddr + WAW'(1);
                end
            end else begin
                sf    <= sf + SFW'(1);
                waddr <= waddr + WAW'(1);
                if (cg == CFW'(CF - 1)) begin
                    cg <= '0;
                    if (kx == KW'(K - 1)) begin
                        kx <= '0;
                        ky <= ky + KW'(1);
                    end else begin
                        kx <= kx + KW'(1);
                    end
                end else begin
                    cg <= cg + CFW'(1);
                end
            end
        end
    end

    // ---------------- S1: synapses ----------------
    logic                  v1, first1, last1, in_map1, t01, end1;
    logic [SAW-1:0]        saddr1;
    logic [NFW-1:0]        nf1;
    logic [PAW-1:0]        pix1;
    logic [SIMD-1:0]       fword;
    logic [WWORD-1:0]      wword;

    always_ff @(posedge clk) begin
        fword <= frame[faddr];
        wword <= wrom[waddr];
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            v1 <= 1'b0;
        end else begin
            v1 <= issue;
        end
        first1  <= (sf == '0);
        last1   <= last_sf;
        in_map1 <= in_map;
        t01     <= (tstep == '0);
        end1    <= fold_end;
        saddr1  <= saddr;
        nf1     <= nf;
        pix1    <= pix;
    end

    logic signed [ACC_BITS-1:0] acc [PE];
    logic signed [ACC_BITS-1:0] partial [PE];
    logic [SIMD-1:0]            spikes1;

    assign spikes1 = in_map1 ? fword : '0;  // zero padding: a tap outside the map has no spike

    always_comb begin
        for (int p = 0; p < PE; p++) begin
            partial[p] = '0;
            for (int l = 0; l < SIMD; l++) begin
                if (spikes1[l]) begin
                    partial[p] = partial[p]
                        + ACC_BITS'($signed(wword[(p * SIMD + l) * WEIGHT_BITS +: WEIGHT_BITS]));
                end
            end
        end
    end

    always_ff @(posedge clk) begin
        if (v1) begin
            for (int p = 0; p < PE; p++) begin
                acc[p] <= first1 ? partial[p] : acc[p] + partial[p];
            end
        end
    end

    // ---------------- S2: neurons ----------------
    logic                     v2, t02, end2;
    logic [SAW-1:0]           saddr2;
    logic [NFW-1:0]           nf2;
    logic [PAW-1:0]           pix2;
    logic [PE*SBN-1:0]        st_old, st_new;
    logic [PE*STATE_BITS-1:0] theta2;
    logic [PE-1:0]            fire;

    always_ff @(posedge clk) begin
        st_old <= state_mem[saddr1];
        theta2 <= trom[nf1];
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            v2 <= 1'b0;
        end else begin
            v2 <= v1 && last1;
        end
        t02    <= t01;
        end2   <= end1;
        saddr2 <= saddr1;
        nf2    <= nf1;
        pix2   <= pix1;
    end

    generate
        for (genvar p = 0; p < PE; p++) begin : g_pe
            if (NEURON == 1) begin : g_dcll
                logic [3:0] sat_unused;
                logic signed [STATE_BITS-1:0] u_unused;
                snn_dcll_neuron #(
                    .STATE_BITS(STATE_BITS), .CUR_BITS(ACC_BITS), .KQ(KQ), .KP(KP), .KR(KR), .RHO(RHO),
                    .FRAC_BITS(FRAC_BITS)
                ) u_neuron (
                    .current(acc[p]),
                    .theta(theta2[p*STATE_BITS +: STATE_BITS]),
                    .first_step(t02),
                    .q_in(st_old[p*SBN +: STATE_BITS]),
                    .p_in(st_old[p*SBN + STATE_BITS +: STATE_BITS]),
                    .r_in(st_old[p*SBN + 2*STATE_BITS +: STATE_BITS]),
                    .s_in(st_old[p*SBN + 3*STATE_BITS]),
                    .q_out(st_new[p*SBN +: STATE_BITS]),
                    .p_out(st_new[p*SBN + STATE_BITS +: STATE_BITS]),
                    .r_out(st_new[p*SBN + 2*STATE_BITS +: STATE_BITS]),
                    .s_out(fire[p]),
                    .u(u_unused),
                    .sat(sat_unused)
                );
                assign st_new[p*SBN + 3*STATE_BITS] = fire[p];
            end else begin : g_lif
                snn_lif_neuron #(
                    .STATE_BITS(STATE_BITS), .ACC_BITS(ACC_BITS), .LEAK(LEAK), .LEAK_SHIFT(LEAK_SHIFT),
                    .BETA_Q(BETA_Q), .BETA_FRAC_BITS(BETA_FRAC_BITS), .RESET(RESET), .SPIKING(1)
                ) u_neuron (
                    .clear(t02),
                    .v_old(st_old[p*SBN +: SBN]),
                    .current(acc[p]),
                    .theta(theta2[p*STATE_BITS +: STATE_BITS]),
                    .v_new(st_new[p*SBN +: SBN]),
                    .spike(fire[p])
                );
            end
        end
    endgenerate

    always_ff @(posedge clk) begin
        if (v2) state_mem[saddr2] <= st_new;
    end

    snn_spike_frame #(.PIX(PIX), .COUT(COUT), .PE(PE), .OUT_SIMD(OUT_SIMD)) u_frame (
        .clk(clk), .rst_n(rst_n), .claim(start), .free(frame_free),
        .wr_en(v2), .wr_pix(pix2), .wr_nf(nf2), .wr_bits(fire), .wr_done(v2 && end2),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
