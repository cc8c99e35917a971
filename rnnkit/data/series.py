"""Time series from files: a column of a CSV file, or every series of a Monash ``.tsf`` file.

CSV: the values are one column, chosen by header name or 0-based index (default: the last);
an optional time column (default: the first column, where it holds times) is read in the common
forms: ISO dates and times, ``YYYY-MM``, ``YYYYMMDD``, years, month-name dates (``Jan-1-1995``,
``Jan 1995``).  Times that do not parse, or that are not evenly spaced, are a warning: the series
is still read, without times.  A missing value (an empty cell, ``NA``, ``NaN``, ``?``) is an
error unless ``missing`` is "interpolate" (linear between its neighbours) or "mask" (kept as
NaN for the model to mask).

``.tsf`` (Monash forecasting archive, Godahewa et al. 2021): ``@attribute`` lines name the
fields before each series' values, ``@frequency`` and ``@horizon`` apply to all of them, then
after ``@data`` one series per line, ``name:start:v1,v2,...`` with ``?`` for a missing value.

Errors name the file and line.
"""
from __future__ import annotations

import calendar
import csv
import math
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rnnkit.data.text import headed_lines, read_text
from rnnkit.errors import DataError

MISSING_POLICIES = ("error", "interpolate", "mask")
MISSING_MARKS = {"", "na", "nan", "n/a", "null", "none", "?", "-"}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                "%Y/%m/%d", "%Y-%m", "%Y/%m", "%Y%m%d", "%Y", "%b-%d-%Y", "%b %d %Y", "%b %d, %Y", "%d %b %Y",
                "%d-%b-%Y", "%B %d, %Y", "%d %B %Y", "%b-%Y", "%b %Y", "%B %Y", "%Y-%b", "%Y %b", "%Y %B",
                "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d %H-%M-%S")
TSF_STEPS = {"yearly": (12, 0), "quarterly": (3, 0), "monthly": (1, 0), "weekly": (0, 7 * 86400),
             "daily": (0, 86400), "hourly": (0, 3600), "half_hourly": (0, 1800), "minutely": (0, 60),
             "10_minutes": (0, 600), "4_seconds": (0, 4)}


@dataclass(frozen=True)
class Step:
    """The spacing of a regular series: calendar months, or a fixed number of seconds."""
    months: int = 0
    seconds: float = 0.0

    def after(self, t: datetime, n: int = 1) -> datetime:
        if self.months:
            month = t.month - 1 + n * self.months
            year, month = t.year + month // 12, month % 12 + 1
            return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))
        return t + timedelta(seconds=n * self.seconds)

    def index(self, t: datetime) -> int:
        """Steps since 1970-01-01 (a calendar position: the month of the year, the day of the week)."""
        if self.months:
            return ((t.year - 1970) * 12 + t.month - 1) // self.months
        return int((t - datetime(1970, 1, 1, tzinfo=t.tzinfo)).total_seconds() // self.seconds)


@dataclass
class Series:
    name: str
    values: list[float]                    # NaN where a value is missing (``missing="mask"``)
    source: str                            # the file
    lines: list[int] = field(default_factory=list)   # 1-based line of each value (CSV)
    times: list[datetime] | None = None    # one per value, where known and evenly spaced
    step: Step | None = None
    time_format: str | None = None         # how the file writes a time (strftime), for the output
    horizon: int | None = None             # the file's own horizon (.tsf)

    def future(self, n: int) -> list[datetime] | None:
        """The times of the ``n`` values after the last one, where the series has times."""
        if self.times is None or self.step is None:
            return None
        return [self.step.after(self.times[-1], k) for k in range(1, n + 1)]

    def format_time(self, t: datetime) -> str:
        return t.strftime(self.time_format) if self.time_format else t.isoformat()


def _number(text: str) -> float | None:
    """The value of a cell; None where it marks a missing value; raises ValueError otherwise."""
    if text.strip().lower() in MISSING_MARKS:
        return None
    value = float(text)
    return None if math.isnan(value) else value


def _is_number(text: str) -> bool:
    try:
        return _number(text) is not None
    except ValueError:
        return False


def _column(column: str | int | None, default: int, header: list[str] | None, path, width: int, what: str) -> int:
    if column is None:
        return default % width
    if isinstance(column, int) or str(column).lstrip("-").isdigit():
        index = int(column)
        if not -width <= index < width:
            names = f" ({', '.join(header)})" if header else ""
            raise DataError(f"{path}: {what} {index} does not exist: the file has {width} columns{names}, "
                            "counted from 0")
        return index % width
    if header is None or column not in header:
        names = ", ".join(header) if header else "none: the file has no header line"
        raise DataError(f"{path}: no column named {column!r} (columns: {names})")
    return header.index(column)


def read_csv_series(path: str | Path, column: str | int | None = None, time_column: str | int | None = None,
                    missing: str = "error") -> Series:
    """The series in column ``column`` of a CSV file (comma-, semicolon- or tab-separated)."""
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    text = read_text(path)
    lines = text.split("\n")
    try:
        dialect = csv.Sniffer().sniff(next(line for line in lines if line.strip()), delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [(n, row) for n, row in enumerate(csv.reader(lines, dialect), 1) if any(cell.strip() for cell in row)]
    first = rows[0][1]
    width = len(first)
    header = None
    if not any(_is_number(cell) for cell in first) and first[-1].strip().lower() not in MISSING_MARKS:
        header = [cell.strip() for cell in first]   # no number in it, and a named last column
        rows = rows[1:]
    value_index = _column(column, width - 1, header, path, width, "column")
    name = header[value_index] if header else f"column {value_index}"
    if not rows:
        raise DataError(f"{path}: has no values in column {name!r}")
    values, numbers = [], []
    for n, row in rows:
        if len(row) <= value_index:
            raise DataError(f"{path}, line {n}: has {len(row)} fields, the value column {name!r} is field "
                            f"{value_index + 1}")
        try:
            value = _number(row[value_index])
        except ValueError:
            raise DataError(f"{path}, line {n}: {row[value_index].strip()!r} in column {name!r} is not a number") \
                from None
        if value is None and missing == "error":
            raise DataError(f"{path}, line {n}: the value in column {name!r} is missing; fill it in, or give "
                            "--missing interpolate (linear between its neighbours) or --missing mask (the model "
                            "skips it)")
        values.append(math.nan if value is None else value)
        numbers.append(n)
    if all(math.isnan(v) for v in values):
        raise DataError(f"{path}: column {name!r} has no values, only missing ones")
    if missing == "interpolate":
        values = interpolate(values)
    series = Series(name=name, values=values, source=str(path), lines=numbers)
    times_index = None
    if time_column is not None:
        times_index = _column(time_column, 0, header, path, width, "time column")
    elif width > 1 and value_index != 0:
        times_index = 0
    if times_index is not None and times_index != value_index:
        _read_times(series, [row[times_index] if len(row) > times_index else "" for _, row in rows],
                    header[times_index] if header else f"column {times_index}", explicit=time_column is not None)
    return series


def interpolate(values: list[float]) -> list[float]:
    """Missing values (NaN) filled linearly between their neighbours; at either end, the nearest value."""
    known = [i for i, v in enumerate(values) if not math.isnan(v)]
    out = list(values)
    for i in range(len(values)):
        if not math.isnan(out[i]):
            continue
        before = max((k for k in known if k < i), default=None)
        after = min((k for k in known if k > i), default=None)
        if before is None or after is None:
            out[i] = values[before if after is None else after]
        else:
            w = (i - before) / (after - before)
            out[i] = values[before] * (1 - w) + values[after] * w
    return out


def parse_times(cells: list[str]) -> tuple[list[datetime], str] | None:
    """The times in ``cells`` and their format, where one of TIME_FORMATS reads every one."""
    first = cells[0].strip()
    for fmt in TIME_FORMATS:
        try:
            datetime.strptime(first, fmt)
        except ValueError:
            continue
        try:
            return [datetime.strptime(c.strip(), fmt) for c in cells], fmt
        except ValueError:
            continue
    return None


def regular_step(times: list[datetime]) -> Step | None:
    """The spacing of ``times`` where it is the same between every two (calendar months, as for
    monthly or yearly data, or a fixed duration), else None."""
    if len(times) < 2:
        return None
    months = [(b.year - a.year) * 12 + b.month - a.month for a, b in zip(times, times[1:])]
    if months[0] > 0 and all(m == months[0] for m in months) and all(t.day == times[0].day for t in times):
        return Step(months=months[0])
    seconds = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    if seconds[0] > 0 and all(s == seconds[0] for s in seconds):
        return Step(seconds=seconds[0])
    return None


def _read_times(series: Series, cells: list[str], name: str, explicit: bool) -> None:
    parsed = parse_times(cells)
    if parsed is None:
        if explicit:
            warnings.warn(f"{series.source}: the time column {name!r} is not in a form rnnkit reads (ISO dates, "
                          "YYYY-MM, YYYYMMDD, years, month-name dates); the series is read without times")
        return
    times, fmt = parsed
    step = regular_step(times)
    if step is None:
        warnings.warn(f"{series.source}: the times in column {name!r} are not evenly spaced; the series is read "
                      "without times (forecasts are numbered by step)")
        return
    unpadded = [fmt, fmt.replace("%d", "%-d"), fmt.replace("%m", "%-m"), fmt.replace("%d", "%-d").replace("%m", "%-m")]
    written = next((f for f in unpadded if times[0].strftime(f) == cells[0].strip()), fmt)   # as the file writes them
    series.times, series.step, series.time_format = times, step, written


def read_tsf(path: str | Path, missing: str = "error") -> list[Series]:
    """Every series of a Monash ``.tsf`` file."""
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    header, data, _ = headed_lines(path)
    attributes: list[tuple[str, str]] = []
    frequency, horizon, found = None, None, []
    for n, key, rest in header:
        if key == "attribute":
            parts = rest.split()
            if len(parts) != 2:
                raise DataError(f"{path}, line {n}: expected '@attribute NAME TYPE', found '@attribute {rest}'")
            attributes.append((parts[0], parts[1].lower()))
        elif key == "frequency":
            frequency = rest.lower()
        elif key == "horizon":
            try:
                horizon = int(rest)
            except ValueError:
                raise DataError(f"{path}, line {n}: @horizon must be a whole number, found {rest!r}") from None
    for n, line in data:
        fields = line.split(":", len(attributes))
        if len(fields) != len(attributes) + 1:
            raise DataError(f"{path}, line {n}: expected {len(attributes)} field(s) "
                            f"({', '.join(a for a, _ in attributes)}) and the values, separated by ':'")
        named = dict(zip((a for a, _ in attributes), fields))
        start = None
        for (attribute, kind), text in zip(attributes, fields):
            if kind == "date":
                parsed = parse_times([text])
                if parsed is None:
                    raise DataError(f"{path}, line {n}: the {attribute} {text!r} is not a date")
                start = parsed[0][0]
        name = named.get("series_name", next(iter(named.values()), f"series {len(found) + 1}"))
        values = []
        for k, cell in enumerate(fields[-1].split(","), 1):
            try:
                value = _number(cell)
            except ValueError:
                raise DataError(f"{path}, line {n}: value {k} of series {name!r}, {cell.strip()!r}, is not a "
                                "number") from None
            if value is None and missing == "error":
                raise DataError(f"{path}, line {n}: value {k} of series {name!r} is missing; give --missing "
                                "interpolate or --missing mask")
            values.append(math.nan if value is None else value)
        if all(math.isnan(v) for v in values):
            raise DataError(f"{path}, line {n}: series {name!r} has no values")
        if missing == "interpolate":
            values = interpolate(values)
        step = Step(*TSF_STEPS[frequency]) if frequency in TSF_STEPS else None
        times = [step.after(start, k) for k in range(len(values))] if step is not None and start else None
        found.append(Series(name=name, values=values, source=str(path), lines=[n] * len(values), times=times,
                            step=step if times else None, time_format="%Y-%m-%d" if times else None,
                            horizon=horizon))
    if not found:
        raise DataError(f"{path}: has no series (no lines after @data)")
    return found
