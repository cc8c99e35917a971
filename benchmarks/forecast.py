"""Forecasting on real series against statsmodels' classical methods, on the same splits.

    python benchmarks/forecast.py [PART ...] [--seeds N] [--fresh] [--exploratory]

Parts (default: all; each result is recorded as it comes, so a rerun resumes):
- ``air24``, ``air12``: AirPassengers (``airline.csv``), the last 24 (12) months held out:
  MAPE, RMSE, MASE and 80%/95% interval coverage.  Baselines: seasonal naive, Holt-Winters
  (additive trend, multiplicative season), SARIMA(0,1,1)(0,1,1)12 on the log, Theta, damped Holt.
- ``m1``: M1 yearly (``m1_yearly_dataset.tsf``), horizon 6, one global model: the mean MASE over the
  181 series.  Baselines: naive, simple exponential smoothing, Theta, damped Holt.
- ``co2``: monthly means of the weekly Mauna Loa ``co2.csv`` (months without a measurement
  interpolated), the last 24 months held out: RMSE.  Baselines as AirPassengers'.
- ``sunspots``: yearly sunspots, test 1989-2008: the rolling one-step RMSE (a model trained on the
  years to 1988, validated on one-step forecasts of its last 20 years (``--valid-origins 20``),
  forecasting each test year from the years before it: ``--origins 20``) and the 20-step RMSE,
  against AR(9); the sunspot cycle, about 11 years, is given as ``--season 11``.
rnnkit runs ``rnnkit train forecast`` with its defaults (plus the series' ``--season``) for each
of ``--seeds`` seeds (0, 1, ...) and ``rnnkit evaluate --json``; its figures are the mean and
sample standard deviation over the seeds, with each seed's figures in the summary's ``per_seed``
and in ``PART/rnnkit/seedN``.  Needs statsmodels (``pip install -e '.[bench]'``).  Results:
benchmarks/results/forecast.json; ``make bench-report`` renders the tables of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from common import DATA, HERE, RUNS, Results, evaluate_with, open_results, results_options, train

SERIES = DATA / "timeseries"
MADE = HERE / "results" / "forecast_data"     # the series this benchmark derives (CO2 monthly, sunspots to 1988)
PARTS = ("air24", "air12", "m1", "co2", "sunspots")


def figures(actual, forecast, history, season, intervals=None) -> dict:
    """rnnkit's own metric code, so that baselines and rnnkit are scored alike."""
    from rnnkit.tasks.forecasting.metrics import series_metrics

    t = lambda x: torch.as_tensor(np.asarray(x, dtype=float))  # noqa: E731
    none = {80: (t(forecast), t(forecast)), 95: (t(forecast), t(forecast))}
    out = series_metrics(t(actual), t(forecast), {k: (t(lo), t(hi)) for k, (lo, hi) in intervals.items()}
                         if intervals else none, t(history), season)
    if not intervals:
        out.pop("coverage80"), out.pop("coverage95")
    return out


def baselines(train_values, horizon: int, season: int, which: tuple[str, ...]) -> dict:
    """The forecasts (and, where the method gives them, 80%/95% intervals) of each baseline."""
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.asarray(train_values, dtype=float)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in which:
            if name == "naive":
                out[name] = (np.repeat(y[-1], horizon), None)
            elif name == "seasonal naive":
                out[name] = (np.array([y[len(y) - season + k % season] for k in range(horizon)]), None)
            elif name == "Holt-Winters":
                fit = ExponentialSmoothing(y, trend="add", seasonal="mul", seasonal_periods=season).fit()
                out[name] = (fit.forecast(horizon), None)
            elif name == "SARIMA(0,1,1)(0,1,1) on the log":
                fit = ARIMA(np.log(y), order=(0, 1, 1), seasonal_order=(0, 1, 1, season)).fit()
                f = fit.get_forecast(horizon)
                intervals = {level: tuple(np.exp(f.conf_int(alpha=1 - level / 100).T)) for level in (80, 95)}
                out[name] = (np.exp(f.predicted_mean), intervals)
            elif name == "Theta":
                fit = ThetaModel(y, period=season if season > 1 else None, deseasonalize=season > 1).fit()
                intervals = {level: tuple(np.asarray(fit.prediction_intervals(horizon, alpha=1 - level / 100)).T)
                             for level in (80, 95)}
                out[name] = (np.asarray(fit.forecast(horizon)), intervals)
            elif name == "damped Holt":
                out[name] = (ExponentialSmoothing(y, trend="add", damped_trend=True).fit().forecast(horizon), None)
            elif name == "SES":
                out[name] = (ExponentialSmoothing(y).fit().forecast(horizon), None)
    return out


def rnnkit_runs(results: Results, part: str, seeds: int, train_args: list[str], evaluate_args: list[str]) -> None:
    """``seeds`` runs of ``rnnkit train forecast`` and their ``rnnkit evaluate --json``, each recorded."""
    for seed in range(seeds):
        key = f"{part}/rnnkit/seed{seed}"
        if key in results:
            continue
        run, seconds = train("forecast", f"forecast_{part}_seed{seed}", [*train_args, "--seed", str(seed)])
        results.record(key, {**evaluate_with(run, evaluate_args), "train_seconds": round(seconds, 1)}, seeds=[seed])


def per_seed(results: Results, part: str, seeds: int) -> dict[int, dict]:
    return {s: results[f"{part}/rnnkit/seed{s}"] for s in range(seeds) if f"{part}/rnnkit/seed{s}" in results}


def summary(runs: dict[int, dict]) -> dict:
    """Each figure's mean and sample standard deviation over the seeds' ``runs``."""
    spread = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0  # noqa: E731
    return {label: (statistics.mean(r[label] for r in runs.values()), spread([r[label] for r in runs.values()]))
            for label in next(iter(runs.values()))} if runs else {}


def summarised(results: Results, name: str, runs: dict) -> bool:
    """Whether entry ``name`` already summarises exactly these seeds' ``runs`` (then it keeps the
    provenance of the run that made them)."""
    return name in results and results.entries[name].provenance.get("per_seed") == {str(s): r for s, r in runs.items()}


def record_summary(results: Results, part: str, seeds: int) -> None:
    runs = per_seed(results, part, seeds)
    if runs and not summarised(results, f"{part}/rnnkit", runs):
        results.record(f"{part}/rnnkit", summary(runs), seeds=list(runs), per_seed=runs)


def air(results: Results, horizon: int, seeds: int) -> None:
    from rnnkit.data.series import read_csv_series

    part = f"air{horizon}"
    values = read_csv_series(SERIES / "airline.csv").values
    fit_on, actual = values[:-horizon], values[-horizon:]
    if f"{part}/baselines" not in results:
        found = baselines(fit_on, horizon, 12, ("seasonal naive", "Holt-Winters", "SARIMA(0,1,1)(0,1,1) on the log",
                                                 "Theta", "damped Holt"))
        results[f"{part}/baselines"] = {name: figures(actual, f, fit_on, 12, intervals)
                                        for name, (f, intervals) in found.items()}
    rnnkit_runs(results, part, seeds, ["--csv", str(SERIES / "airline.csv"), "--horizon", str(horizon),
                                       "--season", "12"], ["--csv", str(SERIES / "airline.csv")])
    record_summary(results, part, seeds)


def m1(results: Results, seeds: int) -> None:
    from rnnkit.data.series import read_tsf
    from rnnkit.tasks.forecasting.metrics import mean_metrics

    path = SERIES / "m1_yearly_dataset.tsf"
    if "m1/baselines" not in results:
        per = {}
        for s in read_tsf(path):
            fit_on, actual = s.values[:-6], s.values[-6:]
            for name, (f, intervals) in baselines(fit_on, 6, 1, ("naive", "SES", "Theta", "damped Holt")).items():
                per.setdefault(name, []).append(figures(actual, f, fit_on, 1, intervals))
        results["m1/baselines"] = {name: mean_metrics(rows) for name, rows in per.items()}
    rnnkit_runs(results, "m1", seeds, ["--tsf", str(path)], ["--tsf", str(path)])
    record_summary(results, "m1", seeds)


def co2_monthly() -> Path:
    """Monthly means of the weekly CO2 series (a month without any measurement: interpolated)."""
    from rnnkit.data.series import interpolate, read_csv_series

    weekly = read_csv_series(SERIES / "co2.csv", missing="mask")
    months: dict[tuple[int, int], list[float]] = {}
    for t, v in zip(weekly.times, weekly.values):
        months.setdefault((t.year, t.month), [])
        if not math.isnan(v):
            months[(t.year, t.month)].append(v)
    keys = sorted(months)
    values = interpolate([sum(v) / len(v) if v else math.nan for v in (months[k] for k in keys)])
    path = MADE / "co2_monthly.csv"
    MADE.mkdir(parents=True, exist_ok=True)
    path.write_text("month,co2\n" + "".join(f"{y}-{m:02d},{v:.4f}\n" for (y, m), v in zip(keys, values)))
    return path


def co2(results: Results, seeds: int) -> None:
    from rnnkit.data.series import read_csv_series

    path = co2_monthly()
    values = read_csv_series(path).values
    fit_on, actual = values[:-24], values[-24:]
    if "co2/baselines" not in results:
        found = baselines(fit_on, 24, 12, ("seasonal naive", "Holt-Winters", "SARIMA(0,1,1)(0,1,1) on the log",
                                           "Theta", "damped Holt"))
        results["co2/baselines"] = {name: figures(actual, f, fit_on, 12, intervals)
                                    for name, (f, intervals) in found.items()}
    rnnkit_runs(results, "co2", seeds, ["--csv", str(path), "--horizon", "24", "--season", "12"], ["--csv", str(path)])
    record_summary(results, "co2", seeds)


def sunspots(results: Results, seeds: int) -> None:
    from statsmodels.tsa.ar_model import AutoReg

    from rnnkit.data.series import read_csv_series

    full = SERIES / "sunspots.csv"
    series = read_csv_series(full)
    values, years = series.values, [t.year for t in series.times]
    cut = years.index(1989)
    to_1988 = MADE / "sunspots_to_1988.csv"
    MADE.mkdir(parents=True, exist_ok=True)
    to_1988.write_text("YEAR,SUNACTIVITY\n" + "".join(f"{y},{v}\n" for y, v in zip(years[:cut], values[:cut])))
    if "sunspots/baselines" not in results:
        fit = AutoReg(np.asarray(values[:cut]), lags=9).fit()
        steps20 = fit.predict(start=cut, end=len(values) - 1)
        one_step = AutoReg(np.asarray(values), lags=9).predict(fit.params, start=cut, end=len(values) - 1)
        actual = values[cut:]
        results["sunspots/baselines"] = {"AR(9)": {
            "one-step RMSE": figures(actual, one_step, values[:cut], 1)["RMSE"],
            "20-step RMSE": figures(actual, steps20, values[:cut], 1)["RMSE"]}}
    rnnkit_runs(results, "sunspots1", seeds, ["--csv", str(to_1988), "--horizon", "1", "--season", "11",
                                              "--valid-origins", "20", "--final"],
                ["--csv", str(full), "--horizon", "1", "--origins", "20"])
    rnnkit_runs(results, "sunspots20", seeds, ["--csv", str(full), "--horizon", "20", "--season", "11"],
                ["--csv", str(full)])
    one, twenty = per_seed(results, "sunspots1", seeds), per_seed(results, "sunspots20", seeds)
    both = {s: {"one-step": one[s], "20-step": twenty[s]} for s in sorted(set(one) & set(twenty))}
    if both and not summarised(results, "sunspots/rnnkit", both):
        results.record("sunspots/rnnkit", {"one-step": summary({s: one[s] for s in both}),
                                           "20-step": summary({s: twenty[s] for s in both})},
                       seeds=list(both), per_seed=both)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"parts to run, of {', '.join(PARTS)}")
    parser.add_argument("--seeds", type=int, default=5, help="rnnkit runs per configuration (default 5)")
    results_options(parser)
    args = parser.parse_args(argv)
    if set(args.parts) - set(PARTS):
        parser.error(f"unknown part(s) {sorted(set(args.parts) - set(PARTS))}; choose from {', '.join(PARTS)}")
    if importlib.util.find_spec("statsmodels") is None:
        parser.error("the baselines need statsmodels: pip install -e '.[bench]'")
    results = open_results("forecast", args)
    RUNS.mkdir(parents=True, exist_ok=True)
    for part in args.parts or PARTS:
        {"air24": lambda: air(results, 24, args.seeds), "air12": lambda: air(results, 12, args.seeds),
         "m1": lambda: m1(results, args.seeds), "co2": lambda: co2(results, args.seeds),
         "sunspots": lambda: sunspots(results, args.seeds)}[part]()
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
