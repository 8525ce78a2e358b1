"""A build folder's state: fingerprint, relocatable step results, generated-file hashes, one-build lock.

``build_state.json`` stores every path that lies inside the build folder relative to it (written as
``@build/<relative path>``), so the folder can be moved or copied (the Vivado hand-over) and resumed
there. It also stores the sha256 of every file a step generated, so a generated source edited after
the build is noticed and regenerated instead of silently kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import snn2fpga
from snn2fpga.errors import SNN2FPGAError
from snn2fpga.flow.config import AUTO_FOLDING, BuildConfig
from snn2fpga.io import atomic_write_json

STATE_FILE = "build_state.json"
LOCK_FILE = ".snn2fpga_build.lock"
BUILD_PREFIX = "@build/"
STATE_VERSION = 2


def _hash_tree(h: Any, folder: Path) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def fingerprint(cfg: BuildConfig) -> str:
    """Hash of the contents of everything a build's results depend on: the model's bytes, the folding
    file's bytes, the settings, the package's kernels (hls/, rtl/) and templates, and the version."""
    from snn2fpga.codegen.generate import KERNEL_DIR
    from snn2fpga.codegen.rtl_generate import RTL_KERNEL_DIR
    from snn2fpga.flow.tcl import TEMPLATES_DIR
    from snn2fpga.resources import CODEGEN_TEMPLATES_DIR

    if not cfg.model.is_file():
        raise SNN2FPGAError(f"model not found: {cfg.model}")
    h = hashlib.sha256(cfg.model.read_bytes())
    h.update(json.dumps(cfg.fingerprint_data(), sort_keys=True).encode())
    if cfg.folding != AUTO_FOLDING:
        folding = Path(cfg.folding)
        if not folding.is_file():
            raise SNN2FPGAError(f"folding config {folding} not found: pass --folding auto or a JSON file")
        h.update(b"folding\0" + folding.read_bytes())
    if cfg.inputs is not None:
        inputs = Path(cfg.inputs)
        if not inputs.is_file():
            raise SNN2FPGAError(f"--inputs {inputs} does not exist")
        h.update(b"inputs\0" + inputs.read_bytes())
    for folder in (KERNEL_DIR, RTL_KERNEL_DIR, TEMPLATES_DIR, CODEGEN_TEMPLATES_DIR):
        h.update(str(folder.name).encode())
        _hash_tree(h, Path(folder))
    h.update(snn2fpga.__version__.encode())
    return h.hexdigest()


def encode_paths(value: Any, build_dir: Path) -> Any:
    """``value`` with the build folder (as given, or resolved) written ``@build/`` wherever it starts a path:
    the whole string, or a path inside a longer one (the commands left to run elsewhere). Only paths derived
    from the build folder are rewritten, never other text that merely resolves there."""
    if isinstance(value, dict):
        return {k: encode_paths(v, build_dir) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_paths(v, build_dir) for v in value]
    if not isinstance(value, str) or not value:
        return value
    forms = {str(build_dir), str(build_dir.resolve())}
    if value in forms:
        return BUILD_PREFIX
    for given in sorted(forms, key=len, reverse=True):
        # the folder as a path of its own: not preceded by a path character
        value = re.sub(r"(?<![\w./@-])" + re.escape(given.rstrip("/") + "/"), BUILD_PREFIX, value)
    return value


def decode_paths(value: Any, build_dir: Path) -> Any:
    """Inverse of :func:`encode_paths` for the build folder where the state is now."""
    if isinstance(value, dict):
        return {k: decode_paths(v, build_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_paths(v, build_dir) for v in value]
    if isinstance(value, str) and BUILD_PREFIX in value:
        return str(build_dir) if value == BUILD_PREFIX else value.replace(BUILD_PREFIX, f"{build_dir}/")
    return value


def file_hashes(folder: Path, build_dir: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, keyed by its path relative to the build folder."""
    out = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        out[path.resolve().relative_to(build_dir.resolve()).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def changed_outputs(state: dict[str, Any], build_dir: Path) -> dict[str, list[str]]:
    """Per step: the files it generated that are now missing or differ from what it wrote."""
    changed: dict[str, list[str]] = {}
    for step, hashes in state.get("outputs", {}).items():
        bad = [rel for rel, digest in hashes.items()
               if not (build_dir / rel).is_file() or hashlib.sha256((build_dir / rel).read_bytes()).hexdigest()
               != digest]
        if bad:
            changed[step] = bad
    return changed


def _well_formed(state: Any) -> bool:
    return (isinstance(state, dict) and isinstance(state.get("fingerprint"), str)
            and isinstance(state.get("done"), list) and all(isinstance(d, str) for d in state["done"])
            and isinstance(state.get("results"), dict) and isinstance(state.get("outputs", {}), dict)
            and all(isinstance(v, dict) for v in state.get("outputs", {}).values()))


def load_state(path: Path, fp: str, force: bool, log: Any = print) -> dict[str, Any]:
    """The state of the build in ``path``'s folder, or a fresh one (forced, missing, unreadable or of another
    format: then everything is rebuilt). A state of another model or configuration is an error."""
    fresh: dict[str, Any] = {"version": STATE_VERSION, "fingerprint": fp, "done": [], "results": {}, "outputs": {}}
    if force or not path.is_file():
        return fresh
    try:
        state = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        log(f"{path} is unreadable: rebuilding every step")
        return fresh
    if not _well_formed(state) or state.get("version") != STATE_VERSION:
        log(f"{path} is not a build state of this snn2fpga version: rebuilding every step")
        return fresh
    if state["fingerprint"] != fp:
        raise SNN2FPGAError(
            f"{path.parent} holds a build of another model, folding file, configuration or snn2fpga kernels; "
            "rebuild it with --force (only snn2fpga's own files there are overwritten) or choose another "
            "folder with -o"
        )
    state["results"] = decode_paths(state["results"], path.parent)
    state.setdefault("outputs", {})
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically, with the paths inside the build folder made relative to it."""
    data = {**state, "results": encode_paths(state["results"], path.parent)}
    atomic_write_json(path, data, indent=1, default=str)


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold the build folder's lock: one build at a time per folder."""
    path = build_dir / LOCK_FILE
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SNN2FPGAError(
                f"another snn2fpga build is running in {build_dir}: wait for it to finish, or build into "
                "another folder with -o"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
