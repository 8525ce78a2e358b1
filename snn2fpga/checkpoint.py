"""Self-describing checkpoints: architecture, quantization, encoder, classes, metrics and weights.

A checkpoint holds only tensors and plain data and is opened with ``torch.load(weights_only=True)``,
so opening one never runs code.
"""

from __future__ import annotations

import pickle
import pickletools
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


def _load_payload(path: Path) -> Any:
    if not path.exists():
        raise SNN2FPGAError(f"checkpoint not found: {path}. Train one with `snn2fpga train ... -o {path}`")
    if not path.is_file():
        raise SNN2FPGAError(f"checkpoint path {path} is not a file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        if "Unsupported global" in text or _pickle_imports_objects(path):
            raise SNN2FPGAError(
                f"refused to open {path}: it contains pickled Python objects (code, or a whole pickled "
                "nn.Module of some library) and snn2fpga only opens checkpoints of tensors and plain data, "
                f"so that loading never runs code. {_HOW_TO_MAKE}"
            ) from None
        raise SNN2FPGAError(f"{path} is not a readable PyTorch checkpoint (corrupt or truncated): {text}") from None
    except Exception as exc:  # a corrupt pickle stream can fail in the unpickler with any exception type
        raise SNN2FPGAError(
            f"{path} is not a readable PyTorch checkpoint (corrupt or truncated): {exc}. {_HOW_TO_MAKE}"
        ) from None


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
