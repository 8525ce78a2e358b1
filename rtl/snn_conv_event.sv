// snn_conv_event: the event-driven first conv layer (CIN = 1, one input spike per timestep, fed by
// rtl/snn_iq_encoder.sv) with fused LIF/IF (NEURON = 0) or DCLL (NEURON = 1) neurons; the RTL of
// conv_event_neuron (hls/snn_conv.h), bit-exact with conv_currents of the one-hot frame + run_neurons /
// run_dcll (snn2fpga/semantics). Free-running over samples of T timesteps; neuron state reset at each
// sample start (timestep 0 reads zeros instead of the state memory).
//
// The current of neuron (co, y, x) is W[co][ky*K + kx] with ky = row - (y*STRIDE - PAD),
// kx = col - (x*STRIDE - PAD) when both lie in 0..K-1, else 0. Every neuron is updated every timestep
// (the leak applies to all), PE per cycle, in (output pixel, neuron fold) order.
//
// Streams: in (s_tdata, 16 bits): T event words per sample, row in bits 15:8, col in bits 7:0; row < H
// and col < W are required (as snn_iq_encoder with G == H == W guarantees): like the HLS kernel, an
// event outside the map is not checked and would act as a spike in the padding;
// out (m_tdata, OUT_SIMD bits): per timestep HO*WO*COUT/OUT_SIMD words, the NHWC spike map of
// rtl/snn_conv.sv, HO = (H + 2*PAD - K)/STRIDE + 1, WO likewise.
//
// Parameters (int): H, W (input map, 1..256); COUT; K; STRIDE; PAD; PE (divides COUT); OUT_SIMD (divides
// COUT); T; WEIGHT_BITS; STATE_BITS; NEURON and the neuron fields exactly as rtl/snn_conv.sv (CIN = 1 and
// SIMD = 1 are implied); WEIGHTS_FILE, THRESHOLDS_FILE.
//
// ROMs (written by snn2fpga/codegen/rtl_rom.py conv_weight_rom(w, PE, 1, WEIGHT_BITS) / threshold_rom):
//   weights: NF*K*K words of PE*WEIGHT_BITS bits; word nf*K*K + (ky*K + kx), bits p*WEIGHT_BITS +:
//            WEIGHT_BITS = W[nf*PE + p][0][ky][kx] (the layout of snn_conv with CIN = SIMD = 1).
//   thresholds: NF words of PE*STATE_BITS bits, as snn_conv.
//
// Structure: the event is held in a register; a 2-stage pipeline issues one (pixel, neuron fold) per
// cycle (PIX*NF cycles): S0 computes the tap and reads the weight word, the state and the thresholds;
// S1 updates the PE neurons and writes their state and spikes into snn_spike_frame, which streams the
// map out. The next event is accepted as soon as the last fold has been issued.
//
// Cycle behaviour (never stalled), N = HO*WO*(COUT/PE), M = HO*WO*COUT/OUT_SIMD, P = N + M + 1:
//   with the sample's first event handshaken in cycle c0, the folds of timestep k start in cycle
//   c0 + 1 + k*P, and its output words are handshaken in cycles s+N+3 .. s+N+M+2 (s: its first fold):
//   first input to first output handshake N + 4 cycles;
//   first input to last output handshake of a sample: T*P + 3 cycles (inclusive); samples overlap
//   (the next event is read while the spike map is written): the interval between samples is T*P.
`default_nettype none

module snn_conv_event #(
    parameter int H = 4,
    parameter int W = 4,
    parameter int COUT = 1,
    parameter int K = 3,
    parameter int STRIDE = 1,
    parameter int PAD = 1,
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
    input  logic [15:0]         s_tdata,
    input  logic                s_tvalid,
    output logic                s_tready,
    output logic [OUT_SIMD-1:0] m_tdata,
    output logic                m_tvalid,
    input  logic                m_tready
);
    localparam int HO = (H + 2 * PAD - K) / STRIDE + 1;
    localparam int WO = (W + 2 * PAD - K) / STRIDE + 1;
    localparam int PIX = HO * WO;
    localparam int SF = K * K;
    localparam int NF = COUT / PE;
    localparam int SYN_BITS = (SF > 1) ? $clog2(SF) : 0;
    localparam int ACC_BITS = ((STATE_BITS > WEIGHT_BITS + SYN_BITS) ? STATE_BITS : WEIGHT_BITS + SYN_BITS) + 2;
    localparam int SBN = (NEURON == 1) ? 3 * STATE_BITS + 1 : STATE_BITS;
    localparam int WAW = (NF * SF > 1) ? $clog2(NF * SF) : 1;
    localparam int SAW = (PIX * NF > 1) ? $clog2(PIX * NF) : 1;
    localparam int PAW = (PIX > 1) ? $clog2(PIX) : 1;
    localparam int NFW = (NF > 1) ? $clog2(NF) : 1;
    localparam int TW = (T > 1) ? $clog2(T) : 1;
    localparam int WOW = (WO > 1) ? $clog2(WO) : 1;
    // signed tap offsets: row/col (0..255) minus (-PAD .. max(H, W) + PAD)
    localparam int CW = $clog2(256 + ((H > W) ? H : W) + 2 * PAD + K + STRIDE) + 2;
    localparam int XW = ((WAW > CW) ? WAW : CW) + 2;  // weight address arithmetic, no overflow

    logic [PE*WEIGHT_BITS-1:0] wrom [NF*SF];
    logic [PE*STATE_BITS-1:0]  trom [NF];
    logic [PE*SBN-1:0]         state_mem [PIX*NF];

    initial begin
        $readmemh(WEIGHTS_FILE, wrom);
        $readmemh(THRESHOLDS_FILE, trom);
    end

    // ---------------- event register ----------------
    logic        ev_full, fold_end;
    logic [15:0] ev;

    assign s_tready = !ev_full;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            ev_full <= 1'b0;
        end else begin
            if (s_tvalid && s_tready) ev_full <= 1'b1;
            if (fold_end) ev_full <= 1'b0;
        end
        if (s_tvalid && s_tready) ev <= s_tdata;
    end

    // ---------------- S0: fold issue ----------------
    logic                 busy, start, issue, frame_free, last_nf, last_pix, hit;
    logic [WOW-1:0]       ox;
    logic signed [CW-1:0] by, bx, ky, kx;  // by, bx: oy*STRIDE - PAD, ox*STRIDE - PAD
    logic [NFW-1:0]       nf;
    logic [SAW-1:0]       saddr;          // pix*NF + nf
    logic [PAW-1:0]       pix;
    logic [TW-1:0]        tstep;
    logic [WAW-1:0]       waddr;

    assign start    = !busy && ev_full && frame_free;
    assign issue    = busy || start;
    assign last_nf  = (nf == NFW'(NF - 1));
    assign last_pix = (pix == PAW'(PIX - 1));
    assign fold_end = issue && last_nf && last_pix;
    assign ky       = CW'(ev[15:8]) - by;
    assign kx       = CW'(ev[7:0]) - bx;
    assign hit      = (ky >= 0) && (ky < CW'(K)) && (kx >= 0) && (kx < CW'(K));
    // weight word nf*K*K + ky*K + kx (only used on a hit)
    assign waddr    = WAW'(XW'(nf) * XW'(SF) + XW'(ky) * XW'(K) + XW'(kx));

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy  <= 1'b0;
            ox    <= '0;
            by    <= -CW'(PAD);
            bx    <= -CW'(PAD);
            nf    <= '0;
            saddr <= '0;
            pix   <= '0;
            tstep <= '0;
        end else if (issue) begin
            busy  <= !fold_end;
            saddr <= (saddr == SAW'(PIX * NF - 1)) ? '0 : saddr + SAW'(1);
            if (last_nf) begin
                nf <= '0;
                if (last_pix) begin
                    pix   <= '0;
                    ox    <= '0;
                    by    <= -CW'(PAD);
                    bx    <= -CW'(PAD);
                    tstep <= (tstep == TW'(T - 1)) ? '0 : tstep + TW'(1);
                end else begin
                    pix <= pix + PAW'(1);
                    if (ox == WOW'(WO - 1)) begin
                        ox <= '0;
                        bx <= -CW'(PAD);
                        by <= by + CW'(STRIDE);
                    end else begin
                        ox <= ox + WOW'(1);
                        bx <= bx + CW'(STRIDE);
                    end
                end
            end else begin
                nf <= nf + NFW'(1);
            end
        end
    end

    // ---------------- S1: neurons ----------------
    logic                      v1, hit1, t01, end1;
    logic [SAW-1:0]            saddr1;
    logic [NFW-1:0]            nf1;
    logic [PAW-1:0]            pix1;
    logic [PE*WEIGHT_BITS-1:0] wword;
    logic [PE*SBN-1:0]         st_old, st_new;
    logic [PE*STATE_BITS-1:0]  theta1;
    logic [PE-1:0]             fire;

    always_ff @(posedge clk) begin
        wword  <= wrom[waddr];
        st_old <= state_mem[saddr];
        theta1 <= trom[nf];
        if (!rst_n) v1 <= 1'b0;
        else v1 <= issue;
        hit1   <= hit;
        t01    <= (tstep == '0);
        end1   <= fold_end;
        saddr1 <= saddr;
        nf1    <= nf;
        pix1   <= pix;
    end

    generate
        for (genvar p = 0; p < PE; p++) begin : g_pe
            logic signed [ACC_BITS-1:0] current;
            // a spike outside this neuron's receptive field gives no current
            assign current = hit1 ? ACC_BITS'($signed(wword[p*WEIGHT_BITS +: WEIGHT_BITS])) : '0;
            if (NEURON == 1) begin : g_dcll
                logic [3:0] sat_unused;
                logic signed [STATE_BITS-1:0] u_unused;
                snn_dcll_neuron #(
                    .STATE_BITS(STATE_BITS), .CUR_BITS(ACC_BITS), .KQ(KQ), .KP(KP), .KR(KR), .RHO(RHO),
                    .FRAC_BITS(FRAC_BITS)
                ) u_neuron (
                    .current(current),
                    .theta(theta1[p*STATE_BITS +: STATE_BITS]),
                    .first_step(t01),
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
                    .clear(t01),
                    .v_old(st_old[p*SBN +: SBN]),
                    .current(current),
                    .theta(theta1[p*STATE_BITS +: STATE_BITS]),
                    .v_new(st_new[p*SBN +: SBN]),
                    .spike(fire[p])
                );
            end
        end
    endgenerate

    always_ff @(posedge clk) begin
        if (v1) state_mem[saddr1] <= st_new;
    end

    snn_spike_frame #(.PIX(PIX), .COUT(COUT), .PE(PE), .OUT_SIMD(OUT_SIMD)) u_frame (
        .clk(clk), .rst_n(rst_n), .claim(start), .free(frame_free),
        .wr_en(v1), .wr_pix(pix1), .wr_nf(nf1), .wr_bits(fire), .wr_done(v1 && end1),
        .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready)
    );
endmodule

`default_nettype wire
