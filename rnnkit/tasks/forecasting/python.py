"""The forecaster's data from Python: one series (a list or 1-D array of numbers, NaN where a value
is missing, or a pandas Series, whose DatetimeIndex or PeriodIndex dates it), written as a CSV of
its values (and times), or several (a dict of name -> series), written as a wide CSV (M4's form,
undated).  Validation is the values before each series' held-out last ones, as on the command
line."""
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
    times = times_of(data)
    if times is None:
        return {"csv": write_file(folder, "series.csv", "value\n" + "".join(number(v) + "\n" for v in values))}
    rows = "".join(f"{t},{number(v)}\n" for t, v in zip(times, values))
    return {"csv": write_file(folder, "series.csv", "time,value\n" + rows), "time_column": "time"}


def times_of(series) -> list[str] | None:
    """The times of a pandas Series' DatetimeIndex or PeriodIndex, as text the CSV reader reads
    (dates alone where every time is midnight); None for anything else."""
    index = getattr(series, "index", None)
    if index is None or isinstance(series, dict) or not hasattr(index, "dtype"):
        return None
    if hasattr(index, "to_timestamp") and str(index.dtype).startswith("period"):
        index = index.to_timestamp()
    if not str(index.dtype).startswith("datetime64"):
        return None
    stamps = list(index.to_pydatetime())
    if any(t is None or t != t for t in stamps):
        raise RnnkitError("data: the series' index has a missing time (NaT)")
    daily = all((t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0) for t in stamps)
    return [t.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S") for t in stamps]


def values_of(data, what: str) -> list[float]:
    if isinstance(data, (str, bytes)):
        raise RnnkitError(f"{what}: expected numbers (a list or a 1-D array), got a string; a file is given as "
                          "csv=PATH or tsf=PATH")
    if hasattr(data, "to_numpy") and not isinstance(data, torch.Tensor):   # a pandas Series
        data = data.to_numpy(dtype=float, copy=True)
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
