// snn_dense_engine: the synapse/fold engine of a fully connected spiking layer: it consumes the input
// spike stream and produces, per (timestep, neuron fold), the PE synaptic sums
// I[c] = sum_j W[c, j] * s_j (adders only: s_j is 0/1). The neuron update is NOT here: snn_dense_lif /
// snn_dense_li put snn_lif_neuron lanes behind it; a DCLL kernel can put its own neuron behind it.
//
// Folding (as hls/snn_dense.h): NF = OUT/PE neuron folds, SF = IN/SIMD synapse folds. The engine issues
// the iterations (t, nf, sf) in order, one per cycle (II = 1), nf = 0..NF-1 outer, sf = 0..SF-1 inner;
// iteration (nf, sf) adds, for neurons nf*PE + p (p = 0..PE-1), the weights of inputs sf*SIMD + l
// (l = 0..SIMD-1) whose spike is 1, through a balanced adder tree per lane, into an accumulator that
// restarts at sf = 0.
//
// Input overlap: the iterations of neuron fold 0 take their spike word straight from the input stream
// (and keep it in an SF-word buffer that folds 1..NF-1 read), so reading a timestep's input words IS
// computing its first neuron fold, and the next timestep's words are read while its fold 0 runs, right
// after the last fold of the current timestep: no separate read phase, no idle cycle between timesteps
// or samples. s_tready = (at fold 0) && (not at a timestep start || step_ok): registered state and
// step_ok only, never s_tvalid.
//
// Flow control: results leave the engine unconditionally (its pipeline never stalls). The consumer
// promises room for a timestep's results through step_ok, which the engine checks only when it is about
// to issue the first iteration of a timestep (nf = 0, sf = 0); step_start pulses when it does, and
// step_last tells the consumer whether that timestep is the sample's last (t == T-1).
//
// Streams and ports:
//   s_tdata (SIMD bits): per timestep IN/SIMD words, bit l of word f = input f*SIMD + l; T timesteps per
//     sample, samples back to back (the engine counts t = 0..T-1 and starts over).
//   res_valid: one result per (timestep, neuron fold), registered; res_acc holds PE sums, lane p (neuron
//     res_nf*PE + p) in bits p*ACC_BITS +: ACC_BITS, two's complement; res_first (t == 0: the consumer
//     integrates from 0), res_last (t == T-1), res_last_fold (res_nf == NF-1).
//   pre_nf: the neuron fold of the result that res_* will present in the next cycle (when there is
//     one), so that the consumer can read its membrane/threshold memories synchronously (block RAM).
//
// Weight ROM (WEIGHTS_FILE, $readmemh, one word per line, hex, no addresses): NF*SF words of
// PE*SIMD*WEIGHT_BITS bits; word nf*SF + sf holds, at bits (p*SIMD + l)*WEIGHT_BITS +: WEIGHT_BITS, the
// two's-complement weight W[nf*PE + p][sf*SIMD + l] (lane p major, SIMD element l minor, element 0 in
// the least significant bits; the row order FINN uses for MVAU weights). W is [OUT, IN] in the input
// order of the stream. snn2fpga/codegen/rtl_rom.py (dense_weight_rom) writes it. The ROM is read
// synchronously (one register stage), so it maps to block RAM.
//
// Parameters (int unless noted): IN inputs (>= 1); OUT neurons (>= 1); SIMD inputs per word and cycle
// (divides IN); PE neurons per cycle (divides OUT); T timesteps per sample (>= 1); WEIGHT_BITS 2..16;
// ACC_BITS width of the sums (snn_dense_traits::ACC_BITS = max(STATE_BITS, WEIGHT_BITS + clog2(IN)) + 2
// holds leak(V) + I exactly); WEIGHTS_FILE (string) the ROM file.
//
// Cycle behaviour: iteration i (0-based, counted over the whole stream) issues in cycle c_i; with the
// input always valid and step_ok always 1, c_i = c_0 + i: NF*SF cycles per timestep, T*NF*SF per
// sample, back to back. The result of the iteration with sf = SF-1 that issues in cycle c is on res_* in
// cycle c + 2 (pre_nf shows its fold in cycle c + 1).
`default_nettype none

module snn_dense_engine #(
    parameter int IN = 64,
    parameter int OUT = 32,
    parameter int SIMD = 8,
    parameter int PE = 4,
    parameter int T = 16,
    parameter int WEIGHT_BITS = 4,
    parameter int ACC_BITS = 18,
    parameter string WEIGHTS_FILE = ""
) (
    input  logic                                               clk,
    input  logic                                               rst_n,
    input  logic [SIMD-1:0]                                    s_tdata,
    input  logic                                               s_tvalid,
    output logic                                               s_tready,
    output logic                                               step_start,
    output logic                                               step_last,
    input  logic                                               step_ok,
    output logic [((OUT / PE > 1) ? $clog2(OUT / PE) : 1)-1:0] pre_nf,
    output logic                                               res_valid,
    output logic [((OUT / PE > 1) ? $clog2(OUT / PE) : 1)-1:0] res_nf,
    output logic                                               res_first,
    output logic                                               res_last,
    output logic                                               res_last_fold,
    output logic [PE*ACC_BITS-1:0]                             res_acc
);
    localparam int NF = OUT / PE;
    localparam int SF = IN / SIMD;
    localparam int NW = (NF > 1) ? $clog2(NF) : 1;
    localparam int SW = (SF > 1) ? $clog2(SF) : 1;
    localparam int TW = (T > 1) ? $clog2(T) : 1;
    localparam int AW = (NF * SF > 1) ? $clog2(NF * SF) : 1;
    localparam int WB = WEIGHT_BITS;
    localparam int ROMW = PE * SIMD * WB;
    localparam int TREE = (SIMD > 1) ? (1 << $clog2(SIMD)) : 1;  // adder tree leaves (power of two)

    // ---- issue stage: the (t, nf, sf) counters ----
    logic [NW-1:0]   nf;
    logic [SW-1:0]   sf;
    logic [TW-1:0]   t;
    logic [AW-1:0]   addr;     // nf*SF + sf
    logic            at_start, go, issue;
    logic [SIMD-1:0] spk;
    logic [SIMD-1:0] ibuf [SF];  // this timestep's input words, for folds 1..NF-1

    assign at_start   = (nf == '0) && (sf == '0);
    assign go         = !at_start || step_ok;
    assign s_tready   = (nf == '0) && go;
    assign issue      = go && ((nf != '0) || s_tvalid);
    assign step_start = issue && at_start;
    assign step_last  = (t == TW'(T - 1));
    assign spk        = (nf == '0) ? s_tdata : ibuf[sf];

    always_ff @(posedge clk) begin
        if (issue && nf == '0) ibuf[sf] <= s_tdata;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            nf   <= '0;
            sf   <= '0;
            t    <= '0;
            addr <= '0;
        end else if (issue) begin
            addr <= (addr == AW'(NF * SF - 1)) ? '0 : addr + AW'(1);
            if (sf == SW'(SF - 1)) begin
                sf <= '0;
                if (nf == NW'(NF - 1)) begin
                    nf <= '0;
                    t  <= (t == TW'(T - 1)) ? '0 : t + TW'(1);
                end else begin
                    nf <= nf + NW'(1);
                end
            end else begin
                sf <= sf + SW'(1);
            end
        end
    end

    // ---- stage 1: weight ROM read (synchronous) and the iteration's spike word and flags ----
    logic [ROMW-1:0] rom [NF * SF];
    initial $readmemh(WEIGHTS_FILE, rom);

    logic [ROMW-1:0] wq;
    logic [SIMD-1:0] spk1;
    logic            v1, first_sf1, last_sf1, first_t1, last_t1;
    logic [NW-1:0]   nf1;

    always_ff @(posedge clk) begin
        wq        <= rom[addr];
        spk1      <= spk;
        first_sf1 <= (sf == '0);
        last_sf1  <= (sf == SW'(SF - 1));
        first_t1  <= (t == '0);
        last_t1   <= (t == TW'(T - 1));
        nf1       <= nf;
        if (!rst_n) v1 <= 1'b0;
        else v1 <= issue;
    end
    assign pre_nf = nf1;

    // ---- stage 2: per lane, a balanced adder tree over the SIMD gated weights, then the accumulator ----
    genvar p;
    generate
        for (p = 0; p < PE; p++) begin : g_lane
            // node i (bits i*ACC_BITS +: ACC_BITS) = node 2i + node 2i+1; leaves TREE..2*TREE-1; node 0 unused.
            // A flat vector, not a 2-D packed array: yosys 0.70 cannot index the latter inside a loop.
            logic [2*TREE*ACC_BITS-1:0] node;
            logic [ACC_BITS-1:0]        sum;
            always_comb begin
                logic [WB-1:0] w;
                node = '0;
                for (int l = 0; l < SIMD; l++) begin
                    w = wq[(p * SIMD + l) * WB +: WB];
                    node[(TREE + l) * ACC_BITS +: ACC_BITS] = spk1[l] ? {{(ACC_BITS - WB){w[WB-1]}}, w} : '0;
                end
                for (int i = TREE - 1; i >= 1; i--) begin
                    node[i * ACC_BITS +: ACC_BITS] = node[2 * i * ACC_BITS +: ACC_BITS]
                                                   + node[(2 * i + 1) * ACC_BITS +: ACC_BITS];
                end
            end
            assign sum = node[ACC_BITS +: ACC_BITS];
            logic unused_node0;
            assign unused_node0 = ^node[ACC_BITS-1:0];
            always_ff @(posedge clk) begin
                if (v1) begin
                    res_acc[p * ACC_BITS +: ACC_BITS] <= first_sf1 ? sum : res_acc[p * ACC_BITS +: ACC_BITS] + sum;
                end
            end
        end
    endgenerate

    always_ff @(posedge clk) begin
        res_nf        <= nf1;
        res_first     <= first_t1;
        res_last      <= last_t1;
        res_last_fold <= (nf1 == NW'(NF - 1));
        if (!rst_n) res_valid <= 1'b0;
        else res_valid <= v1 && last_sf1;
    end
endmodule

`default_nettype wire
