"""The season of a series, from its calendar or from its values.

From the calendar (the spacing of a dated series, or a ``.tsf`` file's ``@frequency``): hourly
values repeat daily (24), half-hourly too (48), daily values weekly (7), weekly values yearly (52,
where at least two years are there to learn it from), monthly values yearly (12), quarterly ones
yearly (4); yearly and other values have none (1).

From the values (an undated series): the lag ``m`` of the highest autocorrelation of the
differenced series among its local peaks (Hyndman & Athanasopoulos, "Forecasting: Principles
and Practice", 2.8), kept only where ``r_m`` is clearly above noise (``> 2 / sqrt(n)`` and at
least ``MIN_ACF``).  The caller then checks the candidate on held-out values against no season.
"""
from __future__ import annotations

import math
from collections import Counter

import torch

MIN_ACF = 0.3
HOUR, DAY = 3600, 86400


def calendar_season(months: int, seconds: float, length: int) -> int:
    """The season of a regular series stepping ``months`` calendar months or ``seconds`` seconds,
    ``length`` values long."""
    if months == 1:
        return 12
    if months == 3:
        return 4
    if seconds == HOUR:
        return 24
    if seconds == HOUR / 2:
        return 48
    if seconds == DAY:
        return 7
    if seconds == 7 * DAY:
        return 52 if length >= 2 * 52 else 1
    return 1


def autocorrelations(values: list[float], max_lag: int) -> torch.Tensor:
    """``r_1 .. r_max_lag`` of ``values`` (pairs with a missing value left out); empty where
    the values do not vary."""
    x = torch.tensor(values, dtype=torch.float64)
    known = ~torch.isnan(x)
    if int(known.sum()) < 3:
        return x.new_zeros(0)
    centred = torch.where(known, x - x[known].mean(), 0.0)
    denominator = (centred * centred).sum()
    if denominator <= 0:
        return x.new_zeros(0)
    lags = range(1, min(max_lag, len(values) - 1) + 1)
    return torch.stack([(centred[:-k] * centred[k:]).sum() for k in lags]) / denominator


def detected_period(values: list[float], max_period: int | None = None) -> int:
    """The seasonal period the values show (1: none): the lag of the highest local peak of the
    autocorrelation of their first differences, between 2 and a third of their length."""
    diffs = [b - a for a, b in zip(values, values[1:])]
    limit = min(len(diffs) // 3, max_period or len(diffs))
    r = autocorrelations(diffs, limit + 1).tolist()
    if len(r) < 3:
        return 1
    threshold = max(MIN_ACF, 2 / math.sqrt(len(diffs)))
    peaks = [(r[k], k + 1) for k in range(1, min(limit, len(r) - 1))
             if r[k] > r[k - 1] and r[k] >= r[k + 1] and r[k] > threshold]
    return max(peaks)[1] if peaks else 1


def common_period(candidates: list[int]) -> int:
    """The period most series show (the smallest on a tie); 1 where most show none."""
    counts = Counter(candidates)
    best = max(counts.values())
    return min(p for p, n in counts.items() if n == best)


def naive_error(values: list[float], start: int, end: int, season: int) -> float:
    """Mean absolute error of the seasonal naive forecast (``season`` 1: the naive one) of
    ``values[start:end]`` from ``values[:start]``: each value forecast by the one a whole number
    of seasons before it, counted from the last value before ``start``."""
    errors = []
    for t in range(start, end):
        source = start - season + (t - start) % season
        if source >= 0 and not (math.isnan(values[t]) or math.isnan(values[source])):
            errors.append(abs(values[t] - values[source]))
    return sum(errors) / len(errors) if errors else math.nan
