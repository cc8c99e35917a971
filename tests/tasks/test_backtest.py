"""Backtesting over rolling origins: the figures of each origin beside their mean, and with
--refit a forecaster trained anew at each origin on the values before it, with the run's options,
exactly as a run trained on those values alone."""
import json
import math

import numpy as np
import pytest

import rnnkit
from rnnkit.cli.main import main

VALUES = [100 + k + 10 * math.sin(2 * math.pi * k / 12) for k in range(72)]
OPTIONS = dict(horizon=6, hidden=8, epochs=1, seed=4)


def evaluated(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main([str(a) for a in ["evaluate", *argv, "--json"]]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_origin_is_reported_beside_the_mean(tmp_path, capsys):
    rnnkit.train("forecast", VALUES, out=tmp_path / "run", **OPTIONS)
    metrics = evaluated(capsys, tmp_path / "run", "--csv", tmp_path / "run" / "data" / "series.csv", "--origins", "3")
    assert [o["origin"] for o in metrics["origins"]] == [64, 65, 66]
    alone = evaluated(capsys, tmp_path / "run", "--csv", tmp_path / "run" / "data" / "series.csv")
    assert "origins" not in alone and metrics["origins"][-1]["MAPE"] == pytest.approx(alone["MAPE"], rel=1e-12)


def test_refit_trains_at_each_origin_the_run_those_values_make(tmp_path, capsys):
    model = rnnkit.train("forecast", VALUES, out=tmp_path / "run", **OPTIONS)
    refitted = model.evaluate(VALUES, origins=2, refit=True)
    assert [o["origin"] for o in refitted["origins"]] == [65, 66]
    assert refitted["MAPE"] == pytest.approx(np.mean([o["MAPE"] for o in refitted["origins"]]), rel=1e-12)
    last = rnnkit.train("forecast", VALUES[:66], **OPTIONS)                       # the last origin's run, by hand
    forecast = last.predict(VALUES[:66])["forecast"]
    actual = np.array(VALUES[66:])
    assert refitted["origins"][-1]["MAPE"] == pytest.approx(100 * np.mean(np.abs(actual - forecast) / actual),
                                                            rel=1e-9)
    assert main(["evaluate", str(tmp_path / "run"), "--csv", str(tmp_path / "run" / "data" / "series.csv"),
                 "--refit"]) == 2
    assert "--refit retrains at each of the last K origins: give --origins K" in capsys.readouterr().err
