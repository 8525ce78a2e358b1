"""Issue 11, class 8: the C-simulation check runs on the user's inputs (`build --inputs FILE.npy`,
BuildConfig.inputs), a check where nothing fired is reported as vacuous, and --dataset is never ignored."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import snn2fpga
from snn2fpga.cli import main
from snn2fpga.nn import LI, LIF, QuantLinear


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory, small_trained, digits):
    d = tmp_path_factory.mktemp("model")
    snn2fpga.export(small_trained, digits.x_test[:1], d / "m.onnx", verify_inputs=digits.x_test[:10])
    return d / "m.onnx"


def _summary(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_build_csimulates_the_users_inputs(onnx_model, digits, tmp_path, capsys):
    inputs = tmp_path / "x.npy"
    np.save(inputs, digits.x_test[100:117])
    out = tmp_path / "b"
    capsys.readouterr()
    assert main(["build", "--model", str(onnx_model), "-o", str(out), "--inputs", str(inputs), "--json"]) == 4
    csim = _summary(capsys)["csim"]
    assert csim["samples"] == 17 and csim["mismatches"] == 0 and csim["data"] == f"inputs of {inputs}"
    assert csim["vacuous"] is False
    golden = np.load(out / "deploy" / "golden.npz")
    from snn2fpga.semantics import quantize_input

    assert np.array_equal(golden["inputs"], quantize_input(digits.x_test[100:117].reshape(17, -1)))
    np.save(inputs, digits.x_test[100:105])  # other inputs: another build, not the old one silently
    assert main(["build", "--model", str(onnx_model), "-o", str(out), "--inputs", str(inputs)]) == 2
    assert main(["build", "--model", str(onnx_model), "-o", str(out), "--inputs", str(inputs), "--force",
                 "--json"]) == 4
    assert _summary(capsys)["csim"]["samples"] == 5


@pytest.mark.parametrize("array,needle", [
    (np.full((3, 64), 2.0), "features must lie in [0, 1]"),
    (np.zeros((3, 7)), "this model takes features [n, 8, 8]"),
    (np.zeros((0, 64)), "holds no samples"),
    (np.array([[np.nan] * 64]), "NaN or infinite"),
    (np.array([{"a": 1}], dtype=object), "not a readable .npy array"),
])
def test_bad_inputs_file(onnx_model, tmp_path, capsys, array, needle):
    inputs = tmp_path / "x.npy"
    np.save(inputs, array, allow_pickle=True)
    assert main(["build", "--model", str(onnx_model), "-o", str(tmp_path / "b"), "--inputs", str(inputs)]) == 2
    assert needle in capsys.readouterr().err


def test_inputs_and_dataset_together_are_refused(onnx_model, digits, tmp_path, capsys):
    inputs = tmp_path / "x.npy"
    np.save(inputs, digits.x_test[:3])
    assert main(["build", "--model", str(onnx_model), "-o", str(tmp_path / "b"), "--inputs", str(inputs),
                 "--dataset", "digits"]) == 2
    assert "not both" in capsys.readouterr().err


class Seq(torch.nn.Module):
    def __init__(self, *mods):
        super().__init__()
        self.seq = torch.nn.Sequential(*mods)

    def forward(self, x):
        return self.seq(x)


@pytest.fixture
def spike_model(tmp_path):
    torch.manual_seed(0)
    net = Seq(QuantLinear(6, 4, weight_bits=4), LIF(leak_shift=2, threshold=0.5), QuantLinear(4, 3, weight_bits=4),
              LI())
    spikes = (np.random.default_rng(0).random((8, 5, 6)) < 0.5).astype(np.float32)
    path = tmp_path / "spk.onnx"
    snn2fpga.export(net, spikes, path)
    return path


def test_dataset_is_never_silently_ignored(spike_model, tmp_path, capsys):
    assert main(["build", "--model", str(spike_model), "-o", str(tmp_path / "b"), "--dataset", "digits"]) == 2
    assert "--dataset digits cannot feed this model: it takes spike trains" in capsys.readouterr().err


def test_all_zero_check_is_reported_vacuous(spike_model, tmp_path, capsys):
    silent = tmp_path / "silent.npy"
    np.save(silent, np.zeros((8, 4, 6), dtype=np.uint8))  # no input spike: nothing fires, every score 0
    capsys.readouterr()
    assert main(["build", "--model", str(spike_model), "-o", str(tmp_path / "b"), "--inputs", str(silent),
                 "--json"]) == 4
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["csim"]["vacuous"] is True and summary["csim"]["mismatches"] == 0
    assert "the C-simulation check is vacuous" in captured.out
