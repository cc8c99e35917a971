"""Backtesting over rolling origins (``rnnkit evaluate RUN --origins K``): the figures of each
origin and their mean.  With ``--refit`` a forecaster is trained anew at each origin, with the
run's own options, on the values before it (each series cut there), as a user who retrains
before every forecast would; without, the run's model forecasts from every origin."""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import torch

from rnnkit.data.series import Series
from rnnkit.models.forecaster import windows
from rnnkit.tasks.base import Training, load
from rnnkit.tasks.forecasting.metrics import mean_metrics, series_metrics
from rnnkit.tasks.forecasting.predict import forecast, point_and_intervals
from rnnkit.tasks.forecasting.python import written_series
from rnnkit.tasks.forecasting.series import check_readable, history

NOT_REPLAYED = ("csv", "tsf", "wide", "column", "time_column", "id_column", "out", "resume", "tensorboard")


def origin_ends(series: list[Series], horizon: int, origins: int) -> list[list[int]]:
    """For each origin (oldest first), each series' end: the values before it are known."""
    return [[len(s.values) - horizon - (origins - 1) + k for s in series] for k in range(origins)]


def scored(model, series: list[Series], ends: list[int], horizon: int, season: int) -> dict:
    """The mean figures over ``series`` of ``model``'s forecasts from ``ends``."""
    check_readable(model, series, horizon, [[end] for end in ends])
    w = windows(*zip(*[history(s, end, model.window) for s, end in zip(series, ends)]))
    quantiles = forecast(model, w)[:, :horizon]
    median, intervals = point_and_intervals(model, quantiles)
    per_series = []
    for b, (s, end) in enumerate(zip(series, ends)):
        actual = torch.tensor(s.values[end : end + horizon], dtype=torch.float64)
        per_series.append(series_metrics(actual, median[b], {level: (lo[b], hi[b]) for level, (lo, hi) in
                                                             intervals.items()},
                                         torch.tensor(s.values[:end], dtype=torch.float64), season))
    return mean_metrics(per_series)


def by_origin(model, series: list[Series], horizon: int, origins: int, season: int, task_class=None) -> list[dict]:
    """The figures at each origin, oldest first (``origin``: the values of the first series known
    there); with ``task_class`` a forecaster of that task is trained anew at each."""
    found = []
    with tempfile.TemporaryDirectory(prefix="rnnkit-backtest-") as folder:
        for k, ends in enumerate(origin_ends(series, horizon, origins)):
            forecaster = model
            if task_class is not None:
                forecaster = refit(task_class, model, [cut(s, end) for s, end in zip(series, ends)], horizon,
                                   Path(folder) / f"origin-{k + 1}")
            found.append({"origin": ends[0],
                          **scored(forecaster, series, ends, horizon, season)})
    return found


def cut(series: Series, end: int) -> Series:
    """The series up to (not including) ``end``."""
    return dataclasses.replace(series, values=series.values[:end], lines=series.lines[:end],
                               times=series.times[:end] if series.times else None)


def refit(task_class, model, series: list[Series], horizon: int, folder: Path):
    """A forecaster trained with ``model``'s run options on ``series``, in the run ``folder``."""
    values = {k: v for k, v in model.run_config["args"].items() if k not in NOT_REPLAYED}
    written = written_series({s.name: s.values for s in series},
                             {s.name: [s.format_time(t) for t in s.times] if s.times else None for s in series}, folder)
    values.update(written, horizon=horizon, out=str(folder / "run"))
    Training(task_class, values).run()
    return load(folder / "run", model.run_config["args"].get("device") or "auto")
