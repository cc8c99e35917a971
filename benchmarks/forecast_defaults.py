"""Forecasting with default options on series nobody tuned for, beside the classical baselines.

    python benchmarks/forecast_defaults.py [DATASET ...] [--split test|validation] [--seeds 3]
                                           [--max-time 600] [--baselines-only] [--skip-baselines]
                                           [--again] [--fresh] [--exploratory]

Each dataset is forecast H steps ahead after all but its last H values (M4 hourly: after its
training file, scored on its test file).  rnnkit runs ``rnnkit train forecast`` with the data
flags, ``--horizon`` and ``--max-time`` only, once per seed, and ``rnnkit evaluate --json``.
Each run's 80% and 95% intervals are scored too
(coverage), beside those of the same model without its calibration on the validation part.
The baselines run here on the same values: seasonal naive; ETS (statsmodels' ``ETSModel``, the
lowest AIC among additive or multiplicative errors, no, additive or additive damped trend, and
no, additive or multiplicative season, where each is valid); Theta (``ThetaModel``).  Every figure
is scored by ``rnnkit.tasks.forecasting.metrics``: MASE with the dataset's scale period, sMAPE
(M4's), MAPE; the mean over the series.

``--split validation`` is the development split for choosing defaults: every series loses its
last H values first, so the H before them are scored and the reported test values are never
read.  Results: ``benchmarks/results/forecast_defaults.json`` (entries ``SPLIT/DATASET/...``);
``make bench-report`` renders the table of BENCHMARKS.md.  Needs statsmodels (the ``bench`` extra).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import (DATA, HERE, RNNKIT, RUNS, defaults_arguments, evaluate_with, open_results, record_summary,
                    seed_runs)
from forecast import figures

SERIES = DATA / "timeseries"
MADE = HERE / "results" / "forecast_defaults_data"    # the files of the validation split


@dataclass(frozen=True)
class Dataset:
    flag: str              # --csv, --tsf or --wide
    file: str              # under ../shared/data/timeseries
    horizon: int
    period: int            # MASE's scale period (the M4 and Monash convention for the frequency)
    extra: tuple = ()      # further data flags
    test: str | None = None    # a file of the values after each series (M4)


DATASETS = {
    "air": Dataset("--csv", "airline.csv", 24, 12),
    "co2": Dataset("--csv", "co2.csv", 52, 52, ("--missing", "interpolate")),
    "sunspots": Dataset("--csv", "sunspots.csv", 11, 1),
    "elec": Dataset("--csv", "elec_equip.csv", 12, 12),
    "m1": Dataset("--tsf", "m1_yearly_dataset.tsf", 6, 1),
    "m4h": Dataset("--wide", "m4_hourly/Hourly-train.csv", 48, 24, test="m4_hourly/Hourly-test.csv"),
}
METRICS = ("MASE", "sMAPE", "MAPE")


def read(d: Dataset, path: Path):
    """The series of ``path`` as ``rnnkit train forecast`` reads them with the dataset's flags."""
    from rnnkit.tasks.forecasting.config import SERIES_FLAGS
    from rnnkit.tasks.forecasting.series import read_series

    missing = "interpolate" if "interpolate" in d.extra else "error"
    given = {flag: str(path) if f"--{flag}" == d.flag else None for flag in SERIES_FLAGS}
    return read_series(argparse.Namespace(**given, missing=missing))


def truncate(d: Dataset, name: str) -> tuple[Path, Path | None]:
    """The validation split's files: every series without its last H values (M4: the training
    file without its last H, and those H as the test file)."""
    out = MADE / name
    out.mkdir(parents=True, exist_ok=True)
    source = SERIES / d.file
    train = out / Path(d.file).name
    if d.flag == "--csv":
        lines = [line for line in source.read_text().splitlines() if line.strip()]
        train.write_text("\n".join(lines[:-d.horizon]) + "\n")
        return train, None
    series = read(d, source)
    if d.flag == "--tsf":
        head, _, data = source.read_text().partition("@data")
        rows = [line.rsplit(":", 1) for line in data.splitlines() if line.strip()]
        train.write_text(head + "@data\n" + "".join(f"{fields}:{','.join(values.split(',')[:-d.horizon])}\n"
                                                     for fields, values in rows))
        return train, None
    test = out / Path(d.test).name
    width = max(len(s.values) for s in series)
    header = ",".join(f'"V{k + 1}"' for k in range(width - d.horizon + 1))
    cells = lambda values: ",".join(f'"{v:g}"' for v in values)  # noqa: E731
    train.write_text(header + "\n" + "".join(f'"{s.name}",{cells(s.values[:-d.horizon])}\n' for s in series))
    test.write_text(",".join(f'"V{k + 1}"' for k in range(d.horizon + 1)) + "\n"
                    + "".join(f'"{s.name}",{cells(s.values[-d.horizon:])}\n' for s in series))
    return train, test


def split_files(name: str, split: str) -> tuple[Path, Path | None]:
    d = DATASETS[name]
    if split == "validation":
        return truncate(d, name)
    return SERIES / d.file, (SERIES / d.test if d.test else None)


def train_and_actual(d: Dataset, train: Path, test: Path | None):
    """Each series' training values and the H values to score."""
    from rnnkit.data.series import read_wide_csv

    series = read(d, train)
    if test is not None:
        after = {s.name: s.values[: d.horizon] for s in read_wide_csv(test)}
        return [(s.values, after[s.name]) for s in series]
    return [(s.values[: -d.horizon], s.values[-d.horizon:]) for s in series]


def ets(y: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """The forecast of the ETS model of lowest AIC (Hyndman et al. 2008's taxonomy, as far as
    statsmodels' ETSModel goes)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    positive = bool((y > 0).all())
    seasons = [None] + (["add"] + (["mul"] if positive else []) if period > 1 and len(y) >= 2 * period else [])
    best = None
    for error in ["add"] + (["mul"] if positive else []):
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for season in seasons:
                try:
                    fit = ETSModel(y, error=error, trend=trend, damped_trend=damped, seasonal=season,
                                   seasonal_periods=period if season else None).fit(disp=False)
                except (ValueError, np.linalg.LinAlgError):
                    continue
                if math.isfinite(fit.aic) and (best is None or fit.aic < best.aic):
                    best = fit
    return np.asarray(best.forecast(horizon))


def theta(y: np.ndarray, horizon: int, period: int) -> np.ndarray:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = period > 1 and len(y) >= 2 * period
    return np.asarray(ThetaModel(y, period=period if seasonal else None, deseasonalize=seasonal).fit().forecast(horizon))


def seasonal_naive(y: np.ndarray, horizon: int, period: int) -> np.ndarray:
    m = period if len(y) >= period else 1
    return np.array([y[len(y) - m + k % m] for k in range(horizon)])


BASELINES = {"seasonal naive": seasonal_naive, "ETS (lowest AIC)": ets, "Theta": theta}


def score_one(job) -> dict:
    """Every baseline on one series: ``{method: {metric: value}}``."""
    values, actual, horizon, period = job
    y = np.asarray(values, dtype=float)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method, forecast in BASELINES.items():
            f = forecast(y, horizon, period)
            out[method] = {k: v for k, v in figures(actual, f, y, period).items() if k in METRICS}
    return out


def baselines(d: Dataset, pairs) -> dict:
    """The mean of each baseline's figures over the series (2 processes)."""
    jobs = [(values, actual, d.horizon, d.period) for values, actual in pairs]
    with ProcessPoolExecutor(2) as pool:
        per_series = list(pool.map(score_one, jobs, chunksize=4))
    return {method: {k: statistics.mean(s[method][k] for s in per_series if math.isfinite(s[method][k]))
                     for k in METRICS} for method in BASELINES}


COVERAGE = ("coverage80", "coverage95")


def uncalibrated(run: Path) -> Path:
    """A copy of ``run`` whose intervals are its model's own quantiles, without the widening its
    calibration on the validation part chose (to weigh that calibration)."""
    import shutil

    from safetensors.torch import load_file, save_file

    copy = run.with_name(run.name + "_uncalibrated")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("checkpoints"))
    weights = load_file(copy / "model.safetensors")
    weights["widen"].zero_()
    save_file(weights, copy / "model.safetensors")
    return copy


def rnnkit_run(d: Dataset, train: Path, test: Path | None, out: Path, seed: int, max_time: int,
               options: list[str]) -> dict:
    """One run of the defaults (with ``options``, a candidate under study): its figures, training
    time and what the defaults resolved to."""
    import shutil
    import subprocess

    shutil.rmtree(out, ignore_errors=True)
    data = [d.flag, str(train), *d.extra]
    start = time.monotonic()
    subprocess.run([*RNNKIT, "train", "forecast", *data, "--horizon", str(d.horizon), "--seed", str(seed),
                    "--max-time", str(max_time), *(["--final"] if test else []), *options, "--out", str(out)],
                   check=True)
    seconds = time.monotonic() - start
    scoring = [*data, "--season", str(d.period), *(["--test", str(test)] if test else [])]
    scored, raw = evaluate_with(out, scoring), evaluate_with(uncalibrated(out), scoring)
    config = json.loads((out / "config.json").read_text())
    return {**{k: scored[k] for k in METRICS + COVERAGE}, "uncalibrated": {k: raw[k] for k in COVERAGE},
            "train_seconds": round(seconds, 1), "resolved": config["data"], "options": " ".join(options)}


def main(argv=None) -> int:
    args = defaults_arguments(__doc__, DATASETS, "dataset", "forecast", argv, baselines_help="score the baselines "
                              "and train nothing (they do not depend on rnnkit; M4 hourly's ETS fits take about half "
                              "an hour on 2 cores)")
    results = open_results("forecast_defaults", args)
    for name in args.names or DATASETS:
        d, key = DATASETS[name], f"{args.split}/{name}"
        ours = "rnnkit" + (f"@{args.label}" if args.label else "")
        train, test = split_files(name, args.split)
        if f"{key}/baselines" not in results and not args.skip_baselines:
            results.record(f"{key}/baselines", baselines(d, train_and_actual(d, train, test)))
        if args.baselines_only:
            continue
        folder = "_".join(["forecast_defaults", args.split, *([args.label] if args.label else []), name])
        runs = seed_runs(results, f"{key}/{ours}", args.seeds, again=args.again, run=lambda seed: rnnkit_run(
            d, train, test, RUNS / f"{folder}_{seed}", seed, args.max_time, args.options.split()))
        record_summary(results, f"{key}/{ours}", runs, METRICS + COVERAGE, extra=("uncalibrated", "train_seconds"))
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
