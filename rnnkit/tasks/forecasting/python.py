"""The forecaster from Python: its data, one series (a list or 1-D array of numbers, NaN where a
value is missing, or a pandas Series, whose DatetimeIndex or PeriodIndex dates it), written as a
CSV of its values (and times); several (a dict of name -> series), written as a long CSV
``id,time,value`` where every one is dated, else as a wide CSV (M4's form, undated); or a long
DataFrame, written as it is and read by the column options given with it.  Validation is the
values before each series' held-out last ones, as on the command line.  And the trained forecaster's ``predict``: the values after the end of each series,
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
        ``[horizon]``; for a pandas Series, a DataFrame of those columns indexed by the forecast
        times (where its index dates it, else steps 1..horizon); for a dict of series, a dict of
        series name -> either of those; for a long DataFrame, a long DataFrame (its id column, the
        time or the step, and those columns).  ``options``: ``horizon`` (default: the model's) and,
        for a DataFrame, ``column``, ``time_column`` and ``id_column`` (default: the run's), as for
        ``rnnkit forecast``."""
        s = self.settings(options, VERBS[0], ("horizon", "column", "time_column", "id_column"))
        horizon = s.horizon or self.horizon
        if not is_frame(inputs) and (s.column or s.time_column or s.id_column):
            raise RnnkitError("column, time_column and id_column name the columns of a DataFrame; the inputs are "
                              f"{type(inputs).__name__}")
        with tempfile.TemporaryDirectory(prefix="rnnkit-series-") as folder:
            given = series_files(inputs, Path(folder))
            given.update({k: v for k, v in vars(s).items() if k != "horizon" and v is not None})
            series = read_series(Namespace(**given), self.run_config["data"])
        _, columns = future_values(self, series, horizon)
        tables = [forecast_table(s, {name: columns[name][b].numpy() for name in COLUMNS}, horizon, frame=is_pandas(x))
                  for b, (s, x) in enumerate(zip(series, as_list(inputs, len(series))))]
        if isinstance(inputs, dict):
            return dict(zip(inputs, tables))
        if is_frame(inputs):
            import pandas as pd

            names = given.get("id_column") or self.run_config["data"].get("id_column")
            if names is None:
                return tables[0]
            label = names if isinstance(names, str) and not names.lstrip("-").isdigit() else "series"
            return pd.concat([t.reset_index().assign(**{label: s.name}) for s, t in zip(series, tables)])[
                [label, tables[0].index.name, *COLUMNS]].reset_index(drop=True)
        return tables[0]


def is_frame(data) -> bool:
    return hasattr(data, "columns") and hasattr(data, "to_csv")


def is_pandas(data) -> bool:
    return hasattr(data, "to_numpy") and hasattr(data, "index") and not isinstance(data, torch.Tensor)


def as_list(inputs, n: int) -> list:
    """The given series matched to the series read (a DataFrame stands for each of its own)."""
    return list(inputs.values()) if isinstance(inputs, dict) else [inputs] * n


def forecast_table(series, arrays: dict, horizon: int, frame: bool):
    """One series' forecasts: a DataFrame indexed by time (or step) where it came as pandas, else
    the dict of arrays."""
    if not frame:
        return arrays
    import pandas as pd

    times = series.future(horizon)
    index = pd.DatetimeIndex(times, name="time") if times else pd.RangeIndex(1, horizon + 1, name="step")
    return pd.DataFrame(arrays, index=index)


def series_files(data, folder: Path) -> dict:
    """Series in memory for a trained forecaster (``predict``, ``evaluate``), written so that the
    run's own column options do not apply: a long DataFrame as its CSV (its columns named by the
    options, or the run's); dated series as a long CSV ``id,time,value``; others as a wide CSV
    (one series per row)."""
    if is_frame(data):
        return {"csv": write_file(folder, "series.csv", frame_csv(data))}
    return named_files(data if isinstance(data, dict) else {"series": data}, folder)


def named_files(named: dict, folder: Path) -> dict:
    """Named series in memory: where every one is dated, a long CSV ``id,time,value`` (the options
    naming its columns); else a wide CSV, undated."""
    if not named:
        raise RnnkitError("data: no series (an empty dict)")
    return written_series({str(name): values_of(values, f"series {name!r}") for name, values in named.items()},
                          {str(name): times_of(values) for name, values in named.items()}, folder)


def written_series(values: dict[str, list[float]], times: dict[str, list[str] | None], folder: Path) -> dict:
    """Series by name (their values, and their times as text or None) written into ``folder``: a
    long CSV ``id,time,value`` where every one is dated, else a wide CSV; the options that read it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if all(times[name] is not None for name in values):
        writer.writerow(["id", "time", "value"])
        for name, series in values.items():
            writer.writerows([name, t, number(v)] for t, v in zip(times[name], series))
        return {"csv": write_file(folder, "series.csv", out.getvalue()), "id_column": "id", "time_column": "time",
                "column": "value"}
    writer.writerow(["series", *(f"V{k}" for k in range(1, max(len(v) for v in values.values()) + 1))])
    for name, series in values.items():
        if not name.strip():
            raise RnnkitError("data: a series has an empty name")
        writer.writerow([name, *map(number, series)])
    return {"wide": write_file(folder, "series-wide.csv", out.getvalue())}


def frame_csv(frame) -> str:
    """A DataFrame as CSV, its index kept as a column where it holds something (dates)."""
    if frame.empty:
        raise RnnkitError("data: the DataFrame has no rows")
    index = frame.index
    kept = not (index.name is None and str(index.dtype).startswith("int") and list(index) == list(range(len(index))))
    return frame.to_csv(index=kept)


def test_files(model, data, folder: Path) -> dict:
    """``model.evaluate(series)``: the series, each scored on its last values held out."""
    return series_files(data, folder)


def data_files(data, valid, folder: Path) -> dict:
    """``series.csv`` (the option ``csv``; for several dated series in long form, with the options
    naming its columns) or ``series-wide.csv`` (the option ``wide``) in ``folder``; a DataFrame as
    its CSV, read by the options given with it (``id_column``, ``time_column``, ``column``)."""
    if valid is not None:
        raise RnnkitError("valid: a forecaster validates on the values before each series' held-out last ones "
                          "(valid_origins=K for more of them); give no valid=")
    if data is None:
        return {}
    if is_frame(data):
        return {"csv": write_file(folder, "series.csv", frame_csv(data))}
    if isinstance(data, dict):
        return named_files(data, folder)
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
