"""Forecasting (many-to-many, ahead): a window of a series' past in, the quantiles of its next H
values out; one model for one series or a global model for many."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import torch

from rnnkit.data.series import Series
from rnnkit.devices import device_of, to_device
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models.forecaster import Forecaster, windows
from rnnkit.models.modes import evaluating
from rnnkit.tasks.base import Prepared, Task, load, parameters, writable_plots, write_export
from rnnkit.tasks.budget import reading
from rnnkit.tasks.forecasting import backtest, python
from rnnkit.tasks.forecasting.config import (BUDGET, COLUMN, CSV, HORIZON, ID_COLUMN, MIN_WINDOW, MISSING,
                                             SERIES_FLAGS, TIME_COLUMN, TSF, WIDE, ForecastConfig, data_option)
from rnnkit.tasks.forecasting.metrics import format_forecast_metrics, mean_metrics, series_metrics
from rnnkit.tasks.forecasting.plots import draw
from rnnkit.tasks.forecasting.predict import forecast, point_and_intervals
from rnnkit.tasks.forecasting.series import (check_horizon, check_readable, default_origins, followers, history,
                                             read_series, resolve_season, validation_windows)
from rnnkit.tasks.forecasting.verbs import VERBS
from rnnkit.tasks.options import Option, positive_int

FULL_CALIBRATION = 19   # the fewest held-out values whose conformal rank gives a 95% interval


class ForecastTask(Task):
    name, noun = "forecast", "forecaster"
    help = "train a forecaster of time series (CSV or .tsf) with prediction intervals"
    description = ("Train a recurrent forecaster: it reads a window of a series' past and gives the quantiles of "
                   "its next H values (the median as the forecast, 80% and 95% intervals). Input: --csv, one series "
                   "in a column (an optional time column dates it), or --tsf, many series for one global model. "
                   "Each series' last H values are held out as the test and the H before them are the validation "
                   "(--final: trains on the test part too).")
    Config, model_class = ForecastConfig, python.TrainedForecaster
    verbs = VERBS
    data_files = staticmethod(python.data_files)
    test_files = staticmethod(python.test_files)
    exports = "a forecaster gives forecaster.onnx: windows of the past in, the quantiles of the next values out"
    unit, select = "value", "loss"
    evaluate_options = (CSV, TSF, WIDE, HORIZON,
                        data_option("origins", "forecast from each of the last K origins, rolling (default 1: the "
                                               "last H values only)", type=positive_int, metavar="K", default=1),
                        data_option("test", "the values that follow each series, in a file of the same form (M4's "
                                            "Hourly-test.csv beside Hourly-train.csv): forecast from the end of each "
                                            "series and score against them instead of holding out its last H",
                                    metavar="FILE"),
                        COLUMN, TIME_COLUMN, ID_COLUMN, MISSING,
                        data_option("season", "the season of MASE's naive scale (default: the run's)",
                                    type=positive_int, metavar="M"),
                        Option("with --origins K: train a forecaster anew at each origin, with the run's own "
                               "options, on the values before it (as one who retrains before every forecast); the "
                               "figures of each origin and their mean", flags=("--refit",), dest="refit",
                               group="data", flag=True, default=False))
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
                "id_column": c.id_column,
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
        (``rnnkit.tasks.forecasting.export.forecaster``)."""
        from rnnkit.tasks.forecasting.export import forecaster

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
        if model.run_config["args"].get("final") and not args.test:
            warnings.warn(f"{args.run_dir} was trained with --final, on the values these figures hold out too; "
                          "they are no test of it (give --test FILE with the values that follow each series)")
        if args.refit:
            return cls.refitted(model, series, horizon, K, season)
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
        if K > 1:
            metrics["origins"] = backtest.by_origin(model, series, horizon, K, season)
        if len(series) > 1:
            notes.append(f"{len(series)} series; each figure is the mean over them")
        return metrics, notes

    @classmethod
    def refitted(cls, model, series, horizon: int, origins: int, season: int) -> tuple[dict, list[str]]:
        """``--refit``: a forecaster trained anew at each origin; the mean of the origins' figures."""
        if origins < 2:
            raise RnnkitError("--refit retrains at each of the last K origins: give --origins K with K of 2 or more")
        found = backtest.by_origin(model, series, horizon, origins, season, task_class=cls)
        metrics = mean_metrics([{k: v for k, v in o.items() if k != "origin"} for o in found])
        return {**metrics, "origins": found}, [f"{origins} origins, each with a forecaster trained anew; each "
                                               "figure is the mean over them"]

    format_metrics = staticmethod(format_forecast_metrics)


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
