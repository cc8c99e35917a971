"""Reading text files: UTF-8, optionally gzip-compressed, with errors that name file and line."""
from __future__ import annotations

import gzip
from pathlib import Path

from rnnkit.errors import DataError


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes (decompressed if it ends in ``.gz``); a clear error if it is missing."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a text file")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except gzip.BadGzipFile:
        raise DataError(f"{path}: ends in .gz but is not gzip-compressed") from None
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from None


def read_text(path: str | Path) -> str:
    """The whole file as text.  Refuses empty, binary and non-UTF-8 files, naming the line."""
    return decode_text(read_bytes(path), path)


def decode_text(data: bytes, path: str | Path) -> str:
    """``data`` (read from ``path``, which errors name) as text, with ``read_text``'s checks."""
    if not data.strip():
        raise DataError(f"{path}: is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(f"{path}, line {line}: contains a NUL byte; this looks like a binary file, "
                        "expected UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise DataError(f"{path}, line {line}, column {column}: byte 0x{data[e.start]:02x} is not valid "
                        "UTF-8; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def headed_lines(path: str | Path) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]], bool]:
    """A file of ``@KEY VALUE`` header lines, then data lines after ``@data`` (UEA/UCR ``.ts``,
    Monash ``.tsf``); ``#`` comments and blank lines left out: ``(header [(line, key in lower
    case, value)], data [(line, text)], whether there was an @data line)``."""
    header, data, in_data = [], [], False
    for n, line in enumerate(read_text(path).split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if in_data:
            data.append((n, line))
            continue
        if not line.startswith("@"):
            raise DataError(f"{path}, line {n}: expected a header line starting with @ before @data, "
                            f"found {line[:40]!r}")
        key, _, rest = line[1:].partition(" ")
        in_data = key.lower() == "data"
        if not in_data:
            header.append((n, key.lower(), rest.strip()))
    return header, data, in_data
