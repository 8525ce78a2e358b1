"""The host protocol: quantization equals snn2fpga's, word packing layout, output unpacking, ties."""

from __future__ import annotations

import numpy as np
import pytest
from snn2fpga_board import host

from snn2fpga.codegen import generate
from snn2fpga.semantics import quantize_input as reference_quantize


def test_quantize_input_equals_the_semantics_on_random_and_edge_inputs():
    rng = np.random.default_rng(0)
    codes = np.arange(256, dtype=np.float64)
    edges = np.concatenate([
        codes / 255, (codes + 0.5) / 255, np.nextafter((codes + 0.5) / 255, 0), np.nextafter((codes + 0.5) / 255, 1),
        np.nextafter(codes / 255, -1), np.nextafter(codes / 255, 2),
        [0.0, -0.0, 1.0, -1e-300, 1e-300, -0.5, 1.5, 2.0, -np.inf, np.inf, 0.5, np.float32(0.1)],
    ])
    for x in (edges, rng.random(100_000), rng.normal(0.5, 0.6, size=(50, 7, 3)),
              rng.random((10, 64)).astype(np.float32), rng.random(1000).astype(np.float16), [0.25, 0.75], 0.3,
              np.array([0, 1], dtype=np.uint8), np.array([True, False])):
        ours, theirs = host.quantize_input(x), reference_quantize(x)
        assert ours.dtype == theirs.dtype == np.uint8
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_snn2fpga_uses_the_runtime_packing():
    assert generate.pack_inputs is host.pack_inputs


def test_feature_words_are_little_endian_bytes_zero_padded():
    q = np.array([[1, 2, 3, 4, 5], [255, 0, 0, 128, 0]], dtype=np.uint8)
    words = host.pack_inputs(q, "rate")
    assert words.dtype == np.uint32
    np.testing.assert_array_equal(words, [[0x04030201, 0x00000005], [0x800000FF, 0]])
    assert host.words_per_sample("latency", 5, 16) == 2


def test_spike_words_put_input_i_at_bit_i_mod_32_per_timestep():
    steps, n, n_in = 3, 2, 40
    spikes = np.zeros((steps, n, n_in), dtype=np.uint8)
    spikes[0, 0, 0] = spikes[1, 0, 31] = spikes[2, 0, 32] = spikes[2, 0, 39] = 1
    spikes[:, 1, :] = 1
    words = host.pack_inputs(spikes, "spikes")
    assert words.shape == (n, host.words_per_sample("spikes", n_in, steps)) == (2, 6)
    np.testing.assert_array_equal(words[0], [1, 0, 0x80000000, 0, 0, (1 << 0) | (1 << 7)])
    np.testing.assert_array_equal(words[1], [0xFFFFFFFF, 0xFF] * 3)


def test_unpack_outputs_reads_signed_words():
    raw = np.array([0xFFFFFFFF, 7, 0x80000000, 0], dtype=np.uint32)
    out = host.unpack_outputs(raw, 2)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[-1, 7], [-(2**31), 0]])
    with pytest.raises(ValueError, match="whole number of samples"):
        host.unpack_outputs(raw, 3)
    with pytest.raises(ValueError, match="32-bit"):
        host.unpack_outputs(raw.astype(np.int64), 2)


def test_ties_go_to_the_lowest_index():
    scores = np.array([[3, 5, 5, 1], [0, 0, 0, 0], [-1, -2, -1, -3]], dtype=np.int32)
    np.testing.assert_array_equal(host.predictions(scores), [1, 0, 0])


def test_snn2fpga_sees_its_own_error_type(rate_deploy, tmp_path):
    from snn2fpga.codegen.csim import CSimLibrary
    from snn2fpga.errors import SNN2FPGAError

    with pytest.raises(SNN2FPGAError, match="cannot load C-simulation library"):
        CSimLibrary(tmp_path / "missing.so")
    lib = CSimLibrary(rate_deploy.deploy / "csim" / "libsnn_csim.so")
    with pytest.raises(SNN2FPGAError, match=r"input must be \[samples, 16\] words"):
        lib.run(np.zeros((2, 3), dtype=np.uint32))
    assert lib.run(np.zeros((2, 16), dtype=np.uint32)).outputs.shape == (2, 10)
