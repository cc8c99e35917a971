"""The forecast application: windows of series in, quantiles of the next values out."""
from rnnkit.tasks.forecasting.task import ForecastTask

__all__ = ["ForecastTask"]
