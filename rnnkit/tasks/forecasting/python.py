"""The forecaster from Python: its data, one series (a list or 1-D array of numbers, NaN where a
value is missing, or a pandas Series, whose DatetimeIndex or PeriodIndex dates it), written as a
CSV of its values (and times), or several (a dict of name -> series), written as a wide CSV (M4's
form, undated); validation is the values before each series' held-out last ones, as on the
command line.  And the trained forecaster's ``predict``: the values after the end of each series,
with their intervals, as ``rnnkit forecast`` gives them."""
from __future__ import annotations

import csv
import io
import math
import tempfile
from argparse import Namespace
from pathlib import Path

import numpy as np
import torch

from rnnkit.errors import RnnkitError
from rnnkit.models import Forecaster
from rnnkit.tasks.forecasting.series import read_series
from rnnkit.tasks.forecasting.verbs import VERBS, future_values
from rnnkit.tasks.python import write_file
from rnnkit.tasks.trained import Trained

COLUMNS = ("forecast", "lo80", "hi80", "lo95", "hi95")


class TrainedForecaster(Trained, Forecaster):
    """A trained forecaster."""

    def predict(self, inputs, **options):
        """The ``horizon`` values after the end of each series of ``inputs`` (the forms training
        takes): the point forecast and its 80% and 95% intervals (``forecast``, ``lo80``, ``hi80``,
        ``lo95``, ``hi95``).  For a list or an array, a dict of those names -> NumPy arrays
        ``[horizon]``; for a dict of series, a dict of series name -> such a dict; for a pandas
        Series, a DataFrame of those columns indexed by the forecast times (where its index dates
        it, else steps 1..horizon).  ``options``: ``horizon`` (default: the model's)."""
        horizon = self.settings(options, VERBS[0], ("horizon",)).horizon or self.horizon
        with tempfile.TemporaryDirectory(prefix="rnnkit-series-") as folder:
            series = read_series(Namespace(**series_files(inputs, Path(folder))), self.run_config["data"])
        _, columns = future_values(self, series, horizon)
        arrays = [{name: columns[name][b].numpy() for name in COLUMNS} for b in range(len(series))]
        if isinstance(inputs, dict):
            return {name: values for name, values in zip(inputs, arrays)}
        if hasattr(inputs, "to_numpy") and hasattr(inputs, "index"):   # a pandas Series
            import pandas as pd

            times = series[0].future(horizon)
            index = pd.DatetimeIndex(times, name="time") if times else pd.RangeIndex(1, horizon + 1, name="step")
            return pd.DataFrame(arrays[0], index=index)
        return arrays[0]


def series_files(data, folder: Path) -> dict:
    """Series in memory for a trained forecaster (``predict``, ``evaluate``), written so that the
    run's own column options do not apply: dated, as a CSV with its value and time columns named;
    else as a wide CSV (one series per row)."""
    if data is None or isinstance(data, dict) or times_of(data) is None:
        return {"wide": write_file(folder, "series-wide.csv",
                                   wide_csv(data if isinstance(data, dict) else {"series": data}))}
    return {**data_files(data, None, folder), "column": "value"}


def test_files(model, data, folder: Path) -> dict:
    """``model.evaluate(series)``: the series, each scored on its last values held out."""
    return series_files(data, folder)


def data_files(data, valid, folder: Path) -> dict:
    """``series.csv`` (the option ``csv``) or ``series-wide.csv`` (the option ``wide``) in ``folder``."""
    if valid is not None:
        raise RnnkitError("valid: a forecaster validates on the values before each series' held-out last ones "
                          "(valid_origins=K for more of them); give no valid=")
    if data is None:
        return {}
    if isinstance(data, dict):
        return {"wide": write_file(folder, "series-wide.csv", wide_csv(data))}
    values = values_of(data, "data")
    times = times_of(data)
    if times is None:
        return {"csv": write_file(folder, "series.csv", "value\n" + "".join(number(v) + "\n" for v in values))}
    rows = "".join(f"{t},{number(v)}\n" for t, v in zip(times, values))
    return {"csv": write_file(folder, "series.csv", "time,value\n" + rows), "time_column": "time"}


def wide_csv(data: dict) -> str:
    """Named series as a wide CSV: ``series,V1,V2,...``, one series per row."""
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
    return out.getvalue()


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
        x = torch.as_tensor(np.array(data, dtype=np.float64) if isinstance(data, np.ndarray) else data,
                            dtype=torch.float64)   # a copy: a read-only array may not become a tensor
    except (TypeError, ValueError) as e:
        raise RnnkitError(f"{what}: expected numbers (a list or a 1-D array) ({e})") from None
    if x.dim() != 1 or not len(x):
        raise RnnkitError(f"{what}: expected a 1-D series of numbers, got shape {list(x.shape)}")
    if torch.isinf(x).any():
        raise RnnkitError(f"{what}: value {int(torch.isinf(x).nonzero()[0])} is infinite")
    return x.tolist()


def number(v: float) -> str:
    return "" if math.isnan(v) else repr(v)
