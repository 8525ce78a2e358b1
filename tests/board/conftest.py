"""Fixtures: tiny deploy folders built here with snn2fpga's Python API (no training, no Vivado).

The layout written here is the contract documented in ``snn2fpga_board.deploy``; snn2fpga's deploy
step writes the same. Three designs: an untrained digits-shaped lif-mlp (rate encoder on chip, membrane
readout), a small spike-input network (spike trains from the host, spike-count readout), and a tiny
dcll-radioml (I/Q frames quantised on the host, I/Q-plane encoder on chip), written with snn2fpga's own
deploy writer (``snn2fpga.flow.deploy``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper
from snn2fpga_board.host import pack_inputs

import snn2fpga
from snn2fpga.boards import load_board
from snn2fpga.codegen.csim import compile_csim
from snn2fpga.codegen.generate import generate_project
from snn2fpga.export import read_meta
from snn2fpga.export.graph import PREDICTION, SCORES
from snn2fpga.export.verify import run_graph
from snn2fpga.flow.deploy import copy_runtime, golden_vectors, model_json, write_json
from snn2fpga.nn import LIF, QuantLinear, SNNClassifier, lif_mlp_spec
from snn2fpga.nn.archs import dcll_radioml_spec
from snn2fpga.transforms.folding import ApplyFoldingConfig
from snn2fpga.transforms.lower import lower_to_hw
from snn2fpga.transforms.specialize import SpecializeLayers

BOARD_DIR = Path(__file__).resolve().parents[2] / "board"
PACKAGE_DIR = BOARD_DIR / "snn2fpga_board"
NOTEBOOK = BOARD_DIR / "notebooks" / "snn2fpga_demo.ipynb"


@dataclass
class Built:
    """A deploy folder and what the tests compare it with."""

    deploy: Path
    x: np.ndarray  # the raw inputs: features [n, *shape] in [0, 1], spikes [T, n, N], or I/Q frames [n, T, 2]
    reference_predictions: np.ndarray  # QONNX execution of the exported graph
    torch_predictions: np.ndarray | None  # the PyTorch integer forward (SNNClassifier only)
    model: SNNClassifier | None = None  # the SNNClassifier exported (I/Q design)


class SpikeNet(torch.nn.Module):
    """A plain module over spike trains [T, B, 40] -> LIF spikes [T, B, 3] (spike-count readout)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc0 = QuantLinear(40, 12, weight_bits=4)
        self.lif0 = LIF(leak_shift=2, threshold=0.3)
        self.fc1 = QuantLinear(12, 3, weight_bits=4)
        self.lif1 = LIF(leak_shift=1, threshold=0.2, reset="zero")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lif1(self.fc1(self.lif0(self.fc0(x))))


def _model_json(meta: dict[str, Any], project: Any, folding: dict[str, dict[str, int]], shape: list[int]
                ) -> dict[str, Any]:
    """model.json of the deploy layout (no bitstream: Vivado did not run)."""
    kind = project.input_kind
    return {
        "format": "snn2fpga-deploy", "version": 1, "top": project.top,
        "input": {"kind": kind, "shape": shape, "features": int(np.prod(shape)), "timesteps": int(meta["timesteps"]),
                  "bits": int(meta["input_bits"]), "scale": float(meta["input_scale"]),
                  "words_per_sample": project.in_words},
        "output": {"kind": meta["readout"], "classes": list(meta["classes"]), "words_per_sample": project.out_words},
        "encoder": {"kind": meta["encoder"], "timesteps": meta["timesteps"], "seed": meta["encoder_seed"]},
        "quantization": {"layers": [{"name": name} for name in folding]},
        "folding": folding, "estimate": {},
        "board": {"name": "pynq-z2", "part": "xc7z020clg400-1", "pmbus_power": False},
        "clock_mhz": 100.0,
        "ip": {"name": "snn_top_0", "dma": "axi_dma_0", "num_samples_offset": 16},
        "bitstream": None,
    }


def build_deploy(root: Path, module: torch.nn.Module, x: np.ndarray, graph_input: np.ndarray,
                 folding: dict[str, dict[str, int]], labels: np.ndarray | None) -> Path:
    """Export, lower, fold, specialize, generate, compile; then write the deploy folder under ``root``."""
    onnx_path = root / "model.onnx"
    example = x[:1] if isinstance(module, SNNClassifier) else x[:, :1]
    snn2fpga.export(module, example, onnx_path, verify_inputs=x)
    exported = ModelWrapper(str(onnx_path))
    hw = lower_to_hw(ModelWrapper(str(onnx_path))).transform(ApplyFoldingConfig(folding)).transform(SpecializeLayers())
    project = generate_project(hw, root / "prj")
    lib = compile_csim(project.hls_dir)
    ctx = run_graph(exported, graph_input.astype(np.float32))
    meta = read_meta(exported)
    kind = project.input_kind
    deploy = root / "deploy"
    (deploy / "csim").mkdir(parents=True)
    shutil.copyfile(lib, deploy / "csim" / "libsnn_csim.so")
    shutil.copytree(project.hls_dir, deploy / "hls")
    shutil.copytree(PACKAGE_DIR, deploy / "snn2fpga_board", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(NOTEBOOK, deploy / NOTEBOOK.name)
    shape = [int(graph_input.shape[-1])] if kind == "spikes" else [int(s) for s in meta["input_shape"]]
    info = _model_json(meta, project, folding, shape)
    (deploy / "model.json").write_text(json.dumps(info, indent=2))
    golden: dict[str, np.ndarray] = {
        "inputs": graph_input.astype(np.uint8), "words": pack_inputs(graph_input.astype(np.uint8), kind),
        "scores": np.asarray(ctx[SCORES]).astype(np.int32), "predictions": np.asarray(ctx[PREDICTION]).astype(np.int64),
    }
    if labels is not None:
        golden["labels"] = labels.astype(np.int64)
    np.savez(deploy / "golden.npz", **golden)
    return deploy


@pytest.fixture(scope="session")
def rate_deploy(tmp_path_factory) -> Built:
    """Untrained lif-mlp 64 -> 16 -> 10 over 8x8 features, rate encoder, T = 16."""
    torch.manual_seed(0)
    model = SNNClassifier(lif_mlp_spec(64, [16], [str(i) for i in range(10)], [8, 8])).eval()
    rng = np.random.default_rng(0)
    x = rng.random((48, 8, 8))
    x[0], x[1] = 0.0, 1.0  # edge samples: all dark, all bright
    labels = rng.integers(0, 10, size=len(x))
    q = model.quantize(x)
    folding = {"layer0": {"PE": 4, "SIMD": 8}, "layer1": {"PE": 2, "SIMD": 8}}
    deploy = build_deploy(tmp_path_factory.mktemp("rate"), model, x, q, folding, labels)
    ref = np.asarray(run_graph(ModelWrapper(str(deploy.parent / "model.onnx")), q.astype(np.float32))[PREDICTION])
    return Built(deploy, x, ref.astype(np.int64), model.predict(x).astype(np.int64))


@pytest.fixture(scope="session")
def spike_deploy(tmp_path_factory) -> Built:
    """Spike trains [T = 6, n, 40] -> 12 LIF -> 3 LIF (spike-count readout); 40 inputs = 2 words per step."""
    torch.manual_seed(1)
    net = SpikeNet().eval()
    with torch.no_grad():
        net.fc0.weight.mul_(3.0)
    spikes = (np.random.default_rng(1).random((6, 24, 40)) < 0.4).astype(np.float32)
    folding = {"layer0": {"PE": 3, "SIMD": 8}, "layer1": {"PE": 1, "SIMD": 4}}
    deploy = build_deploy(tmp_path_factory.mktemp("spikes"), net, spikes, spikes, folding, None)
    ref = np.asarray(run_graph(ModelWrapper(str(deploy.parent / "model.onnx")), spikes)[PREDICTION])
    return Built(deploy, spikes, ref.astype(np.int64), None)


IQ_T = 16  # I/Q samples per frame (timesteps): 8 host words per frame


def iq_frames_for_tests(rng: np.random.Generator) -> np.ndarray:
    """I/Q frames float32 [n, T, 2]: synthetic RadioML frames, Gaussian noise of varied amplitude, edge frames."""
    from snn2fpga.data.radioml_synth import synth_radioml

    synth = synth_radioml(2, snrs=[10], length=IQ_T, classes=["BPSK", "QPSK", "PAM4", "WBFM"], seed=0).iq
    noise = rng.normal(size=(20, IQ_T, 2)) * rng.choice([0.05, 0.5, 1.0, 3.0], size=(20, 1, 1))
    edges = np.zeros((4, IQ_T, 2))
    edges[1, 3, 0] = -2.5  # one sample only (its peak is exactly -1 after normalisation)
    edges[2] = 1.0  # constant
    edges[3, :, 1] = np.linspace(-1e30, 1e30, IQ_T)  # huge but float32
    return np.concatenate([synth, noise, edges]).astype(np.float32)


@pytest.fixture(scope="session")
def iq_deploy(tmp_path_factory) -> Built:
    """Untrained dcll-radioml: I/Q frames [n, 16, 2] -> 8x8 I/Q plane -> conv DCLL (2 kernels 3x3) -> 4 classes.

    Weights are scaled up so that the DCLL layer spikes; the deploy folder is written by snn2fpga's deploy
    writer (model.json with input.kind "iq", golden I/Q codes of the frames, peak normalisation).
    """
    root = tmp_path_factory.mktemp("iq")
    torch.manual_seed(0)
    spec = dcll_radioml_spec(IQ_T, [str(i) for i in range(4)], grid=8, channels=(2,), kernel=3, padding=1,
                             weight_bits=4, state_bits=20)
    model = SNNClassifier(spec).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.mul_(4.0)
    x = iq_frames_for_tests(np.random.default_rng(2))
    labels = np.random.default_rng(3).integers(0, 4, size=len(x))
    onnx_path = root / "model.onnx"
    snn2fpga.export(model, x[:1], onnx_path, verify_inputs=x, allow_saturation=True)
    exported = ModelWrapper(str(onnx_path))
    hw = lower_to_hw(ModelWrapper(str(onnx_path))).transform(SpecializeLayers())
    project = generate_project(hw, root / "prj")
    lib = compile_csim(project.hls_dir)
    deploy = root / "deploy"
    deploy.mkdir()
    copy_runtime(deploy, project.hls_dir, lib)
    write_json(deploy / "model.json", model_json(exported, hw, project.to_dict(), {}, load_board("pynq-z2"), 100.0,
                                                 None))
    codes = model.quantize(x)
    golden_vectors(exported, codes, labels, "iq", deploy / "golden.npz")
    ref = np.asarray(run_graph(exported, codes.astype(np.float32))[PREDICTION]).astype(np.int64)
    return Built(deploy, x, ref, model.predict(x).astype(np.int64), model)


def with_random_iq_codes(src: Path, dst: Path, seed: int = 5) -> Path:
    """A copy of the I/Q deploy folder ``src`` whose golden inputs are random codes in -100..99 (as a build
    without a dataset writes; no peak-normalised frame gives them: none reaches the code of +-1), with the
    scores of the folder's own C-simulation library."""
    from snn2fpga_board.csim import CSimLibrary
    from snn2fpga_board.host import predictions

    shutil.copytree(src, dst)
    data = dict(np.load(dst / "golden.npz"))
    codes = np.random.default_rng(seed).integers(-100, 100, size=data["inputs"].shape).astype(np.int8)
    words = pack_inputs(codes, "iq")
    scores = CSimLibrary(dst / "csim" / "libsnn_csim.so").run(words, with_taps=False).outputs
    np.savez(dst / "golden.npz", **{**data, "inputs": codes, "words": words, "scores": scores,
                                     "predictions": predictions(scores)})
    return dst
