// Test-only stream wrapper of rtl/snn_lif_neuron.sv (tests/rtl/test_lif_neuron_rtl.py): one input word =
// {clear, theta, current, v_old} (v_old in the lowest STATE_BITS bits), evaluated by six neuron variants
// at once; the output word (registered) = {spike, v_new} of variant k in bits k*(STATE_BITS+1) +:
// STATE_BITS+1. Variants: 0 none/subtract, 1 shift k=1/subtract, 2 shift k=STATE_BITS/zero,
// 3 mult BETA_Q/BETA_FRAC_BITS/subtract, 4 mult/zero, 5 shift k=2 non-spiking (LI).
`default_nettype none

module lif_neuron_tb #(
    parameter int STATE_BITS = 5,
    parameter int ACC_BITS = 7,
    parameter int BETA_Q = 5,
    parameter int BETA_FRAC_BITS = 3
) (
    input  logic                            clk,
    input  logic                            rst_n,
    input  logic [2*STATE_BITS+ACC_BITS:0]  s_tdata,
    input  logic                            s_tvalid,
    output logic                            s_tready,
    output logic [6*(STATE_BITS+1)-1:0]     m_tdata,
    output logic                            m_tvalid,
    input  logic                            m_tready
);
    localparam int SB = STATE_BITS;
    localparam int LEAK[6] = '{0, 1, 1, 2, 2, 1};
    localparam int SHIFT[6] = '{1, 1, SB, 1, 1, 2};
    localparam int RESET[6] = '{0, 0, 1, 0, 1, 0};
    localparam int SPIKING[6] = '{1, 1, 1, 1, 1, 0};

    logic [6*(SB+1)-1:0] result;

    genvar k;
    generate
        for (k = 0; k < 6; k++) begin : g_variant
            snn_lif_neuron #(
                .STATE_BITS(SB), .ACC_BITS(ACC_BITS), .LEAK(LEAK[k]), .LEAK_SHIFT(SHIFT[k]), .BETA_Q(BETA_Q),
                .BETA_FRAC_BITS(BETA_FRAC_BITS), .RESET(RESET[k]), .SPIKING(SPIKING[k])
            ) u_neuron (
                .clear(s_tdata[2*SB+ACC_BITS]),
                .v_old(s_tdata[SB-1:0]),
                .current(s_tdata[SB +: ACC_BITS]),
                .theta(s_tdata[SB+ACC_BITS +: SB]),
                .v_new(result[k*(SB+1) +: SB]),
                .spike(result[k*(SB+1) + SB])
            );
        end
    endgenerate

    assign s_tready = !m_tvalid || m_tready;
    always_ff @(posedge clk) begin
        if (!rst_n) m_tvalid <= 1'b0;
        else if (s_tready) m_tvalid <= s_tvalid;
        if (s_tready) m_tdata <= result;
    end
endmodule

`default_nettype wire
