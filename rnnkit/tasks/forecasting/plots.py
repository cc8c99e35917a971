"""A forecast drawn after its series' history, with its intervals."""
from __future__ import annotations

from pathlib import Path

import torch

from rnnkit.data.series import Series
from rnnkit.figures import save_figure, subplots
from rnnkit.models.forecaster import Forecaster
from rnnkit.tasks.forecasting.predict import point_and_intervals


def draw(model: Forecaster, s: Series, end: int, quantiles: torch.Tensor, path: Path, title: str,
         actual=None) -> None:
    """The forecast from ``end`` (``quantiles [H, Q]``) after the series' history, into ``path``."""
    H = quantiles.shape[0]
    shown = max(0, end - max(4 * H, 48))
    times = s.times
    future = ([s.step.after(times[end - 1], k) for k in range(1, H + 1)] if times else None)
    median, intervals = point_and_intervals(model, quantiles)
    plot_forecast(s.values[shown:end], median.tolist(),
                  {level: (lo.tolist(), hi.tolist()) for level, (lo, hi) in intervals.items()},
                  path, actual=None if actual is None or len(actual) < H else list(actual[:H]),
                  history_x=times[shown:end] if times else list(range(shown + 1, end + 1)),
                  forecast_x=future or list(range(end + 1, end + H + 1)), title=title)


def plot_forecast(history, forecast, intervals: dict, path: Path, *, actual=None, history_x=None,
                  forecast_x=None, title: str = "") -> None:
    """A series' history, its forecast with the shaded 80% and 95% intervals (``intervals``:
    {80: (lo, hi), 95: (lo, hi)}) and, where known, the actual values.  ``history_x`` and
    ``forecast_x``: the times (default: step numbers, the forecast after the history)."""
    history_x = list(range(len(history))) if history_x is None else history_x
    forecast_x = list(range(len(history), len(history) + len(forecast))) if forecast_x is None else forecast_x
    fig, ax = subplots(figsize=(8, 4), dpi=110)
    ax.plot(history_x, history, color="tab:blue", linewidth=1.2, label="history")
    for level, alpha in ((95, 0.15), (80, 0.3)):
        if level in intervals:
            lo, hi = intervals[level]
            ax.fill_between(forecast_x, lo, hi, color="tab:orange", alpha=alpha, linewidth=0, label=f"{level}% interval")
    ax.plot(forecast_x, forecast, color="tab:orange", linewidth=1.5, label="forecast")
    if actual is not None:
        ax.plot(forecast_x, actual, color="black", linewidth=1, linestyle="--", marker=".", label="actual")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    save_figure(fig, path)
