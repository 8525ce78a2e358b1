"""`snn2fpga build`: the acceptance run on digits, resume, and clear errors for bad input."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from onnx import TensorProto, helper

from snn2fpga.cli import main
from snn2fpga.flow.driver import STEPS


def _json_last(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def digits_ckpt(tmp_path_factory):
    """A digits lif-mlp trained and exported through the CLI, as a user would."""
    d = tmp_path_factory.mktemp("digits")
    assert main(["train", "--epochs", "12", "--hidden", "128", "--no-progress", "-o", str(d / "model.pt")]) == 0
    assert main(["export", str(d / "model.pt"), "--verify", "all"]) == 0
    return d


def test_build_digits_whole_test_split_zero_mismatches(digits_ckpt, tmp_path, capsys):
    out = tmp_path / "b"
    rc = main(["build", "--board", "pynq-z2", "--model", str(digits_ckpt / "model.onnx"), "-o", str(out), "--json"])
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert rc == 4  # no Vivado here: everything else is done, the rest is spelled out
    assert "vitis_hls -f hls_synth.tcl" in captured.err and "vivado -mode batch -source vivado_bd.tcl" in captured.err
    assert summary["bitstream"] is None and summary["deploy"] == str(out / "deploy")
    assert len(summary["pending_commands"]) == 2
    assert summary["board"] == "pynq-z2"
    assert summary["csim"]["samples"] == 360 and summary["csim"]["mismatches"] == 0
    assert summary["csim"]["accuracy"] >= 0.95 and summary["csim"]["loops"] == "fast paths"
    est = summary["estimate"]
    assert all(est[k] is not None for k in ("lut", "ff", "bram36", "dsp", "latency_us", "fps"))
    assert est["fits"] is True
    steps = [name for name, _ in STEPS]
    assert steps[:5] == ["export", "lower", "specialize", "fold", "estimate"]  # folding sees the backend's facts
    assert {"generate_hls", "csim", "generate_rtl", "rtlsim", "synth", "hls_synth", "vivado", "deploy"} <= set(steps)
    for i, step in enumerate(steps):
        assert (out / "intermediate" / f"{i:02d}_{step}.onnx").is_file()
    assert (out / "hls" / "snn_top.cpp").is_file() and (out / "folding_config.json").is_file()
    assert (out / "csim_reference.npz").is_file()  # the deploy step took its golden vectors from here
    assert (out / "vitis_hls" / "hls_synth.tcl").is_file() and (out / "vivado" / "vivado_bd.tcl").is_file()
    # a second run resumes: the finished steps are skipped, the tool steps (still pending) run again
    rc = main(["build", "--model", str(digits_ckpt / "model.onnx"), "-o", str(out), "--json"])
    out_text = capsys.readouterr().out
    assert rc == 4 and out_text.count("done in a previous run") == steps.index("hls_synth")
    assert json.loads(out_text.strip().splitlines()[-1])["csim"] == summary["csim"]
    # the deploy package runs emulated: emulated == C-simulation == QONNX on the whole test split
    rc = main(["run", str(out / "deploy"), "--emulate", "--dataset", "digits", "--json"])
    run = _json_last(capsys)
    assert rc == 0 and run["samples"] == 360 and run["mismatches"] == 0
    assert run["accuracy"] == summary["csim"]["accuracy"]


def test_csim_of_the_synthesised_loops_equals_qonnx(digits_ckpt, tmp_path, capsys):
    """--csim-hw-loops C-simulates the loops as Vitis HLS synthesises them (not the C-sim fast paths)."""
    rc = main(["build", "--model", str(digits_ckpt / "model.onnx"), "-o", str(tmp_path / "b"), "--csim-samples",
               "120", "--csim-hw-loops", "--json"])
    csim = _json_last(capsys)["csim"]
    assert rc == 4 and csim["samples"] == 120 and csim["mismatches"] == 0
    assert csim["loops"] == "synthesised (--csim-hw-loops)"
    # a library of its own, compiled with -DSNN_CSIM_HW_LOOPS, not the fast one the other builds share
    from snn2fpga.codegen.csim import compile_csim

    hls = tmp_path / "b" / "hls"
    slow_lib, fast_lib = compile_csim(hls, hw_loops=True), compile_csim(hls)
    assert slow_lib != fast_lib
    state = json.loads((tmp_path / "b" / "build_state.json").read_text())
    assert str(slow_lib) in json.dumps(state)


def test_build_from_pt_in_cwd_with_folding_file(digits_ckpt, tmp_path, capsys, monkeypatch):
    work = tmp_path / "w"
    work.mkdir()
    shutil.copy(digits_ckpt / "model.pt", work / "model.pt")
    (work / "fold.json").write_text(json.dumps({"layer0": {"PE": 8, "SIMD": 16}, "layer1": {"PE": 1, "SIMD": 4}}))
    monkeypatch.chdir(work)
    rc = main(["build", "--folding", "fold.json", "--csim-samples", "50", "--json"])
    summary = _json_last(capsys)
    assert rc == 4, summary
    assert summary["folding"]["layer0"] == {"PE": 8, "SIMD": 16}
    assert summary["csim"]["samples"] == 50 and summary["csim"]["mismatches"] == 0
    assert (work / "build" / "pynq-z2" / "model.onnx").is_file()


def test_unknown_board_lists_boards(digits_ckpt, capsys):
    assert main(["build", "--board", "zedboard", "--model", str(digits_ckpt / "model.onnx")]) == 2
    err = capsys.readouterr().err
    assert "zedboard" in err and "pynq-z2" in err and "Traceback" not in err


def test_no_model_and_several_models(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 2
    assert "no model" in capsys.readouterr().err
    (tmp_path / "a.onnx").write_bytes(b"x")
    (tmp_path / "b.onnx").write_bytes(b"x")
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "several models" in err and "a.onnx" in err and "b.onnx" in err


def test_existing_build_of_another_model_needs_force(digits_ckpt, tmp_path, capsys):
    out = tmp_path / "b"
    args = ["build", "--model", str(digits_ckpt / "model.onnx"), "-o", str(out), "--csim-samples", "5"]
    assert main(args) == 4
    (out / "my_notes.txt").write_text("keep me")
    assert main([*args[:-1], "6"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*args[:-1], "6", "--force"]) == 4
    assert (out / "my_notes.txt").read_text() == "keep me"


def test_foreign_onnx_is_refused(tmp_path, capsys):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "g", [x], [y])
    path = tmp_path / "relu.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    assert main(["build", "--model", str(path), "-o", str(tmp_path / "b")]) == 2
    assert "not one exported by snn2fpga" in capsys.readouterr().err


def test_unmappable_node_is_named(digits_ckpt, tmp_path, capsys):
    from qonnx.core.modelwrapper import ModelWrapper

    model = ModelWrapper(str(digits_ckpt / "model.onnx"))
    lif = next(n for n in model.graph.node if n.op_type == "LIF")
    relu = helper.make_node("Relu", [lif.input[0]], ["relu_out"], name="my_relu")
    lif.input[0] = "relu_out"
    model.graph.node.insert(list(model.graph.node).index(lif), relu)
    model.graph.value_info.append(helper.make_tensor_value_info("relu_out", TensorProto.FLOAT, [16, 1, 128]))
    path = tmp_path / "odd.onnx"
    model.save(str(path))
    assert main(["build", "--model", str(path), "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "my_relu" in err and "Relu" in err and "Traceback" not in err
    assert os.path.isdir(tmp_path / "b" / "intermediate")


def test_csim_hw_loops_is_refused_for_an_rtl_build(digits_ckpt, tmp_path, capsys):
    rc = main(["build", "--model", str(digits_ckpt / "model.onnx"), "-o", str(tmp_path / "b"), "--backend", "rtl",
               "--csim-hw-loops"])
    assert rc == 2 and "--csim-hw-loops chooses how the HLS C++ is C-simulated" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
