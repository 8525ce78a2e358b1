"""Atomic file writes: every file snn2fpga writes for the user goes through here.

A file is written to a temporary file in the same folder (same file system), flushed to disk, and
renamed over the target with ``os.replace``; a crash, a kill or an exception mid-write leaves the
previous file intact (or no file), never a truncated one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError

TEMP_PREFIX = ".snn2fpga-tmp-"


def _temp_path(path: Path) -> Path:
    """A temporary path with ``path``'s exact name, in a new hidden folder beside it (the same file system,
    so the rename is atomic). The name is kept because writers look at it: np.savez appends .npz to other
    names, and torch.save names the archive inside a checkpoint after the file's stem (a temporary stem
    would make checkpoints differ from run to run)."""
    return Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=path.parent)) / path.name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: some file systems refuse a directory fsync)."""
    with contextlib.suppress(OSError):
        _fsync(folder)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an exception, the file written
    there replaces ``path`` atomically. On an exception the temporary file is removed and ``path`` is
    left as it was."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SNN2FPGAError(f"cannot create the folder of {target}: {exc.strerror or exc}") from None
    try:
        tmp = _temp_path(target)
    except OSError as exc:
        raise SNN2FPGAError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)


def atomic_save(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Write ``path`` atomically with ``writer(temp_path)`` (torch.save, ModelWrapper.save, np.savez, ...)."""
    target = Path(path)
    try:
        with atomic_path(target) as tmp:
            writer(tmp)
    except OSError as exc:
        raise SNN2FPGAError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_save(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, data: Any, indent: int | None = 2, **kwargs: Any) -> Path:
    """Write ``data`` as JSON (sorted keys, trailing newline) to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(data, indent=indent, sort_keys=True, **kwargs) + "\n")


def atomic_copy(src: str | Path, dst: str | Path) -> Path:
    """Copy the file ``src`` to ``dst`` atomically (contents only, like shutil.copyfile)."""
    return atomic_save(dst, lambda tmp: shutil.copyfile(src, tmp))


def atomic_copytree(src: str | Path, dst: str | Path, ignore: Any = None) -> Path:
    """Replace the folder ``dst`` with a copy of ``src``: the copy is made beside it first and swapped in
    with two renames, so an interrupted copy never leaves a half-filled ``dst``."""
    target = Path(dst)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        shutil.copytree(src, tmp, ignore=ignore)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            os.replace(old, target)  # put the previous folder back
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


def check_writable_file(path: str | Path, what: str = "output") -> Path:
    """Check before long work that ``path`` can be written as a file: its folder exists (or can be
    created) and is writable, and ``path`` is not a directory. Raises SNN2FPGAError naming the problem."""
    target = Path(path)
    if target.is_dir():
        raise SNN2FPGAError(f"{what} {target} is a directory: name a file inside it (e.g. {target / 'model.pt'})")
    folder = target.parent if str(target.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:  # the nearest folder that exists decides
        probe = probe.parent
    if not probe.is_dir():
        raise SNN2FPGAError(f"{what} {target}: {probe} is not a folder")
    try:  # a real probe: os.access says yes to root even on a read-only file system
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise SNN2FPGAError(f"{what} {target}: the folder {probe} is not writable ({exc.strerror or exc}); "
                            "choose another path with -o") from None
    return target
