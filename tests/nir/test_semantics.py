"""The NIR -> ours semantics table: dt presets, the shift-vs-mult leak decision, gains, resets, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nir.semantics import (
    PRESETS,
    SHIFT_TOLERANCE,
    NIRRefusal,
    Reset,
    choose_leak,
    map_neuron,
    resolve_preset,
)
from tests.nir.graphs import lif, nir

SNNTORCH = PRESETS["snntorch"]


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_power_of_two_beta_is_a_shift_leak_within_the_tolerance(k):
    beta = 1.0 - 2.0**-k
    assert choose_leak(beta, 8, "n", "LIF").shift == k
    assert choose_leak(beta + 0.9 * SHIFT_TOLERANCE, 8, "n", "LIF").shift == k
    far = choose_leak(beta + 2 * SHIFT_TOLERANCE, 8, "n", "LIF")
    assert far.shift is None and far.mode == "mult" and far.beta_frac_bits == 8


def test_snntorch_float32_tau_of_beta_0875_is_the_shift_leak():
    # what export_to_nir writes for Leaky(beta=0.875): float32 tau = 1e-4 / 0.125
    tau = float(np.float32(1e-4) / (np.float32(1.0) - np.float32(0.875)))
    m = map_neuron("lif1", lif(4, tau), 4, SNNTORCH, 8)
    assert m.spec == {"type": "lif", "leak_shift": 3, "threshold": 1.0, "reset": "subtract"}
    assert np.allclose(m.gain, 1.0)


def test_non_power_of_two_beta_is_the_mult_leak_with_the_quantized_beta_reported():
    m = map_neuron("lif1", lif(2, 1e-3), 2, SNNTORCH, 8)  # beta = 0.9
    assert m.spec["type"] == "lif" and "leak_shift" not in m.spec
    assert m.spec["beta"] == pytest.approx(0.9) and m.spec["beta_frac_bits"] == 8
    assert m.leak.integer_beta == 230 / 256


def test_euler_and_exp_discretisations():
    node = nir.LI(tau=np.full(2, 4.0), r=np.full(2, 2.0), v_leak=np.zeros(2))
    euler = map_neuron("li", node, 2, resolve_preset("nir"), 8)
    assert euler.leak.beta == 0.75 and euler.leak.shift == 2 and np.all(euler.gain == 2.0 * 1.0 / 4.0)
    exp = map_neuron("li", node, 2, PRESETS["sinabs"], 8)
    assert exp.leak.beta == pytest.approx(math.exp(-0.25)) and exp.leak.mode == "mult"
    assert np.allclose(exp.gain, 2.0 * (1 - math.exp(-0.25)))
    assert euler.spec["type"] == exp.spec["type"] == "li"


def test_if_and_i_have_no_leak_and_gain_r():
    m = map_neuron("if", nir.IF(r=np.full(3, 0.5), v_threshold=np.full(3, 2.0)), 3, SNNTORCH, 8)
    assert m.spec == {"type": "if", "threshold": 2.0, "reset": "subtract"} and np.all(m.gain == 0.5)
    i = map_neuron("i", nir.I(r=np.full(3, 1.0)), 3, SNNTORCH, 8)
    assert i.spec == {"type": "li"} and i.leak.mode == "none"


def test_reset_comes_from_override_then_metadata_then_preset():
    node = lif(2, 8e-3)
    assert map_neuron("a", node, 2, PRESETS["norse"], 8).spec["reset"] == "zero"
    assert map_neuron("a", node, 2, SNNTORCH, 8).spec["reset"] == "subtract"
    node.metadata = {"reset_mechanism": b"zero"}  # h5py hands strings back as bytes
    assert map_neuron("a", node, 2, SNNTORCH, 8).spec["reset"] == "zero"
    assert map_neuron("a", node, 2, SNNTORCH, 8, Reset.SUBTRACT).spec["reset"] == "subtract"


def test_per_neuron_thresholds_are_folded_into_the_gain():
    node = lif(3, v_threshold=np.array([1.0, 2.0, 4.0]))
    m = map_neuron("lif", node, 3, SNNTORCH, 8)
    assert m.spec["threshold"] == 1.0 and np.allclose(m.gain, [1.0, 0.5, 0.25])


@pytest.mark.parametrize("node,words", [
    (lif(3, v_leak=np.array([0.0, 0.1, 0.0])), "v_leak is non-zero"),
    (lif(3, v_reset=np.full(3, -0.5)), "v_reset is non-zero"),
    (lif(3, tau=np.array([1e-3, 1e-3, 2e-3])), "tau differs between neurons"),
    (lif(3, tau=np.full(3, 5e-5)), "outside [0, 1]"),
    (lif(3, v_threshold=np.array([1.0, 0.0, 1.0])), "threshold is <= 0"),
    (lif(2), "tau has 2 values for 3 neurons"),
    (nir.LIF(tau=np.full(3, np.inf), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3)), "positive finite"),
])
def test_unmappable_neurons_are_refused_by_name_and_type(node, words):
    with pytest.raises(NIRRefusal, match=r"'lif7' \(LIF\)") as err:
        map_neuron("lif7", node, 3, SNNTORCH, 8)
    assert words in str(err.value) and err.value.node == "lif7" and err.value.kind == "LIF"


def test_bad_preset_dt_discretisation_and_frac_bits():
    with pytest.raises(SNN2FPGAError, match="unknown NIR preset 'lava'.*snntorch"):
        resolve_preset("lava")
    with pytest.raises(SNN2FPGAError, match="positive time step"):
        resolve_preset("snntorch", dt=0.0)
    with pytest.raises(SNN2FPGAError, match="euler or exp"):
        resolve_preset("snntorch", discretisation="rk4")
    assert resolve_preset("norse", dt=1e-4).dt == 1e-4
    with pytest.raises(SNN2FPGAError, match="beta_frac_bits=0"):
        choose_leak(0.9, 0, "n", "LIF")
