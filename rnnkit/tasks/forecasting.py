"""Time-series forecasting: read a window of a series' past, forecast its next H values with intervals.

The split of each series: the last H values are the test (never trained on; ``--final`` trains
on them), the H before them the validation, and training windows end anywhere before that.
``rnnkit forecast`` forecasts the H values after the end of a series; ``rnnkit evaluate`` holds
out the last H and forecasts them (from each of the last K origins with ``--origins K``).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data.seasons import calendar_season, common_period, detected_period, naive_error
from rnnkit.data.series import MISSING_POLICIES, Series, read_csv, read_tsf, read_wide_csv
from rnnkit.devices import device_of, to_device
from rnnkit.errors import DataError, RnnkitError
from rnnkit.files import write_atomic
from rnnkit.models.forecaster import INTERVALS, Forecaster, Windows, windows
from rnnkit.models.modes import evaluating
from rnnkit.tasks.base import Output, Prepared, Task, Verb, load, parameters, writable_plots, write_export
from rnnkit.tasks.budget import Budget, reading
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import DEVICE, Option, like, option, output_file, positive_int, run_dir_argument
from rnnkit.training.forecast_metrics import format_forecast_metrics, mean_metrics, series_metrics
from rnnkit.training.plots import plot_forecast

SCALES = ("auto", "log", "standard")
SERIES_FLAGS = ("csv", "tsf", "wide")
MIN_WINDOW = 24   # the default window's least length: a one-step forecaster would otherwise read 3 values
MIN_VALID = 40    # validation values the default --valid-origins aims for
FULL_CALIBRATION = 19   # the fewest held-out values whose conformal rank gives a 95% interval
WINDOWS_READ = 200_000  # training windows a default run reads (6,250 steps at batch 32)...
MAX_EPOCHS = 100        # ...in at most this many epochs (a short series is not read more often)
EVALUATIONS = 100       # validations over a default run; it stops after a quarter of them without improvement
BUDGET = Budget(WINDOWS_READ, MAX_EPOCHS, partial_epoch=True, evaluations=EVALUATIONS)   # where epochs are not given


def season_value(text: str) -> int | str:
    """``--season``: a positive number of steps, or ``auto``."""
    if text == "auto":
        return text
    try:
        return positive_int(text)
    except ValueError:
        raise ValueError(f"must be a positive integer or auto, got {text!r}") from None


def _data(flag: str, help: str, **spec) -> Option:
    return Option(help, flags=(f"--{flag}",), dest=flag.replace("-", "_"), group="data", **spec)


CSV = _data("csv", "the series: a CSV file (.gz accepted), one value per line in a column (a file of one series "
                   "per row is read as --wide)", metavar="FILE")
TSF = _data("tsf", "many series: a Monash .tsf file", metavar="FILE")
WIDE = _data("wide", "many series, one per row: a CSV file with a header row, each row a series' id and then its "
                     "values (M4's form; rows may differ in length)", metavar="FILE")
COLUMN = _data("column", "the value column of --csv: a header name or 0-based index (default: the run's, at "
                         "training the last)", metavar="C")
TIME_COLUMN = _data("time-column", "the time column of --csv (default: the run's, at training the first where it "
                                   "holds times)", metavar="C")
MISSING = _data("missing", "missing values: refuse them (error), fill them linearly (interpolate) or let the model "
                           "skip them (mask); default: the run's", choices=MISSING_POLICIES)
HORIZON = _data("horizon", "values to forecast (default: the run's; at most the run's)", type=positive_int,
                metavar="H")


@dataclass
class ForecastConfig(RecurrentConfig, TrainingConfig):
    csv: str | None = option(None, CSV.help, metavar="FILE", group="data", exclusive="series")
    tsf: str | None = option(None, TSF.help, metavar="FILE", group="data", exclusive="series")
    wide: str | None = option(None, WIDE.help, metavar="FILE", group="data", exclusive="series")
    column: str | None = option(None, "the value column of --csv: a header name or 0-based index (default: the "
                                      "last)", metavar="C", group="data")
    time_column: str | None = option(None, "the time column of --csv (default: the first, where it holds times; "
                                           "the forecast is then dated)", metavar="C", group="data")
    missing: str = option("error", "missing values: refuse them, fill them linearly between their neighbours, or "
                                   "let the model skip them", choices=MISSING_POLICIES, group="data")
    horizon: int | None = option(None, "values to forecast (required for --csv and --wide; for --tsf the file's "
                                       "@horizon by default)", type=positive_int, metavar="H", group="data")
    season: str = option("auto", "the season's period in steps: 12 for monthly data with a yearly cycle, 7 for "
                                 "daily data with a weekly one, 1 for none; auto: from the time column's step or the "
                                 ".tsf @frequency (hourly 24, daily 7, weekly 52 with two years of data, monthly 12, "
                                 "quarterly 4), else the period the values' autocorrelation shows where it forecasts "
                                 "the validation part better than none", type=season_value, metavar="M|auto",
                         group="data")
    window: int | None = option(None, f"past values the model reads (default: 3 horizons, 2 seasons or "
                                      f"{MIN_WINDOW}, whichever is most); shorter series read what they have",
                                type=positive_int, metavar="N", group="data")
    scale: str = option("auto", "log: forecast the logarithm (a positive series whose swings grow with its level); "
                                "standard: the values; auto: log where every value is positive", choices=SCALES,
                        group="data")
    valid_origins: int | None = option(None, "validate on forecasts from each of the last K origins of the training "
                                          "part, rolling (the validation part is then H + K - 1 values; more origins "
                                          f"steady the choice of weights and the intervals' calibration); default: "
                                          f"enough for {MIN_VALID} validation values over all series, as long as the "
                                          "validation part stays within a quarter of the typical series",
                                       type=positive_int, metavar="K", group="data")
    final: bool = option(False, "train on every value but the validation part (the last H), for a forecast of "
                                "the real future; by default the last H are a test and the H before them the "
                                "validation", group="data")
    output: str = option("decoder", "decoder: a recurrent decoder runs over the H future steps from the encoder's "
                                    "state and gives each step's quantiles; direct: one output layer gives all H at "
                                    "once (on the validation split the decoder forecast better or as well on five "
                                    "datasets of six: BENCHMARKS.md)", choices=("decoder", "direct"), group="model")
    base: str = option("seasonal", "what the model forecasts above: the seasonal naive forecast (the last value "
                                    "without a season), or that with drift (going on by the window's mean change per "
                                    "season)", choices=("seasonal", "drift"), group="model")
    hidden: int = like(64)
    batch_size: int = like(32)
    lr: float = like(3e-3)
    epochs: int | None = like(None, help=f"passes over the training windows (default: from their count, enough to "
                                         f"read {WINDOWS_READ:,} windows, at most {MAX_EPOCHS}, or part of one epoch "
                                         f"where it holds more; the run also stops "
                                         f"after {EVALUATIONS // 4} validations without improvement, of "
                                         f"{EVALUATIONS} over the run, unless --patience or --eval-every say "
                                         "otherwise)")


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
    return read_csv(path, pick("column"), pick("time_column"), missing)


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


class ForecastTask(Task):
    name, noun = "forecast", "forecaster"
    help = "train a forecaster of time series (CSV or .tsf) with prediction intervals"
    description = ("Train a recurrent forecaster: it reads a window of a series' past and gives the quantiles of "
                   "its next H values (the median as the forecast, 80% and 95% intervals). Input: --csv, one series "
                   "in a column (an optional time column dates it), or --tsf, many series for one global model. "
                   "Each series' last H values are held out as the test and the H before them are the validation "
                   "(--final: trains on the test part too).")
    Config, model_class = ForecastConfig, Forecaster
    unit, select = "value", "loss"
    evaluate_options = (CSV, TSF, WIDE, HORIZON,
                        _data("origins", "forecast from each of the last K origins, rolling (default 1: the last H "
                                         "values only)", type=positive_int, metavar="K", default=1),
                        _data("test", "the values that follow each series, in a file of the same form (M4's "
                                      "Hourly-test.csv beside Hourly-train.csv): forecast from the end of each "
                                      "series and score against them instead of holding out its last H",
                              metavar="FILE"),
                        COLUMN, TIME_COLUMN, MISSING,
                        _data("season", "the season of MASE's naive scale (default: the run's)", type=positive_int,
                              metavar="M"))
    evaluate_help = ("a forecaster gives MAPE, sMAPE, MASE, RMSE and 80%/95% interval coverage (--csv, --tsf or "
                     "--wide; the last --horizon values of each series held out, or --test FILE: the values after "
                     "them)")

    def prepare(self, run) -> Prepared:
        c = self.config
        series = read_series(c)
        horizon = c.horizon or series[0].horizon
        if horizon is None:
            raise RnnkitError("give --horizon H: how many values to forecast")
        origins = c.valid_origins or default_origins(horizon, [len(s.values) for s in series])
        validation = horizon + origins - 1
        held = validation + (0 if c.final else horizon)
        usable = [s for s in series if len(s.values) - held >= 2]
        if not usable:
            shortest = min(series, key=lambda s: len(s.values))
            what = "validation" if c.final else "test and validation"
            raise DataError(f"{shortest.source}: {shortest.name!r} has {len(shortest.values)} values; the {what} "
                            f"hold out the last {held} (horizon {horizon}), which leaves fewer than 2 to train on; "
                            "give a smaller --horizon" + ("" if c.final else " or --final")
                            + (" or fewer --valid-origins" if origins > 1 else ""))
        if len(usable) < len(series):
            left = [s.name for s in series if s not in usable]
            warnings.warn(f"{series[0].source}: {len(left)} of {len(series)} series are too short to train on (fewer "
                          f"than {held + 2} values: the held-out {held} and 2 to learn from) and are left out: "
                          f"{', '.join(map(str, left[:5]))}{', ...' if len(left) > 5 else ''}")
        season, season_from = resolve_season(c.season, usable, held, validation)
        window = c.window or max(3 * horizon, 2 * season, MIN_WINDOW)
        examples = []
        for s in usable:
            train_end = len(s.values) - held
            for end in range(1, train_end - horizon + 1):
                past, start = history(s, end, window)
                examples.append((past, start, s.values[end : end + horizon]))
        if not examples:
            raise DataError(f"{usable[0].source}: no series is long enough for a training window of {horizon} future "
                            f"values before its held-out {held}; give a smaller --horizon")
        valid = [(s, len(s.values) - held + k) for s in usable for k in range(origins)]
        values = [v for s in usable for v in s.values if not math.isnan(v)]
        log = c.scale == "log" or (c.scale == "auto" and min(values) > 0)
        if c.scale == "log" and min(values) <= 0:
            raise DataError(f"{usable[0].source}: --scale log needs positive values, found {min(values):g}")
        model = Forecaster(horizon, season=season, log=log, mask_missing=c.missing == "mask",
                           decoder=c.output == "decoder", drift=c.base == "drift", **c.recurrent_options())
        model.window = window
        seed = c.seed

        def batches(epoch: int):
            order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed + epoch)).tolist()
            return [windows(*zip(*[examples[i] for i in order[k : k + c.batch_size]]))
                    for k in range(0, len(order), c.batch_size)]

        training = BUDGET.length(len(examples), c)
        data = {"input": next(flag for flag in SERIES_FLAGS if getattr(c, flag)), "column": c.column, "time_column": c.time_column,
                "missing": c.missing, "season": season, "season_from": season_from, "horizon": horizon,
                "window": window, "output": c.output, "final": c.final, "valid_origins": origins,
                "training": training}
        description = (f"{c.cell.upper()} forecaster: {parameters(model)}, "
                       f"{len(usable)} series ({'log' if log else 'values'}), horizon {horizon}, season {season} "
                       f"({season_from}), window {window}, {c.output} head, {origins} validation origin(s), "
                       f"{len(examples):,} training windows, {reading(training)}, validating every "
                       f"{training['eval_every']} steps and stopping after {training['patience']} without improvement")
        return Prepared(model, batches, (valid, window), data, description, training=training)

    def loss(self, model, batch, carry, step):
        return (*model.loss(batch), None)

    def validate(self, model, valid) -> dict:
        series_ends, window = valid
        metrics, _ = score(model, series_ends, model.horizon, window)
        return metrics

    def result(self, run, prepared, summary):
        best = load(run.path, self.config.device)
        series_ends, window = prepared.valid
        held_out = best.calibrate(to_device(validation_windows(series_ends, best.horizon, window), device_of(best)))
        run.save_weights(best)
        metrics, forecasts = score(best, series_ends, best.horizon, window)
        notes = [] if held_out >= FULL_CALIBRATION else [
            f"the intervals are calibrated on {held_out} validation values, fewer than the {FULL_CALIBRATION} a 95% "
            "interval needs: it holds all of them; more --valid-origins give it more"]
        path = run.plots / "forecast-validation.png"
        last = prepared.data["valid_origins"] - 1     # the first series' last origin
        s, end = series_ends[last]
        draw(best, s, end, forecasts[last], path, f"{s.name}: validation", actual=s.values[end : end + best.horizon])
        return (f"best validation {format_forecast_metrics(metrics)} (loss {metrics['loss']:.4f})",
                [*notes, f"validation forecast plot {path}"])

    @classmethod
    def load(cls, run, config, device):
        model = super().load(run, config, device)
        model.window = config["data"]["window"]
        return model

    @classmethod
    def export(cls, model, folder):
        """``forecaster.onnx``: windows of the past in, the quantiles of the next H values out
        (``rnnkit.models.onnx.forecaster``)."""
        from rnnkit.models.onnx import forecaster

        return write_export(folder, {"forecaster.onnx": forecaster(model)}, {
            "task": cls.name, "horizon": model.horizon, "season": model.season, "window": model.window,
            "quantile_levels": model.levels,
            "forecaster": {"inputs": ["history", "lengths", "start"], "outputs": ["quantiles"],
                           "how": "history [batch, window] float64: the last values of each series (at most "
                                  "window of them), left-aligned, NaN where missing and past its length; start: "
                                  "the calendar step of each window's first value (for the season's phase)"}})

    @classmethod
    def evaluate(cls, model, args):
        data = model.run_config["data"]
        series = read_series(args, data)
        horizon = args.horizon or model.horizon
        check_horizon(horizon, model.horizon)
        K, season = args.origins, args.season or data["season"]
        if args.test and K > 1:
            raise RnnkitError("--origins and --test do not go together: --test forecasts from the end of each series")
        following = followers(series, args.test, horizon) if args.test else None
        per_series, plots = [], []
        for s in series:
            n = len(s.values)
            if following is not None:   # the test values follow the series: forecast from its end
                first, ends = n, [n]
                extended = s.values + following[s.name]
            else:
                first, extended = n - horizon - (K - 1), s.values
                if first < 1:
                    raise DataError(f"{s.source}: {s.name!r} has {n} values, not more than the {horizon + K - 1} "
                                    f"that {K} origin(s) of horizon {horizon} hold out")
                ends = list(range(first, n - horizon + 1))
            check_readable(model, [s], horizon, [ends])
            w = windows(*zip(*[history(s, end, model.window) for end in ends]))
            quantiles = forecast(model, w)[:, :horizon]
            actual = torch.tensor([extended[end : end + horizon] for end in ends], dtype=torch.float64)
            per_series.append(series_metrics(actual, *point_and_intervals(model, quantiles),
                                             torch.tensor(s.values[:first], dtype=torch.float64), season))
            if len(series) == 1:
                plots.append((s, ends[-1], quantiles[-1], extended[ends[-1] : ends[-1] + horizon]))
        notes = []
        if plots:
            s, end, q, truth = plots[0]
            given = next(getattr(args, flag) for flag in SERIES_FLAGS if getattr(args, flag, None))
            path = writable_plots(args.run_dir) / f"forecast-{Path(given).name.split('.')[0]}.png"
            held = "the values of --test" if following is not None else f"the last {horizon} values held out"
            draw(model, s, end, q, path, f"{s.name}: {held}", actual=truth)
            notes.append(f"forecast plot: {path}")
        metrics = mean_metrics(per_series)
        if len(series) > 1:
            notes.append(f"{len(series)} series; each figure is the mean over them")
        return metrics, notes

    format_metrics = staticmethod(format_forecast_metrics)


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


def forecast(model: Forecaster, w: Windows) -> torch.Tensor:
    """The quantiles ``[B, H, Q]`` of the model for windows ``w``, on the CPU."""
    with evaluating(model):
        return model.forecast(to_device(w, device_of(model))).cpu()


def point_and_intervals(model: Forecaster, quantiles: torch.Tensor):
    """``(median, {80: (lo, hi), 95: (lo, hi)})`` of quantiles ``[..., Q]``."""
    taus = model.levels
    pick = lambda tau: quantiles[..., taus.index(tau)]  # noqa: E731
    return pick(0.5), {level: (pick(lo), pick(hi)) for level, (lo, hi) in INTERVALS.items()}


def validation_windows(series_ends: list[tuple[Series, int]], horizon: int, window: int) -> Windows:
    """Each series' window ending at ``end`` with the ``horizon`` values after it as the target."""
    return windows(*zip(*[(*history(s, end, window), s.values[end : end + horizon]) for s, end in series_ends]))


def score(model: Forecaster, series_ends: list[tuple[Series, int]], horizon: int, window: int):
    """Validation: each series forecast from ``end`` for the ``horizon`` values after it: the mean
    figures over the series with the mean pinball loss (``loss``), and each series' quantiles."""
    w = validation_windows(series_ends, horizon, window)
    with evaluating(model), torch.no_grad():
        nats, count = model.loss(to_device(w, device_of(model)))
    quantiles = forecast(model, w)
    per_series = []
    for (s, end), q in zip(series_ends, quantiles):
        actual = torch.tensor(s.values[end : end + horizon], dtype=torch.float64)
        per_series.append(series_metrics(actual, *point_and_intervals(model, q),
                                         torch.tensor(s.values[:end], dtype=torch.float64), model.season))
    return {"loss": float(nats) / max(count, 1), **mean_metrics(per_series)}, quantiles


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


def _format(v: float) -> str:
    """A number with six significant digits: written out between 1e-4 and 1e12 (1106740, -1.50000,
    0.0123457), in exponent form beyond (1.2e-07, 1.4e+102), so that no value reads as 0 or as a
    hundred-digit integer."""
    if not math.isfinite(v) or v == 0:
        return "0" if v == 0 else str(v)
    if not 1e-4 <= abs(v) < 1e12:
        return f"{v:.6g}"
    return f"{v:.{max(0, 6 - math.floor(math.log10(abs(v))) - 1)}f}"


def run_forecast(args) -> Output:
    model = load(args.run_dir, args.device, task="forecast")
    data = model.run_config["data"]
    series = read_series(args, data)
    horizon = args.horizon or model.horizon
    check_horizon(horizon, model.horizon)
    check_readable(model, series, horizon)
    w = windows(*zip(*[history(s, len(s.values), model.window) for s in series]))
    quantiles = forecast(model, w)[:, :horizon]
    median, intervals = point_and_intervals(model, quantiles)
    dated = all(s.times for s in series)
    named = len(series) > 1 or not args.csv
    header = (["series"] if named else []) + ["step"] + (["time"] if dated else []) + \
        ["forecast", "lo80", "hi80", "lo95", "hi95"]
    lines = [",".join(header)]
    for b, s in enumerate(series):
        times = s.future(horizon) if dated else None
        for k in range(horizon):
            row = ([s.name] if named else []) + [str(k + 1)] + ([s.format_time(times[k])] if dated else [])
            row += [_format(float(x)) for x in (median[b, k], intervals[80][0][b, k], intervals[80][1][b, k],
                                                intervals[95][0][b, k], intervals[95][1][b, k])]
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


ForecastTask.verbs = (
    Verb("forecast", "forecast the values after the end of a series with a trained forecaster",
         "Forecast the H values after the end of each given series (a CSV column or every series of a .tsf file) "
         "with a run of `rnnkit train forecast`. Prints CSV: step, time (where the input is dated), forecast and "
         "the 80% and 95% intervals (lo80, hi80, lo95, hi95), with a leading series column for --tsf.",
         (run_dir_argument("forecast"), CSV, TSF, WIDE, HORIZON, COLUMN, TIME_COLUMN, MISSING,
          Option("write the CSV to FILE instead of standard output", flags=("--output",), dest="output",
                 type=output_file, metavar="FILE"),
          Option("draw the forecast with its history and intervals into FILE.png (the first series of a .tsf)",
                 flags=("--plot",), dest="plot", type=output_file, metavar="FILE"),
          DEVICE),
         run_forecast),
)
