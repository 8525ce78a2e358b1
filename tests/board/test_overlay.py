"""The emulated device end to end: golden vectors, reference predictions, input checks, measure, power."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from snn2fpga_board import DeployError, SNNOverlay


def test_emulated_run_equals_golden_qonnx_and_torch(rate_deploy):
    with SNNOverlay(rate_deploy.deploy) as snn:
        assert snn.device_kind == "emulated" and snn.device_name.startswith("emulated")
        assert snn.device_reason == "no bitstream in the deploy folder"
        check = snn.check_golden()
        assert check["samples"] == len(rate_deploy.x) and check["mismatches"] == 0, check["first_mismatch"]
        assert check["accuracy"] is not None
        res = snn.run(rate_deploy.x)
        np.testing.assert_array_equal(res.predictions, rate_deploy.reference_predictions)
        np.testing.assert_array_equal(res.predictions, rate_deploy.torch_predictions)
        np.testing.assert_array_equal(res.scores, snn.golden().scores)
        assert res.scores.dtype == np.int32 and res.samples_per_s > 0
        assert res.class_names == [snn.classes[i] for i in res.predictions]
        assert snn.check_golden(limit=5)["samples"] == 5


def test_classify_matches_run_in_both_input_layouts(rate_deploy):
    with SNNOverlay(rate_deploy.deploy, device="emulated") as snn:
        assert snn.input_shape == (8, 8)
        preds = snn.run(rate_deploy.x.reshape(len(rate_deploy.x), 64)).predictions
        for i in range(6):
            assert snn.classify(rate_deploy.x[i]) == preds[i]
            assert snn.classify(rate_deploy.x[i].reshape(64).tolist()) == preds[i]
        golden = snn.golden()
        for i in range(golden.count):  # the golden samples as classify takes them quantize back exactly
            assert snn.classify(golden.sample(i)) == golden.predictions[i]
        np.testing.assert_array_equal(snn.run(golden.batch()).scores, golden.scores)


def test_spike_input_design(spike_deploy):
    with SNNOverlay(spike_deploy.deploy) as snn:
        assert snn.deploy.input.kind == "spikes" and snn.input_shape == (6, 40)
        check = snn.check_golden()
        assert check["mismatches"] == 0 and check["accuracy"] is None, check["first_mismatch"]
        res = snn.run(spike_deploy.x)
        np.testing.assert_array_equal(res.predictions, spike_deploy.reference_predictions)
        assert snn.classify(spike_deploy.x[:, 3, :]) == res.predictions[3]
        assert snn.classify(spike_deploy.x[:, 3, :].astype(bool)) == res.predictions[3]
        with pytest.raises(DeployError, match=r"spike trains \[6, n, 40\]"):
            snn.run(spike_deploy.x.transpose(1, 0, 2))
        with pytest.raises(DeployError, match="only 0 and 1"):
            snn.run(spike_deploy.x * 2)
        assert snn.measure(spike_deploy.x, repeats=1)["batch"] == spike_deploy.x.shape[1]


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.zeros((3, 7, 8)), r"shape \[3, 7, 8\]; expected features \[n, 8, 8\] \(or \[n, 64\]\) in \[0, 1\]"),
        (np.zeros((8, 8)), r"shape \[8, 8\]; expected features \[n, 8, 8\]"),
        (np.zeros((0, 64)), r"shape \[0, 64\]"),
        (np.full((2, 64), np.nan), "NaN"),
        (np.full((2, 64), 1.5), r"in \[0, 1\], got values in \[1.5, 1.5\]"),
        (-np.ones((2, 8, 8)), r"in \[0, 1\]"),
        (np.array([["a"] * 64]), "dtype <U1"),
        (np.zeros((2, 64), dtype=complex), "dtype complex128"),
    ],
)
def test_bad_batches_name_the_expected_shape(rate_deploy, bad, match):
    with SNNOverlay(rate_deploy.deploy) as snn, pytest.raises(DeployError, match=match):
        snn.run(bad)


def test_bad_single_samples(rate_deploy):
    with SNNOverlay(rate_deploy.deploy) as snn:
        with pytest.raises(DeployError, match=r"shape \[1, 8, 8\]; expected features \[8, 8\] \(or \[64\]\)"):
            snn.classify(np.zeros((1, 8, 8)))
        with pytest.raises(DeployError, match="NaN"):
            snn.classify(np.full(64, np.inf))
        with pytest.raises(DeployError, match=r"device input must be host words \[n >= 1, 16\]"):
            snn.run_words(np.zeros((2, 15), dtype=np.uint32))
        with pytest.raises(DeployError, match="uint32"):
            snn.run_words(np.zeros((2, 16), dtype=np.int64))


def test_measure_reports_latency_and_throughput(rate_deploy):
    with SNNOverlay(rate_deploy.deploy) as snn:
        m = snn.measure(rate_deploy.x, repeats=2)
        assert m["emulated"] is True and m["batch"] == len(rate_deploy.x) and m["repeats"] == 2
        assert m["latency_us"] > 0 and m["throughput_samples_per_s"] > 0
        with pytest.raises(DeployError, match="repeats"):
            snn.measure(rate_deploy.x, repeats=0)


def test_power_says_why_it_is_unavailable(rate_deploy, tmp_path):
    with SNNOverlay(rate_deploy.deploy) as snn:
        assert snn.power() == {"available": False, "reason": "pynq-z2 exposes no PMBus power rails"}
    deploy = tmp_path / "deploy"
    shutil.copytree(rate_deploy.deploy, deploy)
    meta = json.loads((deploy / "model.json").read_text())
    meta["board"].update(name="zcu104", pmbus_power=True)
    (deploy / "model.json").write_text(json.dumps(meta))
    with SNNOverlay(deploy) as snn:
        p = snn.power()
        assert p["available"] is False and p["reason"].startswith("not running on a board")


def test_closed_device_refuses(rate_deploy):
    snn = SNNOverlay(rate_deploy.deploy)
    snn.close()
    with pytest.raises(DeployError, match="closed"):
        snn.run(rate_deploy.x[:1])
