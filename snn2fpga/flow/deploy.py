"""Write the deploy package: what a PYNQ board (or a laptop, emulated) needs to run the model.

Layout (read by ``snn2fpga_board.deploy``, whose docstring is the reference)::

    deploy/model.json  golden.npz  bitfile/{snn2fpga.bit,snn2fpga.hwh}  csim/libsnn_csim.so
           hls/  snn2fpga_board/  snn2fpga_demo.ipynb
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from snn2fpga.export.execute import run_graph
from snn2fpga.export.graph import PREDICTION, SCORES, read_meta
from snn2fpga.hwir.graph import hw_kind
from snn2fpga.io import atomic_copy, atomic_copytree, atomic_save, atomic_write_json
from snn2fpga.resources import NOTEBOOK, board_runtime_dir

DEPLOY_FORMAT = "snn2fpga-deploy"
DEPLOY_VERSION = 1
RUNTIME_DIR = board_runtime_dir()
IP_INSTANCE = "snn_top_0"
DMA_INSTANCE = "axi_dma_0"
RTLSIM_LIBRARY = "libsnn_rtlsim.so"
NUM_SAMPLES_OFFSET = 0x10  # first scalar argument of an HLS s_axilite bundle, after ap_ctrl/GIE/IER/ISR


def layer_quantization(hw_model: ModelWrapper) -> list[dict[str, Any]]:
    """Per hardware layer: weight/state bits, neuron parameters and folding (for model.json)."""
    out = []
    common = ("PE", "SIMD", "weight_bits", "state_bits", "neuron")
    neuron_keys = {"dcll": ("kq", "kp", "kr", "rho", "frac_bits"),
                   "lif": ("leak", "leak_shift", "beta_q", "beta_frac_bits", "reset")}
    shape_keys = {"SpikingConv": ("H", "W", "CIN", "COUT", "K", "STRIDE", "PAD", "event"),
                  "SpikingDense": ("IN", "OUT"), "DenseReadout": ("IN", "OUT")}
    for node in hw_model.graph.node:
        kind = hw_kind(node)  # the op_type without its backend suffix (_hls, _rtl)
        if kind is None or kind.value not in shape_keys:
            continue
        base = kind.value
        op = getCustomOp(node)
        keys = (*shape_keys[base], *common, *neuron_keys[str(op.get_nodeattr("neuron"))])
        out.append({"name": node.name, "type": base, **{k: op.get_nodeattr(k) for k in keys}})
    return out


def model_json(exported: ModelWrapper, hw_model: ModelWrapper, project: dict[str, Any], results: dict[str, Any],
               board: Any, clock_mhz: float, bitstream: str | None) -> dict[str, Any]:
    """The content of deploy/model.json."""
    meta = read_meta(exported)
    kind = project["input_kind"]
    iq = {"iq": {"grid": meta["grid"], "range": meta["iq_range"], "norm": meta["iq_norm"]}} if kind == "iq" else {}
    return {
        "format": DEPLOY_FORMAT,
        "version": DEPLOY_VERSION,
        "top": project["top"],
        "input": {"kind": kind, "shape": meta["input_shape"], "features": int(np.prod(meta["input_shape"])),
                  "timesteps": meta["timesteps"], "bits": meta["input_bits"], "scale": meta["input_scale"],
                  "words_per_sample": project["in_words"], **iq},
        "output": {"kind": meta["readout"], "classes": meta["classes"], "words_per_sample": project["out_words"]},
        "encoder": {"kind": meta["encoder"], "timesteps": meta["timesteps"], "seed": meta["encoder_seed"]},
        "quantization": {"layers": layer_quantization(hw_model)},
        "folding": results.get("fold", {}).get("folding", {}),
        "estimate": {k: results.get("estimate", {}).get(k) for k in ("lut", "ff", "bram36", "dsp", "latency_us",
                                                                       "fps")},
        "board": {"name": board.name, "part": board.part, "pmbus_power": bool(board.pmbus_power)},
        "clock_mhz": clock_mhz,
        "ip": {"name": IP_INSTANCE, "dma": DMA_INSTANCE, "num_samples_offset": NUM_SAMPLES_OFFSET},
        "bitstream": bitstream,
        "emulation": {"kind": "rtlsim", "library": f"rtlsim/{RTLSIM_LIBRARY}"} if "rtl_dir" in project
        else {"kind": "csim", "library": "csim/libsnn_csim.so"},
    }


GOLDEN_BATCH = 500  # samples per QONNX run when the golden vectors are computed here


def inputs_digest(exported_path: Path, inputs: np.ndarray) -> str:
    """Hash of an exported graph file and a batch of inputs (keys the stored QONNX reference)."""
    h = hashlib.sha256(Path(exported_path).read_bytes())
    arr = np.ascontiguousarray(inputs)
    h.update(str((arr.dtype.str, arr.shape)).encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def save_reference(path: Path, digest: str, scores: np.ndarray, predictions: np.ndarray) -> None:
    """Store the QONNX scores / predictions the C-simulation step computed, for the deploy step."""
    atomic_save(path, lambda tmp: np.savez_compressed(tmp, digest=np.array(digest), scores=scores,
                                                     predictions=predictions))


def load_reference(path: Path, digest: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The stored (scores, predictions) when they were computed for the same graph and inputs."""
    try:
        with np.load(path) as ref:
            if str(ref["digest"]) != digest:
                return None
            return ref["scores"], ref["predictions"]
    except (OSError, KeyError, ValueError):
        return None


def golden_vectors(exported: ModelWrapper, inputs: np.ndarray, labels: np.ndarray | None, input_kind: str,
                   path: Path, reference: tuple[np.ndarray, np.ndarray] | None = None) -> int:
    """Reference (QONNX) scores and predictions for ``inputs``, saved with the packed host words.

    ``reference``: the (scores, predictions) of these inputs computed earlier (the C-simulation step
    stores them); otherwise QONNX runs here."""
    from snn2fpga_board.host import pack_inputs

    if reference is None:  # in batches: a graph's intermediate spike maps grow with the batch
        x = np.asarray(inputs, dtype=np.float32)
        axis = 1 if input_kind == "spikes" else 0  # spike trains are [T, n, N]
        scores, preds = [], []
        for start in range(0, x.shape[axis], GOLDEN_BATCH):
            ctx = run_graph(exported, x[:, start : start + GOLDEN_BATCH] if axis else x[start : start + GOLDEN_BATCH])
            scores.append(np.asarray(ctx[SCORES]))
            preds.append(np.asarray(ctx[PREDICTION]))
        reference = (np.concatenate(scores), np.concatenate(preds))
    arrays: dict[str, np.ndarray] = {
        # uint8 features / 0-1 spikes, or int8 I/Q codes (kind "iq")
        "inputs": np.asarray(inputs, dtype=np.int8 if input_kind == "iq" else np.uint8),
        "words": pack_inputs(inputs, input_kind),
        "scores": reference[0].astype(np.int32),
        "predictions": reference[1].astype(np.int64),
    }
    if labels is not None:
        arrays["labels"] = np.asarray(labels, dtype=np.int64)
    atomic_save(path, lambda tmp: np.savez_compressed(tmp, **arrays))
    return int(arrays["predictions"].shape[0])


def copy_runtime(deploy: Path, src_dir: Path, sim_lib: Path, rtl: bool = False) -> None:
    """Copy the board runtime, notebook, generated sources and the emulated device's library into the deploy
    folder: the HLS sources and the C-simulation library (``csim/``), or for the RTL backend the RTL sources
    and the RTL simulation library with its ROM files (``rtlsim/``: the library reads them from its folder)."""
    sources, sim_dir, lib_name = ("rtl", "rtlsim", RTLSIM_LIBRARY) if rtl else ("hls", "csim", "libsnn_csim.so")
    for sub, src in (("snn2fpga_board", RUNTIME_DIR), (sources, src_dir)):
        atomic_copytree(src, deploy / sub, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for stale in ("csim", "rtlsim", "hls", "rtl"):  # what a build with the other backend left behind
        if stale not in (sim_dir, sources) and (deploy / stale).is_dir():
            shutil.rmtree(deploy / stale)
    (deploy / sim_dir).mkdir(parents=True, exist_ok=True)
    atomic_copy(sim_lib, deploy / sim_dir / lib_name)
    if rtl:
        for mem in sorted(Path(sim_lib).parent.glob("*.mem")):
            atomic_copy(mem, deploy / sim_dir / mem.name)
    atomic_copy(NOTEBOOK, deploy / NOTEBOOK.name)


def record_library_hash(deploy: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` (model.json) with the sha256 of the emulated device's library in ``deploy``: the board
    runtime loads that library only when its hash matches (a native library is code)."""
    from snn2fpga_board.deploy import EMULATION_LIBRARIES
    from snn2fpga_board.integrity import file_sha256

    emulation = dict(meta.get("emulation") or {"kind": "csim", "library": EMULATION_LIBRARIES["csim"]})
    emulation["sha256"] = file_sha256(deploy / EMULATION_LIBRARIES[str(emulation["kind"])])
    return {**meta, "emulation": emulation}


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_json(path, data)
