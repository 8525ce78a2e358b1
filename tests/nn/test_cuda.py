"""Training and the hardware-exact integer path on a CUDA GPU (skipped where torch sees none).

The integer path must give on the GPU exactly what it gives on the CPU and what the numpy reference
gives: spikes, final states, saturation counts, class scores and the stated accuracy, compared with ==.
A model trained with ``--device cuda`` is then the same model for every later stage (export, C-sim,
RTL, board), which run on the CPU."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from snn2fpga.checkpoint import load_checkpoint
from snn2fpga.commands import TrainOptions, accuracy_by_snr, run_train
from snn2fpga.data import load_any_dataset
from snn2fpga.nn import SNNClassifier
from snn2fpga.nn.conv import QuantConv2d
from snn2fpga.nn.dcll import DCLL
from snn2fpga.nn.synapse import IntCurrent, QuantLinear
from snn2fpga.semantics.dcll import run_dcll
from snn2fpga.train.bptt import evaluate
from snn2fpga.train.calibrate import calibrate_state

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (torch sees none here)")
GPU = torch.device("cuda")


# The integer recurrence alone on the GPU: tests/nn/test_dcll_fast.py (its device parameter).


def test_dcll_layers_on_gpu_equal_reference():
    """One-hot dictionary layer, a conv layer on spikes (the float64 synapse path on a GPU) and a dense one."""
    torch.manual_seed(0)
    layers = [DCLL(QuantConv2d(1, 4, 5, padding=2, weight_bits=8), 4 * 8 * 8, num_classes=3, threshold=0.05, rho=0.3),
              DCLL(QuantConv2d(4, 4, 3, padding=1, weight_bits=8), 4 * 8 * 8, threshold=0.02),
              DCLL(QuantLinear(4 * 8 * 8, 5, weight_bits=6), 5, threshold=0.02)]
    layers = [m.to(GPU).eval() for m in layers]
    g = torch.Generator().manual_seed(7)
    x = torch.zeros(30, 4, 1, 8, 8)
    x.reshape(30, 4, 64).scatter_(2, torch.randint(0, 64, (30, 4), generator=g)[..., None], 1.0)
    h = x.to(GPU)
    with torch.no_grad():
        for i, layer in enumerate(layers):
            inp = h.reshape(30, 4, -1) if i == 2 else h
            h = layer(inp)
            cur = layer.synapse(inp)
            assert isinstance(cur, IntCurrent)
            theta, params = layer.integer_params(cur.scale)
            shape = tuple(cur.value.shape)
            per = int(np.prod(shape[3:])) if len(shape) > 3 else 1
            ref = run_dcll(cur.value.cpu().numpy().astype(np.int64).reshape(shape[0], shape[1], -1),
                           np.repeat(theta, per), params)
            assert np.array_equal(h.cpu().numpy().reshape(ref.spikes.shape), ref.spikes)
            tr = layer.last_trace
            assert np.array_equal(tr.v_final.reshape(ref.v_final.shape), ref.v_final)
            assert np.array_equal(tr.saturations, ref.saturations) and np.array_equal(tr.v_absmax, ref.v_absmax)
            assert ref.spikes.any()


RADIO = dict(dataset="radioml-synth", synth_frames=6, snrs=(2, 10, 18), frame_length=128, epochs=1,
             batch_size=32, progress=False)
CASES = {
    "dcll-radioml": dict(RADIO, arch="dcll-radioml", channels=(4, 4), kernel=5, grid=16, weight_bits=8,
                         state_bits=24, lr=0.002),
    "lif-cnn-radio": dict(RADIO, arch="lif-cnn", channels=(4,), kernel=3, grid=8, weight_bits=6),
    "lif-mlp-radio": dict(RADIO, arch="lif-mlp", hidden=(32,), grid=8, weight_bits=8, state_bits=24),
    "lif-mlp-digits": dict(dataset="digits", arch="lif-mlp", hidden=(32,), epochs=1, progress=False),
}


def _integer_scores(model: SNNClassifier, x: np.ndarray) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model.scores(model(x)).cpu()


@pytest.mark.parametrize("case", CASES)
def test_training_on_gpu_gives_a_model_the_cpu_evaluates_identically(case, tmp_path: Path):
    torch.cuda.reset_peak_memory_stats()
    result = run_train(TrainOptions(output=tmp_path / "m.pt", device="cuda", **CASES[case]), log=lambda _m: None)
    assert torch.cuda.max_memory_allocated() > 0  # it did run on the GPU
    model, meta = load_checkpoint(result["checkpoint"])
    data = load_any_dataset(model.spec.extra["dataset"], None, model.spec.extra.get("dataset_selection") or {})
    gpu = copy.deepcopy(model).to(GPU)
    assert torch.equal(_integer_scores(model, data.x_test), _integer_scores(gpu, data.x_test))
    # the accuracy, per-SNR accuracy and state calibration measured on the GPU at the end of training
    assert evaluate(model, data.x_test, data.y_test, batch_size=100) == result["test_accuracy"]
    metrics = meta["metrics"]
    assert [c.to_dict() for c in calibrate_state(model, data.x_test, 0.1)] == metrics["calibration"]
    assert accuracy_by_snr(model, data) == metrics["accuracy_by_snr"]
