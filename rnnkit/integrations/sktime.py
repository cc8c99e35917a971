"""rnnkit's forecaster as an sktime forecaster (``pip install rnnkit[sktime]``).

``RNNForecaster`` trains ``rnnkit.train("forecast", y, horizon=H)`` with H the furthest step of
the forecasting horizon given to ``fit``, and forecasts from the end of the series it was fitted
on, or of the values ``update`` adds to it (without retraining: the model reads any window).  A panel (many series) is fitted by sktime one series at a time.  Quantiles: rnnkit gives
the median and calibrated 80% and 95% intervals; a quantile at level ``a`` is read off the
piecewise-linear function of the level through (0.025, lo95), (0.1, lo80), (0.5, median),
(0.9, hi80) and (0.975, hi95), extended beyond them with the slope of the outer pieces, so that
quantiles at any levels are ordered as their levels are.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster

import rnnkit

__all__ = ["RNNForecaster"]

LEVELS = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
COLUMNS = ["lo95", "lo80", "forecast", "hi80", "hi95"]   # the values at LEVELS


class RNNForecaster(BaseForecaster):
    """A recurrent forecaster (rnnkit's): quantiles of the next values from a window of the past.

    Parameters
    ----------
    hidden : int or None
        Units of the recurrent layer; None: rnnkit's default.
    epochs : int or None
        Passes over the training windows; None: from the data, with early stopping.
    max_time : float or None
        Wall-clock budget of training in seconds.
    options : dict or None
        Any other option of ``rnnkit train forecast``, in snake_case (``{"season": 12}``).
    random_state : int or None
        Seed of the run (None: 0, so that a fit is repeatable).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from rnnkit.integrations.sktime import RNNForecaster
    >>> y = pd.Series(100 + np.arange(48) % 12, index=pd.period_range("2020-01", periods=48, freq="M"))
    >>> forecaster = RNNForecaster(hidden=4, epochs=1).fit(y, fh=[1, 2, 3])
    >>> forecaster.predict_interval(coverage=0.8).shape
    (3, 2)
    """

    _tags = {
        "authors": "rnnkit",
        "y_inner_mtype": "pd.Series",
        "requires-fh-in-fit": True,
        "capability:exogenous": False,
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:missing_values": False,
        "capability:multivariate": False,
        "python_dependencies": "torch",
        "capability:random_state": True,
        "capability:update": True,
    }
    _config = {"remember_data": False}   # the series is kept as history_, which update extends

    def __init__(self, hidden=None, epochs=None, max_time=None, options=None, random_state=None):
        self.hidden = hidden
        self.epochs = epochs
        self.max_time = max_time
        self.options = options
        self.random_state = random_state
        super().__init__()
        self._y = self._X = None   # what sktime keeps where remember_data is set (rnnkit keeps history_)

    def _fit(self, y, X=None, fh=None):
        steps = fh.to_relative(self.cutoff)
        given = {"hidden": self.hidden, "epochs": self.epochs, "max_time": self.max_time}
        options = {**{k: v for k, v in given.items() if v is not None}, **(self.options or {})}
        self.model_ = rnnkit.train("forecast", y.astype(float), horizon=int(max(steps)),
                                   seed=0 if self.random_state is None else int(self.random_state), **options)
        self.history_ = y.copy()
        return self

    def _update(self, y, X=None, update_params=True):
        """New values: forecasts start after them; the weights stay (a global model reads any window)."""
        self.history_ = pd.concat([self.history_, y])
        self.history_ = self.history_[~self.history_.index.duplicated(keep="last")].sort_index()
        return self

    def _table(self, fh) -> pd.DataFrame:
        """The forecasts at the steps of ``fh`` (rows), one column per value of ``COLUMNS``."""
        steps = np.asarray(fh.to_relative(self.cutoff), dtype=int)           # 1 .. the horizon of fit
        out = self.model_.predict(np.asarray(self.history_, dtype=float), horizon=int(steps.max()))
        return pd.DataFrame({name: np.asarray(out[name])[steps - 1] for name in COLUMNS})

    def _predict(self, fh, X=None) -> pd.Series:
        values = self._table(fh)["forecast"].to_numpy()
        return pd.Series(values, index=fh.to_absolute_index(self.cutoff), name=self.history_.name)

    def _predict_quantiles(self, fh, X=None, alpha=None) -> pd.DataFrame:
        table = self._table(fh).to_numpy()                          # [steps, 5], at LEVELS
        columns = self._get_columns(method="predict_quantiles", alpha=alpha)
        values = np.stack([quantile(table, a) for a in alpha], axis=1)
        return pd.DataFrame(values, index=fh.to_absolute_index(self.cutoff), columns=columns)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Tiny settings, for sktime's estimator checks."""
        return [{"hidden": 4, "epochs": 1}, {"hidden": 4, "epochs": 2, "options": {"season": 1}}]


def quantile(table: np.ndarray, level: float) -> np.ndarray:
    """The values at ``level`` of each row of ``table`` (the values at ``LEVELS``): linear between
    the two levels around it, and beyond the outer ones along the outer piece."""
    k = int(np.clip(np.searchsorted(LEVELS, level) - 1, 0, len(LEVELS) - 2))
    w = (level - LEVELS[k]) / (LEVELS[k + 1] - LEVELS[k])
    return table[:, k] + w * (table[:, k + 1] - table[:, k])
