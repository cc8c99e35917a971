"""Labelled text in TSV: one example per line, ``text<TAB>label`` (or any columns, chosen by name
or 0-based index; by default the first column is the text and the last the label).  Every line
has as many tab-separated fields as the first (a header or not); only prediction input
(``labelled=False``) may leave out the label where it is the last column.

The first line is taken as a header when the columns are chosen by name, or when its label
field is not a label of any other line (GLUE's ``sentence<TAB>label``).  Errors name the file
and line: a row without a label, a row of another width, an empty text, a column that does not
exist.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.text import read_text
from rnnkit.errors import DataError


@dataclass
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    lines: list[int] = field(default_factory=list)   # 1-based line of each example
    header: list[str] | None = None


def _is_index(column: str | int | None) -> bool:
    return column is None or isinstance(column, int) or str(column).lstrip("-").isdigit()


def _resolve(column: str | int | None, default: int, header: list[str] | None, path, width: int) -> int:
    """A column given by name or index -> its index in a row of ``width`` fields."""
    if column is None:
        index = default
    elif _is_index(column):
        index = int(column)
    else:
        if header is None or column not in header:
            names = ", ".join(header) if header else "none: the file has no header line"
            raise DataError(f"{path}: no column named {column!r} (columns: {names})")
        return header.index(column)
    if not -width <= index < width:
        raise DataError(f"{path}, line 1: column {index} does not exist, the line has {width} "
                        "tab-separated fields (columns count from 0)")
    return index % width


def read_tsv(path: str | Path, text_column: str | int | None = None, label_column: str | int | None = None,
             *, labelled: bool = True) -> LabelledTexts:
    """Every non-blank line of ``path`` as (text, label).  With ``labelled=False`` rows may lack
    the label (prediction input); their label is then ``""``."""
    text = read_text(path)
    rows = [(n, line.split("\t")) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not rows:
        raise DataError(f"{path}: is empty")
    width = len(rows[0][1])
    by_name = not (_is_index(text_column) and _is_index(label_column))
    first = rows[0][1]
    t0 = _resolve(text_column, 0, first, path, width)
    l0 = _resolve(label_column, -1, first, path, width)
    if t0 == l0 and labelled:
        raise DataError(f"{path}: the text and label columns are the same column ({t0}); "
                        "choose them with --text-column and --label-column")
    header = None
    if by_name:
        header = first
    elif len(rows) > 1 and width > 1:
        others = {r[l0] for _, r in rows[1:] if len(r) > l0}
        if first[l0].strip() not in {o.strip() for o in others}:
            header = first
    first_line = rows[0][0]
    if header is not None:
        rows = rows[1:]
    if not rows:
        raise DataError(f"{path}: has a header line but no examples")
    out = LabelledTexts([], [], [], header)
    for n, fields in rows:
        if len(fields) != width and not (not labelled and len(fields) == width - 1 == l0 != t0):
            problem = "no label: " if labelled and len(fields) <= l0 else ""
            raise DataError(f"{path}, line {n}: {problem}{len(fields)} tab-separated field(s), but line {first_line} "
                            f"has {width}; every line needs the same number of fields")
        if len(fields) <= t0:
            raise DataError(f"{path}, line {n}: no text in column {t0} (found {len(fields)} tab-separated fields)")
        label = fields[l0].strip() if len(fields) > l0 and t0 != l0 else ""
        if labelled and not label:
            raise DataError(f"{path}, line {n}: no label (expected {max(t0, l0) + 1} tab-separated fields "
                            f"with the label in column {l0}, found {len(fields)})")
        sentence = fields[t0].strip()
        if not sentence:
            raise DataError(f"{path}, line {n}: the text is empty")
        out.texts.append(sentence)
        out.labels.append(label)
        out.lines.append(n)
    return out
