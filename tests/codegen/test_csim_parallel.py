"""C-simulation in parallel processes (merged in order) and reuse of export verification's QONNX reference."""

from __future__ import annotations

import os

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

import snn2fpga
from snn2fpga.codegen.csim import CSimLibrary, compile_csim, run_chunks
from snn2fpga.codegen.generate import generate_project, pack_inputs
from snn2fpga.codegen.verify_csim import verify_csim
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.export.execute import run_graph
from snn2fpga.export.reference import (
    GraphReference,
    InputsKey,
    inputs_key,
    load_reference,
    spiking_layers,
)
from snn2fpga.flow.config import BuildConfig
from snn2fpga.flow.driver import run_build
from snn2fpga.semantics import quantize_input
from tests.codegen.conftest import hw_graph

FOLDING = {"layer0": {"PE": 4, "SIMD": 8}, "layer1": {"PE": 2, "SIMD": 16}}


@pytest.fixture(scope="module")
def digits_csim(digits_onnx, tmp_path_factory):
    project = generate_project(hw_graph(digits_onnx, FOLDING), tmp_path_factory.mktemp("par"))
    return project, CSimLibrary(compile_csim(project.hls_dir))


def _features(digits, n):
    return quantize_input(digits.x_test[:n].reshape(n, -1))


def test_parallel_chunks_come_back_in_order(digits_csim, digits):
    project, lib = digits_csim
    q = _features(digits, 120)
    words = np.array_split(pack_inputs(q, project.input_kind), 5)
    serial = lib.run(np.concatenate(words))
    parallel = list(run_chunks(lib, words, jobs=2))
    assert np.array_equal(np.concatenate([r.outputs for r in parallel]), serial.outputs)
    for t, tap in enumerate(serial.taps):
        assert np.array_equal(np.concatenate([r.taps[t] for r in parallel]), tap)
    assert [sum(c) for c in zip(*(r.stage_cycles for r in parallel), strict=True)] == serial.stage_cycles
    with pytest.raises(SNN2FPGAError, match="--jobs must be >= 1"):
        list(run_chunks(lib, words, jobs=0))


def test_jobs_do_not_change_the_report(digits_onnx, digits_csim, digits):
    project, lib = digits_csim
    exported = ModelWrapper(str(digits_onnx))
    q = _features(digits, 200)
    one = verify_csim(exported, project, lib, q, digits.y_test[:200], batch_size=60, jobs=1)
    two = verify_csim(exported, project, lib, q, digits.y_test[:200], batch_size=60, jobs=2)
    assert one.samples == 200 and one.mismatches == 0
    assert one.to_dict() == two.to_dict()
    assert np.array_equal(one.reference_scores, two.reference_scores)
    assert np.array_equal(one.reference_predictions, two.reference_predictions)


def test_a_given_reference_is_used_and_checked(digits_onnx, digits_csim, digits):
    project, lib = digits_csim
    exported = ModelWrapper(str(digits_onnx))
    q = _features(digits, 100)
    ref = GraphReference.from_context(run_graph(exported, q.astype(np.float32)), spiking_layers(exported), 100)
    computed = verify_csim(exported, project, lib, q, batch_size=60, jobs=2)
    reused = verify_csim(exported, project, lib, q, batch_size=60, jobs=2, reference=ref)
    assert reused.to_dict() == computed.to_dict() and reused.mismatches == 0
    # a reference that differs in one score and one hidden spike count is caught, sample by sample
    bad = GraphReference(ref.scores.copy(), ref.predictions, {k: v.copy() for k, v in ref.spike_counts.items()})
    bad.scores[70, 3] += 1
    bad.spike_counts["layer0"][12, 5] += 1
    report = verify_csim(exported, project, lib, q, batch_size=60, jobs=2, reference=bad)
    assert (report.mismatches, report.score_mismatches, report.spike_count_mismatches) == (2, 1, 1)
    assert report.first_mismatch is not None and report.first_mismatch.startswith("sample 12:")
    with pytest.raises(SNN2FPGAError, match="reference holds 100 samples, the C-simulation 60"):
        verify_csim(exported, project, lib, q[:60], reference=ref)


def test_inputs_key_is_by_content(digits_onnx, digits, tmp_path):
    q = _features(digits, 50)
    key = InputsKey(digits_onnx)
    for part in np.array_split(q.astype(np.float32), 3):  # another chunking, another dtype: same samples
        key.update(part)
    assert key.hexdigest() == inputs_key(digits_onnx, q)
    changed = q.copy()
    changed[49, 0] ^= 1
    assert inputs_key(digits_onnx, changed) != inputs_key(digits_onnx, q)
    assert inputs_key(digits_onnx, q[:49]) != inputs_key(digits_onnx, q)
    other = tmp_path / "other.onnx"
    other.write_bytes(digits_onnx.read_bytes() + b"\0")
    assert inputs_key(other, q) != inputs_key(digits_onnx, q)


def test_build_reuses_the_reference_of_export_verification(small_trained, digits, tmp_path, monkeypatch):
    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path / "cache"))
    onnx = tmp_path / "m.onnx"
    snn2fpga.export(small_trained, digits.x_test[:1], onnx, verify_inputs=digits.x_test[:40])
    stored = load_reference(inputs_key(onnx, _features(digits, 40)))
    assert stored is not None and stored.samples == 40
    exported = ModelWrapper(str(onnx))
    fresh = GraphReference.from_context(run_graph(exported, _features(digits, 40).astype(np.float32)),
                                        spiking_layers(exported), 40)
    assert np.array_equal(stored.scores, fresh.scores) and np.array_equal(stored.predictions, fresh.predictions)
    assert stored.spike_counts.keys() == fresh.spike_counts.keys()
    for k, v in fresh.spike_counts.items():
        assert np.array_equal(stored.spike_counts[k], v) and stored.spike_counts[k].dtype == np.uint8

    cfg = BuildConfig(model=onnx, output_dir=tmp_path / "b", csim_samples=40, dataset="digits", jobs=2)
    csim = run_build(cfg, lambda _: None)["csim"]
    assert csim["qonnx_reference"] == "stored by export verification" and csim["mismatches"] == 0
    # other inputs (a different sample count): QONNX runs in the C-simulation step
    cfg = BuildConfig(model=onnx, output_dir=tmp_path / "c", csim_samples=30, dataset="digits", jobs=1)
    csim = run_build(cfg, lambda _: None)["csim"]
    assert csim["qonnx_reference"] == "computed" and csim["mismatches"] == 0 and csim["samples"] == 30


def test_reference_store_keeps_the_newest_within_its_limits(tmp_path, monkeypatch):
    from snn2fpga.export import reference as store

    monkeypatch.setenv("SNN2FPGA_CACHE", str(tmp_path))
    monkeypatch.setattr(store, "MAX_ENTRIES", 3)
    ref = GraphReference(np.arange(20).reshape(10, 2), np.zeros(10, dtype=np.int64),
                         {"layer0": np.ones((10, 4), dtype=np.uint8)})
    keys = [f"{i}" * 64 for i in range(5)]
    paths = []
    for i, key in enumerate(keys):
        paths.append(store.save_reference(key, ref))
        os.utime(paths[-1], ns=(i * 10**9, i * 10**9))  # distinct ages, oldest first
    assert [p.is_file() for p in paths] == [False, False, True, True, True]
    got = store.load_reference(keys[-1])
    assert got is not None and np.array_equal(got.scores, ref.scores)
    assert np.array_equal(got.spike_counts["layer0"], ref.spike_counts["layer0"])
    assert store.load_reference(keys[0]) is None
    monkeypatch.setattr(store, "MAX_BYTES", paths[-1].stat().st_size + 1)  # room for one entry only
    store.save_reference("9" * 64, ref)
    assert sorted(p.name for p in paths[0].parent.glob("*.npz")) == ["9" * 40 + ".npz"]


def test_library_subclasses_run_in_process(digits_csim, digits, monkeypatch):
    """A subclass (e.g. the RTL simulation, configured per process) is never re-opened in workers."""
    project, lib = digits_csim

    class Configured(CSimLibrary):
        pass

    sub = Configured(lib.path)
    import snn2fpga.codegen.csim as csim_mod

    def no_pool(*_a, **_k):
        raise AssertionError("a process pool was started for a library subclass")

    monkeypatch.setattr(csim_mod, "ProcessPoolExecutor", no_pool)
    words = np.array_split(pack_inputs(_features(digits, 40), project.input_kind), 4)
    got = list(run_chunks(sub, words, jobs=2))
    assert np.array_equal(np.concatenate([r.outputs for r in got]), lib.run(np.concatenate(words)).outputs)
    with pytest.raises(AssertionError, match="process pool"):
        list(run_chunks(lib, words, jobs=2))
