"""Series for a forecaster: read from the flags given (or a run's), checked against what the run
can read, cut into the windows it reads, and the season and validation origins they imply."""
from __future__ import annotations

import math

from rnnkit.data.seasons import calendar_season, common_period, detected_period, naive_error
from rnnkit.data.series import Series, read_csv, read_tsf, read_wide_csv
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models.forecaster import Forecaster, Windows, windows
from rnnkit.tasks.forecasting.config import MIN_VALID, SERIES_FLAGS


def read_series(args, defaults: dict | None = None) -> list[Series]:
    """The series named by ``args.csv``, ``args.tsf`` or ``args.wide`` (a ``--csv`` file of one
    series per row is read as ``--wide``), read with the run's column options (``defaults``)
    unless ``args`` gives its own."""
    defaults = defaults or {}

    def pick(name):
        given = getattr(args, name, None)
        return given if given is not None else defaults.get(name)

    missing = pick("missing") or "error"
    given = [flag for flag in SERIES_FLAGS if getattr(args, flag, None)]
    if len(given) > 1:
        raise RnnkitError(f"give one of --csv, --tsf and --wide, not {' and '.join('--' + g for g in given)}")
    if not given:
        raise RnnkitError("give the series: --csv FILE (one series), --tsf FILE or --wide FILE (many)")
    path = getattr(args, given[0])
    if given == ["tsf"]:
        return read_tsf(path, missing)
    if given == ["wide"]:
        return read_wide_csv(path, missing)
    return read_csv(path, pick("column"), pick("time_column"), missing, pick("id_column"))


def default_origins(horizon: int, lengths: list[int]) -> int:
    """Enough validation origins for ``MIN_VALID`` validation values over all series, as long as
    the validation part stays within a quarter of the typical series."""
    room = sorted(lengths)[len(lengths) // 2] // 4 - horizon + 1
    return max(1, min(math.ceil(MIN_VALID / (horizon * len(lengths))), room))


def resolve_season(given: int | str, series: list[Series], held: int, validation: int) -> tuple[int, str]:
    """``(season, where it came from)``: the given one, else the calendar's, else the period the
    training values show where its seasonal naive forecast beats the naive one on the
    validation part (the ``validation`` values before the last ``held - validation``)."""
    if given != "auto":
        return int(given), "given"
    steps = {s.step for s in series}
    if len(steps) == 1 and None not in steps:
        step = steps.pop()
        length = sorted(len(s.values) for s in series)[len(series) // 2]
        return calendar_season(step.months, step.seconds, length), "the series' calendar"
    ends = [len(s.values) - held for s in series]
    period = common_period([detected_period(s.values[:end]) for s, end in zip(series, ends)])
    if period == 1:
        return 1, "no period in the values' autocorrelation"
    ratios = [naive_error(s.values, end, end + validation, period) / naive_error(s.values, end, end + validation, 1)
              for s, end in zip(series, ends)]
    ratios = [r for r in ratios if math.isfinite(r)]
    if ratios and sum(ratios) / len(ratios) < 1:
        return period, "the values' autocorrelation, checked on validation"
    return 1, f"the values' period {period} did not forecast the validation part better"


def calendar_start(series: Series, position: int) -> int:
    """The calendar step of value ``position`` (the season's phase comes from it): counted from
    1970 where the series has times, else from its first value."""
    return (series.step.index(series.times[0]) if series.times else 0) + position


def check_readable(model: Forecaster, series: list[Series], horizon: int, ends: list[list[int]] | None = None) -> None:
    """Refuse, naming the series and line, what the run cannot forecast from: a series shorter
    than the horizon (its scale and season are not there to read), or, for a run that forecasts
    the logarithm, a value at or below 0 in a window it reads (``ends``: each series' origins;
    default its end)."""
    for s, origins in zip(series, ends or [[len(s.values)] for s in series]):
        if len(s.values) < horizon:
            raise DataError(f"{s.source}: series {s.name!r} has {len(s.values)} value(s), fewer than the {horizon} "
                            "to forecast: too few to read its level, spread and season from; leave it out or "
                            "forecast it with a shorter --horizon")
        if not model.log:
            continue
        first = max(0, min(origins) - model.window)
        bad = next((i for i in range(first, max(origins)) if s.values[i] <= 0), None)
        if bad is not None:
            where = f", line {s.lines[bad]}" if s.lines else ""
            raise DataError(f"{s.source}{where}: series {s.name!r} has the value {s.values[bad]:g}; this run forecasts "
                            "the logarithm (it was trained on positive values), so every value it reads must be above "
                            "0: train a run with --scale standard for this series")


def history(series: Series, end: int, window: int) -> tuple[list[float], int]:
    """The values before ``end`` that a window reads, and the calendar step of the first."""
    begin = max(0, end - window)
    return series.values[begin:end], calendar_start(series, begin)


def followers(series: list[Series], path: str, horizon: int) -> dict[str, list[float]]:
    """The first ``horizon`` values after each series, from ``path`` (a ``.tsf`` file, else a
    wide CSV, of the same series matched by name: M4's test file beside its training file)."""
    found = {s.name: s for s in (read_tsf(path) if str(path).endswith((".tsf", ".tsf.gz")) else read_wide_csv(path))}
    out = {}
    for s in series:
        after = found.get(s.name)
        if after is None:
            raise DataError(f"{path}: has no series {s.name!r} (the series of {s.source} are matched by name)")
        if len(after.values) < horizon:
            raise DataError(f"{path}, line {after.lines[0] if after.lines else '?'}: series {s.name!r} has "
                            f"{len(after.values)} value(s), fewer than the {horizon} to score")
        out[s.name] = after.values[:horizon]
    return out


def check_horizon(horizon: int, trained: int) -> None:
    if horizon > trained:
        raise RnnkitError(f"--horizon {horizon} is beyond the run's: it was trained to forecast {trained} values "
                          f"(give --horizon {trained} or less, or train with a longer --horizon)")


def validation_windows(series_ends: list[tuple[Series, int]], horizon: int, window: int) -> Windows:
    """Each series' window ending at ``end`` with the ``horizon`` values after it as the target."""
    return windows(*zip(*[(*history(s, end, window), s.values[end : end + horizon]) for s, end in series_ends]))
