"""``rnnkit forecast RUN_DIR``: the values after the end of each series, as CSV."""
from __future__ import annotations

import math
from pathlib import Path

from rnnkit.files import write_atomic
from rnnkit.models.forecaster import windows
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.forecasting.config import COLUMN, CSV, HORIZON, ID_COLUMN, MISSING, TIME_COLUMN, TSF, WIDE
from rnnkit.tasks.forecasting.plots import draw
from rnnkit.tasks.forecasting.predict import forecast, point_and_intervals
from rnnkit.tasks.forecasting.series import check_horizon, check_readable, history, read_series
from rnnkit.tasks.options import DEVICE, Option, output_file, run_dir_argument


def format_value(v: float) -> str:
    """A number with six significant digits: written out between 1e-4 and 1e12 (1106740, -1.50000,
    0.0123457), in exponent form beyond (1.2e-07, 1.4e+102), so that no value reads as 0 or as a
    hundred-digit integer."""
    if not math.isfinite(v) or v == 0:
        return "0" if v == 0 else str(v)
    if not 1e-4 <= abs(v) < 1e12:
        return f"{v:.6g}"
    return f"{v:.{max(0, 6 - math.floor(math.log10(abs(v))) - 1)}f}"


def future_values(model, series: list, horizon: int):
    """The quantiles ``[series, horizon, levels]`` of the ``horizon`` values after the end of each
    of ``series``, and the point forecast with its 80% and 95% intervals (``forecast``, ``lo80``,
    ``hi80``, ``lo95``, ``hi95``: each ``[series, horizon]``)."""
    check_horizon(horizon, model.horizon)
    check_readable(model, series, horizon)
    w = windows(*zip(*[history(s, len(s.values), model.window) for s in series]))
    quantiles = forecast(model, w)[:, :horizon]
    median, intervals = point_and_intervals(model, quantiles)
    return quantiles, {"forecast": median, "lo80": intervals[80][0], "hi80": intervals[80][1],
                       "lo95": intervals[95][0], "hi95": intervals[95][1]}


def run_forecast(args) -> Output:
    model = load(args.run_dir, args.device, task="forecast")
    series = read_series(args, model.run_config["data"])
    horizon = args.horizon or model.horizon
    quantiles, columns = future_values(model, series, horizon)
    dated = all(s.times for s in series)
    named = len(series) > 1 or not args.csv or bool(args.id_column or model.run_config["data"].get("id_column"))
    header = (["series"] if named else []) + ["step"] + (["time"] if dated else []) + \
        ["forecast", "lo80", "hi80", "lo95", "hi95"]
    lines = [",".join(header)]
    for b, s in enumerate(series):
        times = s.future(horizon) if dated else None
        for k in range(horizon):
            row = ([s.name] if named else []) + [str(k + 1)] + ([s.format_time(times[k])] if dated else [])
            row += [format_value(float(values[b, k])) for values in columns.values()]
            lines.append(",".join(row))
    text = "\n".join(lines) + "\n"
    notes = []
    if args.plot:
        s = series[0]
        draw(model, s, len(s.values), quantiles[0], Path(args.plot), f"{s.name}: forecast")
        first = f" (the first of {len(series)} series)" if len(series) > 1 else ""
        notes.append(f"forecast plot: {args.plot}{first}")
    if args.output:
        write_atomic(Path(args.output), text)
        notes.append(f"forecast: {args.output}")
        text = ""
    return Output(text, notes)


VERBS = (
    Verb("forecast", "forecast the values after the end of a series with a trained forecaster",
         "Forecast the H values after the end of each given series (a CSV column or every series of a .tsf file) "
         "with a run of `rnnkit train forecast`. Prints CSV: step, time (where the input is dated), forecast and "
         "the 80% and 95% intervals (lo80, hi80, lo95, hi95), with a leading series column for --tsf.",
         (run_dir_argument("forecast"), CSV, TSF, WIDE, HORIZON, COLUMN, TIME_COLUMN, ID_COLUMN, MISSING,
          Option("write the CSV to FILE instead of standard output", flags=("--output",), dest="output",
                 type=output_file, metavar="FILE"),
          Option("draw the forecast with its history and intervals into FILE.png (the first series of a .tsf)",
                 flags=("--plot",), dest="plot", type=output_file, metavar="FILE"),
          DEVICE),
         run_forecast),
)
