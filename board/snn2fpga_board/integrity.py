"""A deploy package is data: its paths stay inside it, and its native library is loaded only when its hash
matches the one recorded in model.json (loading a shared library runs its code: its constructors run
before any of its functions is called, so a replaced library must be refused before it is opened)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Any

from snn2fpga_board.errors import DeployError

_SHA256 = re.compile(r"[0-9a-f]{64}")


def confined(root: Path, rel: str, key: str) -> Path:
    """``root / rel`` for a path from model.json, which must be relative and stay inside ``root`` (no ``..``,
    no absolute path, no symbolic link leading out)."""
    pure = PurePosixPath(rel)
    if not rel or pure.is_absolute() or rel.startswith("\\") or ".." in pure.parts or ":" in rel:
        raise DeployError(f"model.json: '{key}' is {rel!r}; a deploy package's paths must be relative and stay "
                          "inside the package (rebuild it with `snn2fpga build`)")
    path = (root / pure).resolve()
    if path != root.resolve() and root.resolve() not in path.parents:
        raise DeployError(f"model.json: '{key}' {rel!r} leads outside the deploy package {root}")
    return path


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def recorded_sha256(meta: dict[str, Any]) -> str | None:
    """model.json's ``emulation.sha256`` (checked to be 64 lower-case hex digits), or None."""
    emulation = meta.get("emulation")
    value = emulation.get("sha256") if isinstance(emulation, dict) else None
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise DeployError(f"model.json: 'emulation.sha256' must be 64 hex digits, got {value!r}")
    return value


def check_library(path: Path, meta: dict[str, Any]) -> None:
    """Refuse to load ``path`` unless its sha256 equals model.json's ``emulation.sha256``."""
    want = recorded_sha256(meta)
    how = ("rebuild the package with `snn2fpga build`, or, for a library you compiled yourself and trust, put its "
           f"sha256 (`sha256sum {path.name}`) into model.json's emulation.sha256")
    if want is None:
        raise DeployError(f"model.json records no sha256 of {path.name}, so it is not loaded (a native library is "
                          f"code: loading it runs it): {how}")
    got = file_sha256(path)
    if got != want:
        raise DeployError(f"{path} is not the library this package was built with (sha256 {got[:16]}..., model.json "
                          f"records {want[:16]}...); it was replaced or rebuilt and is not loaded: {how}")
