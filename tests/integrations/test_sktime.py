"""rnnkit's forecaster as an sktime forecaster: sktime's own estimator checks, one per test so that
the workers share them, the quantiles at any level, backtesting with sktime's evaluate, and the
forecasts rnnkit itself gives.  Run by `make test-ecosystem` (sktime is an optional extra), on
series the tests make."""
import numpy as np
import pandas as pd
import pytest
from sktime.forecasting.model_evaluation import evaluate
from sktime.split import ExpandingWindowSplitter
from sktime.utils.estimator_checks import check_estimator, parametrize_with_checks

import rnnkit
from rnnkit.integrations.sktime import LEVELS, RNNForecaster, quantile


def monthly(n=48):
    t = np.arange(n)
    return pd.Series(100 + t + 10 * np.sin(2 * np.pi * t / 12), index=pd.period_range("2015-01", periods=n, freq="M"))


@parametrize_with_checks(RNNForecaster)
def test_sktimes_estimator_checks_pass(obj, test_name):
    check_estimator(obj, tests_to_run=test_name, raise_exceptions=True)


def test_the_forecasts_are_rnnkits_from_the_end_of_the_series():
    y = monthly()
    forecaster = RNNForecaster(hidden=4, epochs=2, random_state=5).fit(y, fh=[1, 2, 3, 4])
    model = rnnkit.train("forecast", y, horizon=4, hidden=4, epochs=2, seed=5)
    expected = model.predict(y)
    assert np.allclose(forecaster.predict().to_numpy(), expected["forecast"].to_numpy(), rtol=1e-12)
    interval = forecaster.predict_interval(coverage=[0.8, 0.95])
    assert np.allclose(interval.iloc[:, 0], expected["lo80"]) and np.allclose(interval.iloc[:, 3], expected["hi95"])
    assert list(forecaster.predict().index) == list(pd.period_range("2019-01", periods=4, freq="M"))
    later = monthly(50)
    forecaster.update(later[48:])                                  # two more months: forecasts start after them
    assert np.allclose(forecaster.predict().to_numpy(), model.predict(later)["forecast"].to_numpy(), rtol=1e-12)
    assert forecaster.predict().index[0] == pd.Period("2019-03", freq="M")


def test_quantiles_at_any_level_are_ordered_and_meet_the_calibrated_ones():
    rng = np.random.default_rng(0)
    table = np.sort(rng.normal(size=(6, 5)), axis=1)               # the values at LEVELS, each row ordered
    assert np.allclose(np.stack([quantile(table, a) for a in LEVELS], 1), table)
    levels = np.linspace(0.001, 0.999, 101)
    values = np.stack([quantile(table, a) for a in levels], 1)
    assert (np.diff(values, axis=1) >= -1e-12).all()


def test_backtesting_with_sktimes_evaluate_on_an_expanding_window():
    y = monthly(60)
    splitter = ExpandingWindowSplitter(fh=[1, 2, 3], initial_window=36, step_length=12)
    results = evaluate(RNNForecaster(hidden=4, epochs=1), splitter, y, return_data=True)
    assert len(results) == 2 and np.isfinite(results.iloc[:, 0]).all()
    with pytest.raises(NotImplementedError, match="can not perform in-sample prediction"):
        RNNForecaster(hidden=4, epochs=1).fit(y, fh=[-1, 1])
