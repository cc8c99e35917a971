"""Time series from files: a column of a CSV file, every row of a wide CSV file (M4's form), or
every series of a Monash ``.tsf`` file.

CSV: the values are one column, chosen by header name or 0-based index (default: the last);
an optional time column (default: the first column, where it holds times; never the value
column) is read in the common forms: ISO dates and times, ``YYYY-MM``, ``YYYYMMDD``, years,
month-name dates (``Jan-1-1995``, ``Jan 1995``), quarters (``2010Q1``, ``2010-Q1``, ``2010 Q1``,
``2010q1``, ``Q1 2010``: the quarter's first month).  Evenly spaced times give the series a step:
calendar months (monthly, quarterly, yearly), anchored at the end of the month where every time
is the last day of its month (``2015-01-31, 2015-02-28, ...``), or a fixed duration.  Times that
do not parse, or that are not evenly spaced, are a warning: the series is still read, without
times.  A missing value (an empty cell, ``NA``, ``NaN``, ``?``) is an error unless ``missing`` is
"interpolate" (linear between its neighbours) or "mask" (kept as NaN for the model to mask).

Wide CSV (M4, Makridakis et al. 2020): a header row (``"V1","V2",...``), then one series per
row, its id first, its values after it, shorter rows padded with empty cells (``"H1","605",
"586",...,"",""``).  ``is_wide_csv`` tells one apart (``read_csv_series`` refuses it);
``read_wide_csv`` reads one series per row, without times.

``.tsf`` (Monash forecasting archive, Godahewa et al. 2021): ``@attribute`` lines name the
fields before each series' values, ``@frequency`` and ``@horizon`` apply to all of them, then
after ``@data`` one series per line, ``name:start:v1,v2,...`` with ``?`` for a missing value.

Errors name the file and line.
"""
from __future__ import annotations

import calendar
import csv
import math
import re
import warnings
from collections.abc import Iterable, Iterator
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
QUARTER_FORMS = (re.compile(r"(?P<Y>\d{4})(?P<sep>[-/ ]?)(?P<q>[Qq])(?P<n>[1-4])"),    # 2010Q1, 2010-Q1, 2010 q1
                 re.compile(r"(?P<q>[Qq])(?P<n>[1-4])(?P<sep>[-/ ])(?P<Y>\d{4})"))     # Q1 2010, Q1-2010
TIME_WORDS = {w.lower() for w in (*calendar.month_name, *calendar.month_abbr, *calendar.day_name,
                                  *calendar.day_abbr, "am", "pm") if w}


@dataclass(frozen=True)
class Step:
    """The spacing of a regular series: calendar months, or a fixed number of seconds.  A month
    step keeps the day of the month (the last day where a month is shorter), or, with
    ``month_end``, gives the last day of each month (series dated at month ends)."""
    months: int = 0
    seconds: float = 0.0
    month_end: bool = False

    def after(self, t: datetime, n: int = 1) -> datetime:
        if self.months:
            month = t.month - 1 + n * self.months
            year, month = t.year + month // 12, month % 12 + 1
            last = calendar.monthrange(year, month)[1]
            return t.replace(year=year, month=month, day=last if self.month_end else min(t.day, last))
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
    step: Step | None = None               # the spacing, where known (dated, or a .tsf's @frequency)
    time_format: str | None = None         # how the file writes a time (strftime), for the output
    horizon: int | None = None             # the file's own horizon (.tsf)

    def future(self, n: int) -> list[datetime] | None:
        """The times of the ``n`` values after the last one, where the series has times."""
        if self.times is None or self.step is None:
            return None
        return [self.step.after(self.times[-1], k) for k in range(1, n + 1)]

    def format_time(self, t: datetime) -> str:
        return format_time(t, self.time_format) if self.time_format else t.isoformat()


def format_time(t: datetime, fmt: str) -> str:
    """``t`` written in ``fmt``: strftime's directives, and ``%q`` for the quarter (1 to 4)."""
    return t.strftime(fmt.replace("%q", str((t.month - 1) // 3 + 1)))


def _number(text: str) -> float | None:
    """The value of a cell; None where it marks a missing value; raises ValueError otherwise."""
    try:
        value = float(text)
    except ValueError:
        if text.strip().lower() in MISSING_MARKS:
            return None
        raise
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


def _csv_lines(path: str | Path) -> tuple[list[str], type[csv.Dialect]]:
    """The lines of a CSV file and its dialect (comma-, semicolon- or tab-separated)."""
    lines = read_text(path).split("\n")
    try:
        dialect = csv.Sniffer().sniff(next(line for line in lines if line.strip()), delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return lines, dialect


def _rows(lines: list[str], dialect: type[csv.Dialect]) -> Iterator[tuple[int, list[str]]]:
    """The rows that are not blank, with their 1-based line numbers, read as they are asked for."""
    return ((n, row) for n, row in enumerate(csv.reader(lines, dialect), 1) if any(cell.strip() for cell in row))


def read_csv_series(path: str | Path, column: str | int | None = None, time_column: str | int | None = None,
                    missing: str = "error") -> Series:
    """The series in column ``column`` of a CSV file (comma-, semicolon- or tab-separated)."""
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    lines, dialect = _csv_lines(path)
    if _is_wide(_rows(lines, dialect)):
        raise DataError(f"{path}: it holds one series per row (M4's wide form): give it as --wide FILE")
    return _column_series(path, lines, dialect, column, time_column, missing)


def read_csv(path: str | Path, column: str | int | None = None, time_column: str | int | None = None,
             missing: str = "error", id_column: str | int | None = None) -> list[Series]:
    """The series of a CSV file, read once: one per row where it is in M4's wide form
    (``read_wide_csv``); one per value of ``id_column`` where that is given (the long form of
    several series, ``id,time,value``, each series' rows in time order); else the one in ``column``
    (``read_csv_series``)."""
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    lines, dialect = _csv_lines(path)
    if id_column is None and _is_wide(_rows(lines, dialect)):
        return _wide_series(path, lines, dialect, missing)
    if id_column is None:
        return [_column_series(path, lines, dialect, column, time_column, missing)]
    return _long_series(path, lines, dialect, column, time_column, id_column, missing)


def _layout(path, rows: list, column, time_column, id_column=None):
    """``(rows without the header, header or None, value column, time column or None, id column or
    None)``; the time column by default is the first column that is neither the value column nor
    the id column (where the value column is not the first)."""
    first = rows[0][1]
    width = len(first)
    header = None
    if not any(_is_number(cell) for cell in first) and first[-1].strip().lower() not in MISSING_MARKS:
        header = [cell.strip() for cell in first]   # no number in it, and a named last column
        rows = rows[1:]
    id_index = None if id_column is None else _column(id_column, 0, header, path, width, "id column")
    value_index = _column(column, width - 1, header, path, width, "column")
    name = header[value_index] if header else f"column {value_index}"
    times_index = None
    if time_column is not None:
        times_index = _column(time_column, 0, header, path, width, "time column")
        if times_index == value_index:
            raise DataError(f"{path}: the time column and the value column are the same column ({name!r}); "
                            "give another column as the time column, or leave it out")
    elif width > 1 and value_index != 0:
        times_index = next((k for k in range(width) if k not in (value_index, id_index)), None)
    if not rows:
        raise DataError(f"{path}: has no values in column {name!r}")
    if id_index is not None and id_index in (value_index, times_index):
        raise DataError(f"{path}: the id column is also the {'value' if id_index == value_index else 'time'} column; "
                        "give each its own column")
    return rows, header, value_index, times_index, id_index


def _column_series(path, lines: list[str], dialect, column, time_column, missing: str) -> Series:
    """``read_csv_series`` of lines already read."""
    rows, header, value_index, times_index, _ = _layout(path, list(_rows(lines, dialect)), column, time_column)
    name = header[value_index] if header else f"column {value_index}"
    return _series_of_rows(path, rows, name, header, value_index, times_index, time_column is not None, missing)


def _long_series(path, lines: list[str], dialect, column, time_column, id_column, missing: str) -> list[Series]:
    """One series per value of the id column, in order of first appearance."""
    rows, header, value_index, times_index, id_index = _layout(path, list(_rows(lines, dialect)), column, time_column,
                                                               id_column)
    groups: dict[str, list] = {}
    for n, row in rows:
        key = row[id_index].strip() if len(row) > id_index else ""
        if not key:
            raise DataError(f"{path}, line {n}: the id column names no series (it is empty)")
        groups.setdefault(key, []).append((n, row))
    return [_series_of_rows(path, group, key, header, value_index, times_index, time_column is not None, missing)
            for key, group in groups.items()]


def _series_of_rows(path, rows: list, name: str, header, value_index: int, times_index: int | None, explicit: bool,
                    missing: str) -> Series:
    """The series named ``name`` in ``rows`` (line number, cells): its values and, where the time
    column reads as times, its dates."""
    column = header[value_index] if header else f"column {value_index}"
    values, numbers = [], []
    for n, row in rows:
        if len(row) <= value_index:
            raise DataError(f"{path}, line {n}: has {len(row)} fields, the value column {column!r} is field "
                            f"{value_index + 1}")
        try:
            value = _number(row[value_index])
        except ValueError:
            raise DataError(f"{path}, line {n}: {row[value_index].strip()!r} in column {column!r} is not a number") \
                from None
        if value is None and missing == "error":
            raise DataError(f"{path}, line {n}: the value in column {column!r} is missing; fill it in, or give "
                            "--missing interpolate (linear between its neighbours) or --missing mask (the model "
                            "skips it)")
        values.append(math.nan if value is None else value)
        numbers.append(n)
    if all(math.isnan(v) for v in values):
        raise DataError(f"{path}: {'column ' + repr(column) if name == column else 'series ' + repr(name)} has no "
                        "values, only missing ones")
    if missing == "interpolate":
        values = interpolate(values)
    series = Series(name=name, values=values, source=str(path), lines=numbers)
    if times_index is not None:
        _read_times(series, [row[times_index] if len(row) > times_index else "" for _, row in rows],
                    header[times_index] if header else f"column {times_index}", explicit=explicit)
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
    """The times in ``cells`` and their format, where one of TIME_FORMATS, or one form of quarter,
    reads every one (a quarter's format writes it with ``%q``, for ``format_time``)."""
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
    quarters = [_quarter(c) for c in cells]
    if quarters[0] is not None and all(q is not None and q[1] == quarters[0][1] for q in quarters):
        return [t for t, _ in quarters], quarters[0][1]
    return None


def _quarter(text: str) -> tuple[datetime, str] | None:
    """The first day of the quarter that ``text`` names (``2010Q1``, ``2010-Q1``, ``Q1 2010``...)
    and the format that writes it so, else None."""
    text = text.strip()
    for form in QUARTER_FORMS:
        m = form.fullmatch(text)
        if m:
            fmt = f"%Y{m['sep']}{m['q']}%q" if text[0].isdigit() else f"{m['q']}%q{m['sep']}%Y"
            return datetime(int(m["Y"]), 3 * int(m["n"]) - 2, 1), fmt
    return None


def _is_month_end(t: datetime) -> bool:
    return t.day == calendar.monthrange(t.year, t.month)[1]


def regular_step(times: list[datetime]) -> Step | None:
    """The spacing of ``times`` where it is the same between every two (calendar months, as for
    monthly or yearly data: on the same day of the month, or each on its month's last day; or a
    fixed duration), else None."""
    if len(times) < 2:
        return None
    months = [(b.year - a.year) * 12 + b.month - a.month for a, b in zip(times, times[1:])]
    if months[0] > 0 and all(m == months[0] for m in months):
        if all(_is_month_end(t) for t in times):
            return Step(months=months[0], month_end=True)
        if all(t.day == times[0].day for t in times):
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
    written = next((f for f in unpadded if format_time(times[0], f) == cells[0].strip()), fmt)   # as the file has them
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
        values = _row_values(fields[-1].split(","), path, n, name, missing)
        step = Step(*TSF_STEPS[frequency]) if frequency in TSF_STEPS else None
        if step is not None and step.months and start is not None and _is_month_end(start):
            step = Step(months=step.months, month_end=True)   # dated at month ends: stays so
        times = [step.after(start, k) for k in range(len(values))] if step is not None and start else None
        found.append(Series(name=name, values=values, source=str(path), lines=[n] * len(values), times=times,
                            step=step, time_format="%Y-%m-%d" if times else None,
                            horizon=horizon))
    if not found:
        raise DataError(f"{path}: has no series (no lines after @data)")
    return found


def _row_values(cells: list[str], path: str | Path, n: int, name: str, missing: str) -> list[float]:
    """The values of the series ``name`` on line ``n``, one per cell, with ``missing``'s policy."""
    values = []
    for k, cell in enumerate(cells, 1):
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
        raise DataError(f"{path}, line {n}: series {name!r} has no values" + (", only missing ones" if values else ""))
    return interpolate(values) if missing == "interpolate" else values


def _trimmed(cells: list[str]) -> list[str]:
    """``cells`` without the empty ones at the end (M4 pads its shorter rows with them).  Joined
    with NULs (which text never holds: ``read_text`` refuses them) and stripped, to count the cells
    left without a Python loop over thousands of padding cells a row."""
    kept = "\0".join(cells).rstrip("\0 \t\n\r\f\v")
    return cells[:kept.count("\0") + 1] if kept else []


def _is_value(text: str) -> bool:
    """Whether a cell is a number or empty (a missing value)."""
    try:
        _number(text)
    except ValueError:
        return False
    return True


def _is_time_like(text: str) -> bool:
    """Whether a cell is a time, or looks like one in a form that rnnkit does not read: no letters
    but month and weekday names, AM/PM, and the ``T`` between a date and its time (``1/2/15``,
    ``2015-01-01T00:00+01:00``, ``Monday``); or a quarter (``2010Q1``)."""
    words = re.findall(r"[A-Za-z]+", re.sub(r"(?<=\d)T(?=\d)", "", text))
    return all(w.lower() in TIME_WORDS for w in words) or _quarter(text) is not None


def _is_id(text: str) -> bool:
    """Whether a cell can name a series in a wide file: not empty, not a number, not a time."""
    return not _is_value(text) and not _is_time_like(text.strip())     # a value: a number, or empty


def _is_wide(rows: Iterable[tuple[int, list[str]]]) -> bool:
    """Whether ``rows`` (as ``_rows`` gives them) are in M4's wide form; see ``is_wide_csv``."""
    rows = iter(rows)
    _, header = next(rows, (0, []))
    if len(header) < 3 or any(_is_number(cell) for cell in header):
        return False
    ids = set()
    for _, row in rows:
        name = row[0].strip()
        if name in ids or not _is_id(name) or not all(_is_value(cell) for cell in filter(None, row[1:])):
            return False
        ids.add(name)
    return bool(ids)


def is_wide_csv(path: str | Path) -> bool:
    """Whether a CSV file holds one series per row, in M4's wide form: a header row, at least 3
    columns, a first column of ids (each different, and neither numbers nor times), and every other
    cell a number or empty.  A column of values, dated (``month,sales``) or not, is never wide."""
    return _is_wide(_rows(*_csv_lines(path)))


def read_wide_csv(path: str | Path, missing: str = "error") -> list[Series]:
    """Every series of a wide CSV file (M4's form: one per row, its id first, then its values up to
    the row's last non-empty cell), without times; the first row is a header unless it holds numbers
    after its first cell."""
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    return _wide_series(path, *_csv_lines(path), missing)


def _wide_series(path, lines: list[str], dialect, missing: str) -> list[Series]:
    """``read_wide_csv`` of lines already read."""
    found, first_line = [], {}
    for k, (n, row) in enumerate(_rows(lines, dialect)):
        if k == 0 and not any(_is_number(cell) for cell in row[1:]):
            continue                          # the header: V1, V2, ...
        name = row[0].strip()
        if not name:
            raise DataError(f"{path}, line {n}: the series has no id (the first column is empty)")
        if name in first_line:
            raise DataError(f"{path}, line {n}: the id {name!r} is repeated (first on line {first_line[name]}); "
                            "each row must be a different series")
        first_line[name] = n
        values = _row_values(_trimmed(row[1:]), path, n, name, missing)
        found.append(Series(name=name, values=values, source=str(path), lines=[n] * len(values)))
    if not found:
        raise DataError(f"{path}: has no series (only a header line)")
    return found
