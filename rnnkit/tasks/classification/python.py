"""The classifier's data from Python: ``(examples, labels)``, where the examples are texts (a list
of strings, written as TSV) or recordings (an array ``[cases, steps, channels]``, or a list of
``[steps, channels]`` arrays of different lengths; NaN where a value is missing; written as a
long-form CSV).  Labels are anything with a string form."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import torch

from rnnkit.errors import RnnkitError
from rnnkit.tasks.python import one_line, pair_of_lists, write_file


def data_files(data, valid, folder: Path) -> dict:
    """``train.tsv`` or ``train.csv`` (and ``valid.*``) in ``folder``: the options ``train`` and
    ``valid`` (and for text the columns, by name)."""
    options = {}
    for role, given, option in (("data", data, "train"), ("valid", valid, "valid")):
        if given is None:
            continue
        examples, labels = pair_of_lists(given, "examples", "labels", role)
        if all(isinstance(x, str) for x in examples):
            options[option] = write_file(folder, f"{option}.tsv", tsv(examples, labels, role))
            options.update(text_column="text", label_column="label")
        else:
            options[option] = write_file(folder, f"{option}.csv", long_csv(examples, labels, role))
    return options


def label_text(label, role: str, k: int) -> str:
    text = str(label)
    if not text.strip() or "\n" in text or "\r" in text or "\t" in text:
        raise RnnkitError(f"{role}: label {k} is {label!r}; a label is a non-empty string (or a number) on one line")
    return text.strip()


def tsv(texts: list[str], labels: list, role: str) -> str:
    rows = ["text\tlabel"]
    rows += [f"{one_line(t, f'{role}: text', k)}\t{label_text(y, role, k)}" for k, (t, y) in
             enumerate(zip(texts, labels))]
    return "".join(row + "\n" for row in rows)


def recording(case, role: str, k: int) -> torch.Tensor:
    """One case as ``float64 [steps, channels]``."""
    if isinstance(case, str):
        raise RnnkitError(f"{role}: example {k} is a string among recordings; give all texts or all arrays")
    try:
        x = torch.as_tensor(case, dtype=torch.float64)
    except (TypeError, ValueError) as e:
        raise RnnkitError(f"{role}: recording {k} is not an array of numbers ({e})") from None
    if x.dim() == 1:
        x = x[:, None]
    if x.dim() != 2 or not len(x) or not x.shape[1]:
        raise RnnkitError(f"{role}: recording {k} has shape {list(x.shape)}; expected [steps, channels] (the data as "
                          "a whole [cases, steps, channels]), with at least one step")
    return x


def long_csv(cases, labels: list, role: str) -> str:
    arrays = [recording(case, role, k) for k, case in enumerate(cases)]
    channels = arrays[0].shape[1]
    for k, x in enumerate(arrays):
        if x.shape[1] != channels:
            raise RnnkitError(f"{role}: recording {k} has {x.shape[1]} channel(s), recording 0 has {channels}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["case", "step", *(f"channel{c}" for c in range(1, channels + 1)), "label"])
    for k, (x, label) in enumerate(zip(arrays, labels)):
        label = label_text(label, role, k)
        for t, row in enumerate(x.tolist()):
            writer.writerow([k, t, *("" if math.isnan(v) else repr(v) for v in row), label])
    return out.getvalue()
