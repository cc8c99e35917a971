"""`rnnkit train forecast`, `forecast` and `evaluate` end to end on series made here, and their bad
inputs: one line on stderr, exit status 2."""
import csv
import json
import math

import pytest

from rnnkit.cli.main import main
from tests.cli.conftest import fails

FAST = ["--hidden", "16", "--epochs", "3", "--batch-size", "16", "--log-every", "5"]


def monthly(n, start_year=2000):
    rows = []
    for t in range(n):
        year, month = start_year + t // 12, t % 12 + 1
        rows.append((f"{year}-{month:02d}", 100 + 2 * t + 15 * math.sin(2 * math.pi * t / 12)))
    return rows


def write_csv(path, rows, header="month,sales"):
    path.write_text(header + "\n" + "".join(f"{t},{v:.3f}\n" for t, v in rows))
    return path


TSF = """@relation toy
@attribute series_name string
@attribute start_timestamp date
@frequency yearly
@horizon 3
@missing false
@equallength false
@data
""" + "".join(f"S{k}:19{70 + k}-01-01 00-00-00:" + ",".join(str(10 * k + t + (t % 3)) for t in range(12 + k)) + "\n"
              for k in range(1, 6))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast")
    write_csv(root / "sales.csv", monthly(72))
    assert main(["train", "forecast", "--csv", str(root / "sales.csv"), "--horizon", "6", "--season", "12",
                 "--out", str(root / "run"), *FAST]) == 0
    (root / "toy.tsf").write_text(TSF)
    assert main(["train", "forecast", "--tsf", str(root / "toy.tsf"), "--out", str(root / "tsf"), *FAST]) == 0
    return root


def test_training_writes_the_run_and_a_validation_plot(trained):
    run = trained / "run"
    config = json.loads((run / "config.json").read_text())
    assert config["task"] == "forecast" and config["data"]["horizon"] == 6 and config["data"]["season"] == 12
    assert config["model"]["log"] is True                           # positive values: the logarithm
    assert (run / "plots" / "forecast-validation.png").stat().st_size > 1000
    assert json.loads((trained / "tsf" / "config.json").read_text())["data"]["horizon"] == 3   # the file's @horizon


def test_forecast_prints_dated_csv_with_intervals(trained, capsys):
    assert main(["forecast", str(trained / "run"), "--csv", str(trained / "sales.csv"), "--horizon", "4",
                 "--plot", str(trained / "f.png")]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(out.splitlines()))
    assert rows[0] == ["step", "time", "forecast", "lo80", "hi80", "lo95", "hi95"]
    assert [r[:2] for r in rows[1:]] == [["1", "2006-01"], ["2", "2006-02"], ["3", "2006-03"], ["4", "2006-04"]]
    for r in rows[1:]:
        f, lo80, hi80, lo95, hi95 = map(float, r[2:])
        assert lo95 <= lo80 <= f <= hi80 <= hi95
    assert (trained / "f.png").stat().st_size > 1000


def test_forecast_of_undated_and_of_many_series(trained, capsys, tmp_path):
    bare = tmp_path / "bare.csv"
    bare.write_text("".join(f"{v:.2f}\n" for _, v in monthly(30)))
    assert main(["forecast", str(trained / "run"), "--csv", str(bare), "--output", str(tmp_path / "out.csv")]) == 0
    rows = list(csv.reader((tmp_path / "out.csv").read_text().splitlines()))
    assert rows[0] == ["step", "forecast", "lo80", "hi80", "lo95", "hi95"] and len(rows) == 7
    assert main(["forecast", str(trained / "tsf"), "--tsf", str(trained / "toy.tsf")]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["series", "step", "time", "forecast", "lo80", "hi80", "lo95", "hi95"]
    assert len(rows) == 1 + 5 * 3 and rows[1][:3] == ["S1", "1", "1984-01-01"]   # 13 values from 1971


def test_evaluate_prints_the_figures_and_json(trained, capsys):
    assert main(["evaluate", str(trained / "run"), "--csv", str(trained / "sales.csv")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("MAPE ") and "sMAPE" in line and "MASE" in line and "coverage95" in line
    assert main(["evaluate", str(trained / "run"), "--csv", str(trained / "sales.csv"), "--origins", "3",
                 "--horizon", "2", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"MAPE", "sMAPE", "MASE", "RMSE", "coverage80", "coverage95", "origins"}
    assert 0 <= figures["coverage80"] <= 1 and figures["MAPE"] >= 0
    assert len(figures["origins"]) == 3 and set(figures["origins"][0]) == {"origin", *figures} - {"origins"}
    assert main(["evaluate", str(trained / "tsf"), "--tsf", str(trained / "toy.tsf"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["MASE"] >= 0


def test_bad_inputs_are_one_line_errors(trained, tmp_path, capsys):
    empty = write_csv(tmp_path / "empty.csv", [])
    fails(["train", "forecast", "--csv", str(empty), "--horizon", "2", "--out", str(tmp_path / "a")], capsys,
           "empty.csv: has no values in column 'sales'")
    broken = tmp_path / "broken.csv"
    broken.write_text("month,sales\n2000-01,1\n2000-02,lots\n2000-03,3\n")
    fails(["train", "forecast", "--csv", str(broken), "--horizon", "1", "--out", str(tmp_path / "b")], capsys,
           "broken.csv, line 3: 'lots' in column 'sales' is not a number")
    short = write_csv(tmp_path / "short.csv", monthly(5))
    fails(["train", "forecast", "--csv", str(short), "--horizon", "5", "--out", str(tmp_path / "c")], capsys,
           "short.csv: 'sales' has 5 values")
    fails(["evaluate", str(trained / "run"), "--csv", str(short)], capsys, "'sales' has 5 values, not more than")
    fails(["train", "forecast", "--csv", str(trained / "sales.csv"), "--horizon", "0", "--out", str(tmp_path / "d")],
           capsys, "--horizon: must be a positive integer, got 0")
    fails(["train", "forecast", "--csv", str(trained / "sales.csv"), "--column", "price", "--horizon", "2",
            "--out", str(tmp_path / "e")], capsys, "no column named 'price' (columns: month, sales)")
    fails(["forecast", str(trained / "run"), "--csv", str(trained / "sales.csv"), "--horizon", "7"], capsys,
           "it was trained to forecast 6 values")
    fails(["train", "forecast", "--horizon", "2", "--out", str(tmp_path / "f")], capsys,
           "give the series: --csv FILE (one series), --tsf FILE or --wide FILE (many)")
    fails(["evaluate", str(trained / "run"), "--test", str(trained / "sales.csv")], capsys, "give the series")
    fails(["train", "forecast", "--csv", str(trained / "sales.csv"), "--season", "yearly", "--horizon", "2",
           "--out", str(tmp_path / "s")], capsys, "--season: must be a positive integer or auto, got 'yearly'")
    fails(["train", "forecast", "--csv", str(trained / "sales.csv"), "--time-column", "sales", "--horizon", "2",
           "--out", str(tmp_path / "g")], capsys, "the time column and the value column are the same column")
    fails(["evaluate", str(trained / "run"), "--csv", str(trained / "sales.csv"), "--test", str(trained / "sales.csv"),
           "--origins", "2"], capsys, "--origins and --test do not go together")


def test_validation_from_several_origins(tmp_path, capsys):
    series = write_csv(tmp_path / "s.csv", monthly(40))
    assert main(["train", "forecast", "--csv", str(series), "--horizon", "1", "--valid-origins", "5", "--final",
                 "--out", str(tmp_path / "run"), *FAST]) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["valid_origins"] == 5 and config["data"]["final"] is True
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert any("valid_MASE" in r for r in records)
    capsys.readouterr()
    fails(["train", "forecast", "--csv", str(series), "--horizon", "10", "--valid-origins", "25",
            "--out", str(tmp_path / "too_many"), *FAST], capsys, "or fewer --valid-origins")


def test_numbers_in_the_output_have_six_significant_digits_and_never_read_as_zero_or_a_long_integer():
    from rnnkit.tasks.forecasting.verbs import format_value as _format

    assert [_format(v) for v in (-1e-9, 0.0, -0.0, -1.5, 1106740.4, 0.01234567, 1.2e-7, 1.4e102, 999999.5e6)] == \
        ["-1e-09", "0", "0", "-1.50000", "1106740", "0.0123457", "1.2e-07", "1.4e+102", "999999500000"]


def undated(n, season=None, seed=0):
    """A bare column of values: a trend, a season of ``season`` steps where given, and noise."""
    import random

    rng = random.Random(seed)
    return [50 + 0.5 * t + (8 * math.sin(2 * math.pi * t / season) if season else 0) + rng.gauss(0, 1)
            for t in range(n)]


def data_of(run):
    return json.loads((run / "config.json").read_text())["data"]


def test_the_season_comes_from_the_calendar_or_the_values(tmp_path, capsys):
    dated = write_csv(tmp_path / "dated.csv", monthly(60))
    assert main(["train", "forecast", "--csv", str(dated), "--horizon", "6", "--out", str(tmp_path / "a"), *FAST]) == 0
    assert data_of(tmp_path / "a")["season"] == 12 and data_of(tmp_path / "a")["season_from"] == "the series' calendar"
    for name, season, expected in (("weekly", 7, 7), ("plain", None, 1)):
        path = tmp_path / f"{name}.csv"
        path.write_text("".join(f"{v:.3f}\n" for v in undated(140, season)))
        assert main(["train", "forecast", "--csv", str(path), "--horizon", "7", "--out", str(tmp_path / name),
                     *FAST]) == 0
        assert data_of(tmp_path / name)["season"] == expected
    assert "season 7 (the values' autocorrelation, checked on validation)" in capsys.readouterr().err
    assert main(["train", "forecast", "--csv", str(dated), "--horizon", "6", "--season", "4",
                 "--out", str(tmp_path / "given"), *FAST]) == 0
    assert data_of(tmp_path / "given")["season"] == 4 and data_of(tmp_path / "given")["season_from"] == "given"
    quarterly = tmp_path / "quarters.csv"
    quarterly.write_text("quarter,sales\n" + "".join(f"{2000 + t // 4}Q{t % 4 + 1},{v:.2f}\n"
                                                     for t, v in enumerate(undated(40, 4))))
    assert main(["train", "forecast", "--csv", str(quarterly), "--horizon", "4", "--out", str(tmp_path / "q"),
                 *FAST]) == 0
    assert data_of(tmp_path / "q")["season"] == 4
    capsys.readouterr()
    assert main(["forecast", str(tmp_path / "q"), "--csv", str(quarterly), "--horizon", "2"]) == 0
    assert [r[1] for r in csv.reader(capsys.readouterr().out.splitlines()[1:])] == ["2010Q1", "2010Q2"]


def test_month_end_dates_stay_dated(tmp_path, capsys):
    import calendar

    rows = [(f"{2010 + t // 12}-{t % 12 + 1:02d}-{calendar.monthrange(2010 + t // 12, t % 12 + 1)[1]}", v)
            for t, (_, v) in enumerate(monthly(48))]
    path = write_csv(tmp_path / "ends.csv", rows)
    assert main(["train", "forecast", "--csv", str(path), "--horizon", "3", "--out", str(tmp_path / "run"), *FAST]) == 0
    assert data_of(tmp_path / "run")["season"] == 12
    capsys.readouterr()
    assert main(["forecast", str(tmp_path / "run"), "--csv", str(path)]) == 0
    times = [r[1] for r in csv.reader(capsys.readouterr().out.splitlines()[1:])]
    assert times == ["2014-01-31", "2014-02-28", "2014-03-31"]


def test_a_log_scale_run_refuses_values_at_or_below_zero(trained, tmp_path, capsys):
    rows = monthly(30)
    rows[-2] = (rows[-2][0], 0.0)
    path = write_csv(tmp_path / "zero.csv", rows)
    fails(["forecast", str(trained / "run"), "--csv", str(path)], capsys,
          "zero.csv, line 30: series 'sales' has the value 0; this run forecasts the logarithm")
    rows[-2], rows[-10] = monthly(30)[-2], (rows[-10][0], -1.0)    # in the window evaluate reads
    fails(["evaluate", str(trained / "run"), "--csv", str(write_csv(tmp_path / "early.csv", rows))], capsys,
          "early.csv, line 22: series 'sales' has the value -1; this run forecasts the logarithm")


def test_short_series_are_named_when_left_out_and_refused_when_forecast(tmp_path, capsys):
    short = TSF.replace("S5:1975", "TINY:1975-01-01 00-00-00:4,400\nS5:1975")
    (tmp_path / "short.tsf").write_text(short)
    assert main(["train", "forecast", "--tsf", str(tmp_path / "short.tsf"), "--out", str(tmp_path / "run"), *FAST]) == 0
    assert "1 of 6 series are too short to train on" in capsys.readouterr().err
    fails(["forecast", str(tmp_path / "run"), "--tsf", str(tmp_path / "short.tsf")], capsys,
          "series 'TINY' has 2 value(s), fewer than the 3 to forecast")


def test_few_validation_values_are_said_and_the_intervals_hold_them(tmp_path, capsys):
    path = write_csv(tmp_path / "s.csv", monthly(48))
    assert main(["train", "forecast", "--csv", str(path), "--horizon", "3", "--valid-origins", "1",
                 "--out", str(tmp_path / "run"), *FAST]) == 0
    assert "calibrated on 3 validation values, fewer than the 19" in capsys.readouterr().err
    assert main(["train", "forecast", "--csv", str(path), "--horizon", "3", "--out", str(tmp_path / "auto"),
                 *FAST]) == 0
    assert data_of(tmp_path / "auto")["valid_origins"] == 10 and "calibrated on" not in capsys.readouterr().err


def write_wide(path, rows):
    width = 1 + max(len(values) for _, values in rows)
    lines = [",".join(f'"V{k + 1}"' for k in range(width))]
    for name, values in rows:
        cells = [f'"{name}"', *(f'"{v:.3f}"' for v in values)]
        lines.append(",".join(cells + ['""'] * (width - len(cells))))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_m4s_wide_files_train_forecast_and_score_against_a_test_file(tmp_path, capsys):
    full = {f"H{k}": undated(60 + 4 * k + 4, 6, seed=k) for k in range(1, 7)}
    train = write_wide(tmp_path / "train.csv", [(name, v[:-4]) for name, v in full.items()])
    test = write_wide(tmp_path / "test.csv", [(name, v[-4:]) for name, v in full.items()])
    assert main(["train", "forecast", "--csv", str(train), "--horizon", "4", "--out", str(tmp_path / "run"),
                 *FAST]) == 0                                   # one series per row: read as --wide
    assert data_of(tmp_path / "run")["season"] == 6
    capsys.readouterr()
    assert main(["forecast", str(tmp_path / "run"), "--wide", str(train)]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0][:2] == ["series", "step"] and len(rows) == 1 + 6 * 4 and rows[1][:2] == ["H1", "1"]
    assert main(["evaluate", str(tmp_path / "run"), "--wide", str(train), "--test", str(test), "--json"]) == 0
    against_test = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(tmp_path / "run"), "--wide", str(train), "--json"]) == 0
    held_out = json.loads(capsys.readouterr().out)
    assert against_test != held_out and all(0 <= against_test[k] <= 1 for k in ("coverage80", "coverage95"))
    renamed = write_wide(tmp_path / "other.csv", [("X1", [1.0] * 4)])
    fails(["evaluate", str(tmp_path / "run"), "--wide", str(train), "--test", str(renamed)], capsys,
          "other.csv: has no series 'H1'")
    fails(["train", "forecast", "--csv", str(train), "--tsf", str(train), "--horizon", "4",
           "--out", str(tmp_path / "x")], capsys, "argument --tsf: not allowed with argument --csv")


def test_the_length_of_a_run_follows_its_count_of_training_windows():
    from rnnkit.tasks.forecasting.config import EVALUATIONS, MAX_EPOCHS, WINDOWS_READ, ForecastConfig, BUDGET

    open_ended = ForecastConfig(out="r")
    short, long = BUDGET.length(50, open_ended), BUDGET.length(WINDOWS_READ * 3, open_ended)
    assert short["epochs"] == MAX_EPOCHS and long["epochs"] == 1          # a few windows are read more often
    assert short["max_steps"] is None and BUDGET.length(WINDOWS_READ // 10, open_ended)["epochs"] == 10
    assert long["max_steps"] == WINDOWS_READ // 32                       # a long epoch is read in part
    assert long["eval_every"] == WINDOWS_READ // 32 // EVALUATIONS and long["patience"] == EVALUATIONS // 4
    given = BUDGET.length(WINDOWS_READ * 3, ForecastConfig(out="r", epochs=7, eval_every=3, patience=2))
    assert given == {"epochs": 7, "max_steps": None, "eval_every": 3, "patience": 2}


def test_a_run_without_epochs_stops_on_the_validation_metric(tmp_path, capsys):
    series = write_csv(tmp_path / "s.csv", monthly(48))
    assert main(["train", "forecast", "--csv", str(series), "--horizon", "3", "--hidden", "8", "--patience", "2",
                 "--lr", "0.3", "--out", str(tmp_path / "run")]) == 0
    training = json.loads((tmp_path / "run" / "config.json").read_text())["data"]["training"]
    assert training["epochs"] == 100 and training["patience"] == 2
    out = capsys.readouterr()
    assert "(early stopping)" in out.out + out.err and "stopping after 2 without improvement" in out.err
    evaluated = [r["step"] for r in map(json.loads, (tmp_path / "run" / "metrics.jsonl").read_text().splitlines())
                 if "valid_loss" in r]
    assert evaluated[:3] == [training["eval_every"] * k for k in (1, 2, 3)]
    assert len(evaluated) < 50          # it stopped long before the 100 validations of the whole run
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["output"] == "decoder" and config["model"]["decoder"] is True
    assert "decoder head" in out.err
