"""Self-describing checkpoints: architecture, quantization, encoder, classes, metrics and weights.

A checkpoint holds only tensors and plain data and is opened with ``torch.load(weights_only=True)``,
so opening one never runs code.
"""

from __future__ import annotations

import math
import pickle
import pickletools
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.io import atomic_save
from snn2fpga.nn import ModelSpec, SNNClassifier

CHECKPOINT_FORMAT = "snn2fpga-checkpoint"
CHECKPOINT_VERSION = 1
_HOW_TO_MAKE = (
    "snn2fpga expects a checkpoint written by `snn2fpga train ... -o model.pt` or by "
    "`snn2fpga.checkpoint.save_checkpoint(model, path)` for an SNNClassifier"
)


def save_checkpoint(
    model: SNNClassifier, path: str | Path, metrics: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` with its spec, metrics and training settings to ``path``."""
    out = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model": model.spec.to_dict(),
        "metrics": metrics or {},
        "training": training or {},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    try:
        atomic_save(out, lambda tmp: torch.save(payload, tmp))
    except SNN2FPGAError as exc:
        raise SNN2FPGAError(f"cannot write checkpoint {out}: {exc}") from None
    return out


_CODE_OPCODES = {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "BUILD"}


def _pickle_imports_objects(path: Path) -> bool:
    """True when ``path`` is a well-formed plain pickle that imports/builds Python objects.

    pickletools only parses the opcode stream; nothing is executed.
    """
    if zipfile.is_zipfile(path):
        return False
    try:
        with path.open("rb") as f:
            names = [op.name for op, _, _ in pickletools.genops(f)]  # the whole stream must parse
    except Exception:  # not a well-formed pickle: corrupt, not "code"
        return False
    return bool(names) and names[-1] == "STOP" and any(n in _CODE_OPCODES for n in names)


def _torch_reason(text: str) -> str:
    """torch's error without its advice to load with weights_only=False (never the fix for a corrupt file)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    kept = [line for line in lines if "weights_only" not in line and "documentation of torch.load" not in line]
    return " ".join(kept) or "unreadable pickle data"


def _load_payload(path: Path) -> Any:
    if not path.exists():
        raise SNN2FPGAError(f"checkpoint not found: {path}. Train one with `snn2fpga train ... -o {path}`")
    if not path.is_file():
        raise SNN2FPGAError(f"checkpoint path {path} is not a file")
    _check_zip_crc(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        found = re.search(r"GLOBAL (\S+)", text)
        if "Unsupported global" in text or found or _pickle_imports_objects(path):
            what = f" ({found.group(1)})" if found else ""
            raise SNN2FPGAError(
                f"refused to open {path}: it contains pickled Python objects{what} (code, or a whole pickled "
                "nn.Module of some library) and snn2fpga only opens checkpoints of tensors and plain data, "
                f"so that loading never runs code. {_HOW_TO_MAKE}"
            ) from None
        raise SNN2FPGAError(f"{path} is not a readable PyTorch checkpoint (corrupt or truncated): "
                            f"{_torch_reason(text)}") from None
    except Exception as exc:  # a corrupt pickle stream can fail in the unpickler with any exception type
        raise SNN2FPGAError(
            f"{path} is not a readable PyTorch checkpoint (corrupt or truncated): {exc}. {_HOW_TO_MAKE}"
        ) from None


def _check_zip_crc(path: Path) -> None:
    """A zip checkpoint whose stored checksums fail is corrupt: say so before torch reads damaged weights."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SNN2FPGAError(f"{path} is a corrupt checkpoint (its zip structure is damaged: {exc}); "
                            "restore it or train it again") from None
    if bad is not None:
        raise SNN2FPGAError(f"{path} is a corrupt checkpoint: the checksum (CRC) of its member {bad} fails; "
                            "restore it or train it again")


_INT_KEYS = ("in_features", "out_features", "in_channels", "out_channels", "kernel", "stride", "padding",
             "state_bits", "leak_shift", "num_classes", "frac_bits", "seed", "beta_frac_bits", "channels")


def _check_values(p: Path, spec: dict[str, Any], state: dict[str, Any]) -> None:
    """Refuse values that would only fail later (at g++, or as NaN scores): wrong types, empty sizes,
    zero timesteps, non-finite weights."""
    def bad(what: str) -> SNN2FPGAError:
        return SNN2FPGAError(f"{p} is an inconsistent snn2fpga checkpoint: {what}. {_HOW_TO_MAKE}")

    layers = spec.get("layers") if isinstance(spec, dict) else None
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        raise bad("'model.layers' must be a non-empty list of layer objects")
    for i, layer in enumerate(layers):
        for key in _INT_KEYS:
            value = layer.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise bad(f"layer {i} ({layer.get('type')}): {key} must be an integer, got {value!r}")
        for key in ("in_features", "out_features", "in_channels", "out_channels", "kernel", "num_classes"):
            if key in layer and layer[key] < 1:
                raise bad(f"layer {i} ({layer.get('type')}): {key} must be >= 1, got {layer[key]}")
        for key, value in layer.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise bad(f"layer {i} ({layer.get('type')}): {key} is {value}")
    enc = spec.get("encoder")
    timesteps = enc.get("timesteps") if isinstance(enc, dict) else None
    if isinstance(timesteps, bool) or not isinstance(timesteps, int) or timesteps < 1:
        raise bad(f"encoder timesteps must be an integer >= 1, got {timesteps!r}")
    for name, tensor in state.items():
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise bad(f"tensor {name} holds NaN or infinite values")


def load_checkpoint(path: str | Path) -> tuple[SNNClassifier, dict[str, Any]]:
    """Rebuild the model stored at ``path`` (in eval mode) and return it with the checkpoint's metadata."""
    p = Path(path)
    payload = _load_payload(p)
    if not isinstance(payload, dict):
        raise SNN2FPGAError(f"{p} holds a {type(payload).__name__}, not an snn2fpga checkpoint. {_HOW_TO_MAKE}")
    if payload.get("format") != CHECKPOINT_FORMAT:
        if payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
            raise SNN2FPGAError(
                f"{p} is a bare state_dict (only weights, no architecture). {_HOW_TO_MAKE}; to wrap existing "
                "weights, build the SNNClassifier, load_state_dict() them and call save_checkpoint()"
            )
        keys = ", ".join(sorted(map(str, payload))[:8])
        raise SNN2FPGAError(f"{p} is not an snn2fpga checkpoint (keys: {keys}). {_HOW_TO_MAKE}")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise SNN2FPGAError(
            f"{p} has checkpoint version {payload.get('version')}; this snn2fpga reads version "
            f"{CHECKPOINT_VERSION}. Re-train or re-save it with this version"
        )
    _check_values(p, payload.get("model"), payload.get("state_dict") or {})
    try:
        spec = ModelSpec.from_dict(payload["model"])
        model = SNNClassifier(spec)
        model.load_state_dict(payload["state_dict"], strict=True)
    except SNN2FPGAError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise SNN2FPGAError(f"{p} is an incomplete or inconsistent snn2fpga checkpoint: {exc}") from None
    model.eval()
    meta = {k: payload.get(k, {}) for k in ("metrics", "training")}
    return model, meta
