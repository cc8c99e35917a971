"""The forecast task's options: the series flags shared with ``evaluate`` and ``forecast``, and the
configuration of ``rnnkit train forecast``."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.data.series import MISSING_POLICIES
from rnnkit.tasks.budget import Budget
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import Option, like, option, positive_int

MIN_WINDOW = 24   # the default window's least length: a one-step forecaster would otherwise read 3 values
MIN_VALID = 40    # validation values the default --valid-origins aims for
SCALES = ("auto", "log", "standard")
SERIES_FLAGS = ("csv", "tsf", "wide")
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


def data_option(flag: str, help: str, **spec) -> Option:
    return Option(help, flags=(f"--{flag}",), dest=flag.replace("-", "_"), group="data", **spec)


CSV = data_option("csv", "the series: a CSV file (.gz accepted), one value per line in a column (a file of one "
                         "series per row is read as --wide)", metavar="FILE")
TSF = data_option("tsf", "many series: a Monash .tsf file", metavar="FILE")
WIDE = data_option("wide", "many series, one per row: a CSV file with a header row, each row a series' id and then "
                           "its values (M4's form; rows may differ in length)", metavar="FILE")
COLUMN = data_option("column", "the value column of --csv: a header name or 0-based index (default: the run's, at "
                               "training the last)", metavar="C")
TIME_COLUMN = data_option("time-column", "the time column of --csv (default: the run's, at training the first "
                                         "where it holds times)", metavar="C")
ID_COLUMN = data_option("id-column", "--csv in long form, several series: the column naming each row's series "
                                     "(default: the run's)", metavar="C")
MISSING = data_option("missing", "missing values: refuse them (error), fill them linearly (interpolate) or let the "
                                 "model skip them (mask); default: the run's", choices=MISSING_POLICIES)
HORIZON = data_option("horizon", "values to forecast (default: the run's; at most the run's)", type=positive_int,
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
    id_column: str | None = option(None, "several series in one --csv, in long form (id,time,value: each series' "
                                         "rows in time order): the column naming each row's series, a header name "
                                         "or 0-based index (the time column is then by default the first other "
                                         "than it and the value column)", metavar="C", group="data")
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
