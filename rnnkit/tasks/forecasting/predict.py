"""A forecaster's quantiles for windows of series, and the point forecast and intervals they give."""
from __future__ import annotations

import torch

from rnnkit.devices import device_of, to_device
from rnnkit.models.forecaster import INTERVALS, Forecaster, Windows
from rnnkit.models.modes import evaluating


def forecast(model: Forecaster, w: Windows) -> torch.Tensor:
    """The quantiles ``[B, H, Q]`` of the model for windows ``w``, on the CPU."""
    with evaluating(model):
        return model.forecast(to_device(w, device_of(model))).cpu()


def point_and_intervals(model: Forecaster, quantiles: torch.Tensor):
    """``(median, {80: (lo, hi), 95: (lo, hi)})`` of quantiles ``[..., Q]``."""
    taus = model.levels
    pick = lambda tau: quantiles[..., taus.index(tau)]  # noqa: E731
    return pick(0.5), {level: (pick(lo), pick(hi)) for level, (lo, hi) in INTERVALS.items()}
