"""The forecaster's data from Python: one series (a list or 1-D array of numbers, NaN where a value
is missing), written as a one-column CSV, or several (a dict of name -> series), written as a wide
CSV (M4's form).  Validation is the values before each series' held-out last ones, as on the
command line."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import torch

from rnnkit.errors import RnnkitError
from rnnkit.tasks.python import write_file


def data_files(data, valid, folder: Path) -> dict:
    """``series.csv`` (the option ``csv``) or ``series-wide.csv`` (the option ``wide``) in ``folder``."""
    if valid is not None:
        raise RnnkitError("valid: a forecaster validates on the values before each series' held-out last ones "
                          "(valid_origins=K for more of them); give no valid=")
    if data is None:
        return {}
    if isinstance(data, dict):
        if not data:
            raise RnnkitError("data: no series (an empty dict)")
        series = {str(name): values_of(values, f"series {name!r}") for name, values in data.items()}
        longest = max(len(v) for v in series.values())
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["series", *(f"V{k}" for k in range(1, longest + 1))])
        for name, values in series.items():
            if not name.strip():
                raise RnnkitError("data: a series has an empty name")
            writer.writerow([name, *map(number, values)])
        return {"wide": write_file(folder, "series-wide.csv", out.getvalue())}
    values = values_of(data, "data")
    return {"csv": write_file(folder, "series.csv", "value\n" + "".join(number(v) + "\n" for v in values))}


def values_of(data, what: str) -> list[float]:
    if isinstance(data, (str, bytes)):
        raise RnnkitError(f"{what}: expected numbers (a list or a 1-D array), got a string; a file is given as "
                          "csv=PATH or tsf=PATH")
    try:
        x = torch.as_tensor(data, dtype=torch.float64)
    except (TypeError, ValueError) as e:
        raise RnnkitError(f"{what}: expected numbers (a list or a 1-D array) ({e})") from None
    if x.dim() != 1 or not len(x):
        raise RnnkitError(f"{what}: expected a 1-D series of numbers, got shape {list(x.shape)}")
    if torch.isinf(x).any():
        raise RnnkitError(f"{what}: value {int(torch.isinf(x).nonzero()[0])} is infinite")
    return x.tolist()


def number(v: float) -> str:
    return "" if math.isnan(v) else repr(v)
