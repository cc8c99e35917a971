"""Recordings: sequences of measurement vectors, each with a class label, for many-to-one classifiers.

Three formats:

- UEA/UCR ``.ts`` (Bagnall et al. 2018): ``#`` comment lines, ``@`` header lines
  (``@dimensions``, ``@equalLength``, ``@classLabel true LABEL ...``), then after ``@data`` one
  case per line: its dimensions (channels) separated by ``:``, the values of each by ``,``, the
  class label last; ``?`` is a missing value.  Every channel of a case has the same length;
  cases may differ in length.
- UCR's text format (the 2015 archive's ``Coffee_TRAIN.txt``, the 2018 archive's ``.tsv``): one
  univariate case per line, its class label first (``1``, ``1.0000000e+00``), then its values,
  separated by spaces, tabs or commas; ``NaN`` at the end of a line pads a shorter case
  (2018) and is dropped, ``NaN`` or ``?`` inside is a missing value.
- long-form CSV, for recordings kept elsewhere: a header ``case,step,CHANNEL...,label`` and one
  row per case and step (``case``: any id, ``step``: a number that orders the rows of a case;
  a last column named ``label`` holds the class, absent where the cases are to be classified).

Errors name the file and line.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data.text import headed_lines, read_text
from rnnkit.errors import DataError

MISSING = {"?", "", "nan", "na"}


@dataclass
class Recordings:
    cases: list[torch.Tensor]            # each [steps, channels], float64, NaN where missing
    labels: list[str] | None             # one per case; None where the file has none
    channels: int
    lines: list[int]                     # the (first) line of each case
    source: str
    class_labels: list[str] | None = None   # the classes the file declares (.ts @classLabel)


FORMATS = ("auto", "tsv", "ts", "ucr", "csv")   # --format: tsv is text; the others are recordings
_SEPARATORS = re.compile(r"[\s,]+")


def recordings_format(path: str | Path, given: str = "auto", text: bool = True) -> str | None:
    """How ``path`` holds recordings: ``"ts"``, ``"ucr"`` or ``"csv"`` (long form), or None where it
    holds text (only where ``text``: a file a text classifier could read).  ``given`` (``--format``)
    decides unless it is ``"auto"``; then ``.ts`` is UEA/UCR's, a ``case,step,...`` header the long
    form, and a file whose every field is a number and whose first column takes at most half as
    many distinct values as there are lines is UCR's text format."""
    if given != "auto":
        if given == "tsv" and not text:
            raise DataError(f"{path}: --format tsv is text; this classifier reads recordings (ts, ucr or csv)")
        return None if given == "tsv" else given
    name = Path(path).name.removesuffix(".gz")
    if name.endswith(".ts"):
        return "ts"
    lines = [line for line in read_text(path).split("\n") if line.strip()]
    if lines[0].replace(" ", "").lower().startswith("case,step"):
        return "csv"
    labels = _numeric_labels(lines)
    if labels is not None and len(labels) <= max(2, len(lines) // 2):
        return "ucr"
    if name.endswith(".csv"):
        return "csv"          # read_long_csv says what its header lacks
    if labels is not None and min(len(_SEPARATORS.split(line.strip())) for line in lines) > 2:
        # a label and two or more values a line, every one a number, but labels that do not repeat
        raise DataError(f"{path}: every field is a number, as in UCR's text format (the label, then the values), "
                        f"but the first column takes {len(labels)} distinct values in {len(lines)} lines, too many "
                        "for labels to be read as UCR's without being told; give --format ucr if it holds "
                        "recordings, --format tsv if it is text")
    if text:
        return None
    raise DataError(f"{path}: is not recordings this classifier can read: neither UCR's text format (the label, "
                    "then the values, every field a number) nor a long-form CSV (a case,step,... header); "
                    "give --format ucr, ts or csv if it is one of them")


def _numeric_labels(lines: list[str]) -> set[str] | None:
    """The distinct first fields of ``lines`` where every line has two or more fields and every field
    is a number (UCR's text format: the label, then the values), else None."""
    labels = set()
    for line in lines:
        fields = _SEPARATORS.split(line.strip())
        if len(fields) < 2:
            return None
        try:
            [float(f) for f in fields]
        except ValueError:
            return None
        labels.add(fields[0])
    return labels


def read_recordings(path: str | Path, labelled: bool = True, format: str = "auto") -> Recordings:
    """A ``.ts`` file, a UCR text file or a long-form ``.csv`` (any may end in ``.gz``), of the
    given ``format`` (``auto``: ``recordings_format``).  ``labelled``: every case must have a
    label (training and evaluation); else labels are read where present."""
    found = recordings_format(path, format, text=False)
    return {"ts": read_ts, "ucr": read_ucr, "csv": read_long_csv}[found](path, labelled)


def _value(text: str, path, n: int, where: str) -> float:
    text = text.strip()
    if text.lower() in MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{path}, line {n}: {text!r} ({where}) is not a number") from None


def read_ts(path: str | Path, labelled: bool = True) -> Recordings:
    header, data, found_data = headed_lines(path)
    class_labels, has_labels, dimensions = None, False, None
    for n, key, rest in header:
        if key == "timestamps" and rest.lower() == "true":
            raise DataError(f"{path}, line {n}: time-stamped .ts files ((time,value) pairs) are not read; "
                            "write the values without their times")
        if key == "classlabel":
            words = rest.split()
            has_labels = bool(words) and words[0].lower() == "true"
            class_labels = words[1:] if has_labels else None
        elif key == "dimensions":
            try:
                dimensions = int(rest)
            except ValueError:
                raise DataError(f"{path}, line {n}: @dimensions must be a whole number, found {rest!r}") from None
    cases, labels, lines = [], [], []
    for n, line in data:
        fields = line.split(":")
        label = fields.pop().strip() if has_labels else None
        if has_labels and not fields:
            raise DataError(f"{path}, line {n}: a case needs its values and a class label after the last ':'")
        if class_labels and label not in class_labels:
            raise DataError(f"{path}, line {n}: class label {label!r} is not one of those @classLabel declares "
                            f"({' '.join(class_labels)})")
        expected = dimensions if dimensions is not None else (len(fields) if not cases else cases[0].shape[1])
        if len(fields) != expected:
            raise DataError(f"{path}, line {n}: {len(fields)} dimension(s), expected {expected} (separated by ':'"
                            + (", the class label last)" if has_labels else ")"))
        channels = [[_value(v, path, n, f"dimension {d + 1}") for v in field.split(",")]
                    for d, field in enumerate(fields)]
        lengths = {len(c) for c in channels}
        if len(lengths) > 1:
            shown = ", ".join(f"dimension {d + 1}: {len(c)}" for d, c in enumerate(channels))
            raise DataError(f"{path}, line {n}: the dimensions of a case must have as many values each ({shown})")
        cases.append(torch.tensor(channels, dtype=torch.float64).t().contiguous())
        labels.append(label)
        lines.append(n)
    if not cases:
        raise DataError(f"{path}: has no cases" + ("" if found_data else " (no @data line)"))
    if labelled and not has_labels:
        raise DataError(f"{path}: has no class labels (@classLabel false); training and evaluation need them")
    return Recordings(cases, labels if has_labels else None, cases[0].shape[1], lines, str(path), class_labels)


def read_ucr(path: str | Path, labelled: bool = True) -> Recordings:
    """UCR's text format: per line a class label, then the values of one univariate case."""
    cases, labels, lines = [], [], []
    for n, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            continue
        fields = _SEPARATORS.split(line.strip())
        label = _label(fields[0], path, n)
        values = [_value(v, path, n, f"value {k}") for k, v in enumerate(fields[1:], 1)]
        while values and math.isnan(values[-1]):
            values.pop()                       # the 2018 archive pads shorter cases with NaN
        if not values:
            raise DataError(f"{path}, line {n}: a case needs its class label and then at least one value")
        cases.append(torch.tensor(values, dtype=torch.float64).unsqueeze(1))
        labels.append(label)
        lines.append(n)
    return Recordings(cases, labels, 1, lines, str(path))


def _label(text: str, path, n: int) -> str:
    """A UCR class label as written plainly: ``1.0000000e+00`` is ``1``."""
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}, line {n}: the class label {text!r} (the first field) is not a number; "
                        "UCR's text format starts each line with a numeric label") from None
    if not math.isfinite(value):
        raise DataError(f"{path}, line {n}: the class label {text!r} (the first field) is not a class")
    return str(int(value)) if value.is_integer() else f"{value:g}"


def read_long_csv(path: str | Path, labelled: bool = True) -> Recordings:
    rows = [(n, row) for n, row in enumerate(csv.reader(read_text(path).split("\n")), 1)
            if any(cell.strip() for cell in row)]
    header = [cell.strip() for cell in rows[0][1]]
    has_labels = header[-1].lower() == "label"
    channels = len(header) - 2 - has_labels
    if len(header) < 3 or channels < 1 or header[0].lower() != "case" or header[1].lower() != "step":
        raise DataError(f"{path}, line 1: a long-form recordings CSV starts with the header "
                        f"case,step,CHANNEL...[,label]; found {','.join(header)!r}")
    if labelled and not has_labels:
        raise DataError(f"{path}, line 1: has no label column (the last column named 'label'); training and "
                        "evaluation need one")
    by_case: dict[str, list] = {}
    for n, row in rows[1:]:
        if len(row) != len(header):
            raise DataError(f"{path}, line {n}: {len(row)} fields, the header has {len(header)}")
        case = row[0].strip()
        step = _value(row[1], path, n, "step")
        values = [_value(v, path, n, header[2 + k]) for k, v in enumerate(row[2 : 2 + channels])]
        label = row[-1].strip() if has_labels else None
        entry = by_case.setdefault(case, {"line": n, "label": label, "steps": {}})
        if has_labels and label != entry["label"]:
            raise DataError(f"{path}, line {n}: case {case!r} has the label {label!r} here and {entry['label']!r} "
                            f"on line {entry['line']}")
        if step in entry["steps"]:
            raise DataError(f"{path}, line {n}: case {case!r} has step {row[1].strip()} twice")
        entry["steps"][step] = values
    if not by_case:
        raise DataError(f"{path}: has no cases (only a header)")
    cases = [torch.tensor([e["steps"][s] for s in sorted(e["steps"])], dtype=torch.float64) for e in by_case.values()]
    labels = [e["label"] for e in by_case.values()] if has_labels else None
    return Recordings(cases, labels, channels, [e["line"] for e in by_case.values()], str(path))


def pad_cases(cases: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cases ``[steps, channels]`` as one time-major batch ``[T, B, channels]`` (zeros past each
    case's end) and their lengths ``[B]``."""
    lengths = torch.tensor([len(c) for c in cases])
    batch = cases[0].new_zeros(int(lengths.max()), len(cases), cases[0].shape[1])
    for b, case in enumerate(cases):
        batch[: len(case), b] = case
    return batch, lengths
