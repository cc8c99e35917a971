"""Writing files so that nothing the user had is lost: atomic replacement that survives a kill
or a power cut (write a temporary file, ``fsync`` it, rename it over the old one, ``fsync`` the
folder), and a check that a folder can be written before any work is done."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from rnnkit.errors import RnnkitError


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, then put it in ``path``'s place (its
    folder made where missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)    # a failed write (a full disk, Ctrl-C) leaves no partial file
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, text: str) -> None:
    replace_atomic(path, lambda tmp: tmp.write_text(text))


def nearest_existing(path: Path) -> Path:
    """``path`` or the closest folder above it that exists."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable_folder(folder: str | Path, what: str) -> None:
    """Raise RnnkitError unless files can be created in ``folder`` (or, where it does not exist
    yet, in the closest existing folder above it, where it would be made)."""
    folder = Path(folder)
    base = nearest_existing(folder)
    if not base.is_dir():
        raise RnnkitError(f"cannot write {what}: {base} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=base):
            pass
    except OSError as e:
        raise RnnkitError(f"cannot write {what}: {base} is not writable ({e.strerror})") from None
