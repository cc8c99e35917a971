"""Parallel text for translation: two line-aligned files, one sentence per line on each side."""
from __future__ import annotations

from pathlib import Path

from rnnkit.data.text import read_text
from rnnkit.errors import DataError


def read_lines(path: str | Path) -> list[str]:
    """The lines of a text file (a final newline does not start another line)."""
    text = read_text(path)
    return text.removesuffix("\n").split("\n")


def read_parallel(source: str | Path, target: str | Path) -> list[tuple[str, str]]:
    """``(source sentence, target sentence)`` per line; the files must have the same number of
    lines and no empty line on either side."""
    src, tgt = read_lines(source), read_lines(target)
    if len(src) != len(tgt):
        raise DataError(f"{source} has {len(src):,} lines but {target} has {len(tgt):,}; the two sides of a "
                        "parallel text must be line-aligned")
    for n, (s, t) in enumerate(zip(src, tgt), 1):
        for path, line in ((source, s), (target, t)):
            if not line.strip():
                raise DataError(f"{path}, line {n}: empty sentence (line {n} of the other side: "
                                f"{(t if line is s else s)[:40]!r})")
    return [(s.strip(), t.strip()) for s, t in zip(src, tgt)]
