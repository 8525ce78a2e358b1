"""Post-training quantization with percentile clipping, and state calibration."""

from __future__ import annotations

import pytest
import torch

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.nn import SNNClassifier, lif_mlp_spec
from snn2fpga.train import TrainConfig, calibrate_state, evaluate, quantize_post_training, train_bptt
from snn2fpga.train.calibrate import bits_for
from snn2fpga.train.ptq import clip_percentile


def test_clip_percentile_bounds_weights():
    w = torch.tensor([[0.1, -0.2, 0.3, 10.0], [0.5, -0.5, 0.25, -0.1]])
    c = clip_percentile(w, 50.0, per_channel=True)
    assert torch.all(c.abs() <= torch.quantile(w.abs(), 0.5, dim=1, keepdim=True))
    assert torch.equal(clip_percentile(w, 100.0, per_channel=False), w)
    with pytest.raises(SNN2FPGAError):
        clip_percentile(w, 0.0, per_channel=False)


def test_ptq_of_float_model_keeps_accuracy(digits):
    torch.manual_seed(0)
    spec = lif_mlp_spec(64, [64], digits.classes, digits.input_shape, weight_bits=None)
    fp = SNNClassifier(spec)
    train_bptt(fp, digits, TrainConfig(epochs=4, progress=False), log=lambda _: None)
    float_acc = evaluate(fp, digits.x_test, digits.y_test)
    q = quantize_post_training(fp, weight_bits=4, percentile=99.9)
    w, _ = q.layers[0].integer_weight()
    assert int(w.abs().max()) == 7  # 4-bit narrow range uses its full -7..7
    q_acc = evaluate(q, digits.x_test, digits.y_test)
    assert float_acc > 0.85
    assert q_acc > float_acc - 0.08


def test_bits_for():
    assert [bits_for(m) for m in (0, 1, 127, 128, 32767, 32768)] == [2, 2, 8, 9, 16, 17]


def test_calibration_reports_range_and_saturation(small_trained, digits):
    calib = calibrate_state(small_trained, digits.x_test, margin=0.0)
    assert [c.name for c in calib] == ["LIF", "LI"]
    for c in calib:
        assert c.saturations == 0 and c.required_bits <= 16
    # re-run the LI readout (no threshold) one bit narrower than needed: saturations must appear
    layer = calib[1]
    narrow_spec = small_trained.spec
    narrow_spec_layers = [dict(s) for s in narrow_spec.layers]
    narrow_spec_layers[layer.layer]["state_bits"] = layer.required_bits - 1
    narrow = SNNClassifier(type(narrow_spec)(**{**narrow_spec.__dict__, "layers": narrow_spec_layers}))
    narrow.load_state_dict(small_trained.state_dict())
    narrow_calib = calibrate_state(narrow, digits.x_test, margin=0.0)
    assert narrow_calib[1].max_abs == layer.max_abs
    assert narrow_calib[1].state_bits == layer.required_bits - 1
    assert narrow_calib[1].saturations > 0
    assert narrow_calib[1].required_bits == layer.required_bits


def test_ptq_quantizes_dcll_synapses_with_their_trained_weights():
    """A DCLL layer's synapse sits inside the layer: PTQ must quantize it and keep its weights."""
    import torch

    from snn2fpga.nn import SNNClassifier
    from snn2fpga.nn.archs import dcll_radioml_spec
    from snn2fpga.train import quantize_post_training

    torch.manual_seed(3)
    spec = dcll_radioml_spec(16, ["a", "b", "c"], grid=8, channels=(2,), kernel=3, padding=1, weight_bits=None)
    float_model = SNNClassifier(spec)
    q = quantize_post_training(float_model, 6, percentile=100.0)
    src, dst = float_model.layers[0].synapse, q.layers[0].synapse
    assert dst.quantized and q.spec.layers[0]["synapse"]["weight_bits"] == 6
    assert torch.equal(dst.weight, src.weight)  # percentile 100: no clipping, the trained weights
    assert torch.equal(q.layers[-2].weight, float_model.layers[-2].weight)
