"""Forecast accuracy and interval coverage, per series and averaged over series.

For the actual values ``a`` and point forecasts ``f`` of one series (every step ahead of every
forecast origin pooled), with ``y`` the history before the first origin and ``m`` the season:

    MAPE  = 100 mean |a - f| / |a|              (steps with a = 0 left out)
    sMAPE = 100 mean 2 |a - f| / (|a| + |f|)    (0-200 scale)
    MASE  = mean |a - f| / mean_t |y_t - y_{t-m}|   (Hyndman & Koehler 2006; m = 1 without a season)
    RMSE  = sqrt(mean (a - f)^2)
    coverageN = the fraction of actual values inside the N% interval

Several series: the mean of each figure over the series (as the M and Monash comparisons report).
"""
from __future__ import annotations

import math

import torch

LABELS = ("MAPE", "sMAPE", "MASE", "RMSE", "coverage80", "coverage95")


def series_metrics(actual: torch.Tensor, forecast: torch.Tensor, intervals: dict[int, tuple], history: torch.Tensor,
                   season: int = 1) -> dict[str, float]:
    """The figures of one series: ``actual`` and ``forecast`` of the same shape (missing actual
    values NaN), ``intervals`` {80: (lo, hi), 95: (lo, hi)} of that shape, ``history`` 1-D."""
    known = ~torch.isnan(actual)
    a, f = actual[known].double(), forecast[known].double()
    error = (a - f).abs()
    nonzero = a != 0
    y = history[~torch.isnan(history)].double()
    m = season if len(y) > season else 1
    naive = (y[m:] - y[:-m]).abs().mean() if len(y) > m else torch.tensor(math.nan, dtype=torch.float64)
    out = {"MAPE": float(100 * (error[nonzero] / a[nonzero].abs()).mean()) if nonzero.any() else math.nan,
           "sMAPE": float(100 * (2 * error / (a.abs() + f.abs()).clamp(min=1e-12)).mean()),
           "MASE": float(error.mean() / naive) if naive > 0 else math.nan,
           "RMSE": float(((a - f) ** 2).mean().sqrt())}
    for level, (lo, hi) in intervals.items():
        inside = (lo[known].double() <= a) & (a <= hi[known].double())
        out[f"coverage{level}"] = float(inside.double().mean())
    return out


def mean_metrics(per_series: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each figure over the series (those where it is defined)."""
    out = {}
    for label in per_series[0]:
        values = [m[label] for m in per_series if not math.isnan(m[label])]
        out[label] = sum(values) / len(values) if values else math.nan
    return out


def format_forecast_metrics(metrics: dict) -> str:
    """``MAPE 6.12  sMAPE 6.30  MASE 0.812  RMSE 25.31  coverage80 0.8333  coverage95 0.9583``, and
    after it one such line per origin where there are several (``origin 74: ...``); a figure that
    is not defined (MAPE where every actual value is 0, MASE of a constant history) reads ``n/a``."""
    digits = {"MAPE": 2, "sMAPE": 2, "MASE": 3, "RMSE": 4, "coverage80": 4, "coverage95": 4}
    line = "  ".join(f"{label} {metrics[label]:.{digits[label]}f}" if math.isfinite(metrics[label]) else f"{label} n/a"
                     for label in LABELS if label in metrics)
    return "\n".join([line, *(f"origin {o['origin']}: {format_forecast_metrics({k: v for k, v in o.items() if k != 'origin'})}"
                              for o in metrics.get("origins", []))])
