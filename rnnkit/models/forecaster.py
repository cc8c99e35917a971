"""Forecasting: read a window of a series' past, predict the quantiles of its next H values at once.

    x_t = f(y_t)                        f = log for a positive, multiplicative series, else identity
    z_t = (x_t - level) / spread        level: the window's last observed x; spread: the mean absolute
                                        change between its steps (so one model reads series of any size)
    h   = RNN([z_t; season phase_t (sin, cos); observed_t])   over the window; a short one is masked
    q   = base + W h + b  ->  [H, Q]    the quantiles of each next value in z units, above the seasonal
                                        naive forecast ``base`` (the value one season earlier; the
                                        last value without a season)
    y^  = f^-1(level + spread * q)      sorted over the quantiles: the median is the forecast, the
                                        10% and 90% the 80% interval, the 2.5% and 97.5% the 95% one

Trained with the pinball loss of each quantile (Koenker & Bassett 1978; as MQ-RNN, Wen et al.
2017, all H values come from one reading of the window).  One model serves many series (a
global model, Monash/M-competition style) or one.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.layers import Recurrent

QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
INTERVALS = {80: (0.1, 0.9), 95: (0.025, 0.975)}


class Windows(NamedTuple):
    """A batch of windows: ``history [B, W]`` (left-aligned, NaN where missing and past each
    length), ``lengths [B]``, ``start [B]`` (the calendar step of each window's first value, for
    the season's phase) and, for training, ``target [B, H]`` (NaN where missing)."""
    history: torch.Tensor
    lengths: torch.Tensor
    start: torch.Tensor
    target: torch.Tensor | None = None


def windows(histories: list[list[float]], starts: list[int], targets: list[list[float]] | None = None) -> Windows:
    """``Windows`` from lists (the histories may differ in length)."""
    width = max(len(h) for h in histories)
    history = torch.full((len(histories), width), math.nan, dtype=torch.float64)
    for b, h in enumerate(histories):
        history[b, : len(h)] = torch.tensor(h, dtype=torch.float64)
    target = None if targets is None else torch.tensor(targets, dtype=torch.float64)
    return Windows(history, torch.tensor([len(h) for h in histories]), torch.tensor(starts), target)


class Forecaster(nn.Module):
    def __init__(self, horizon: int, season: int = 1, hidden_size: int = 64, num_layers: int = 1, cell: str = "lstm",
                 dropout: float = 0.0, log: bool = False, mask_missing: bool = False,
                 quantiles: tuple[float, ...] = QUANTILES, **rnn_options):
        """``season``: the period of the season in steps (1: none); ``log``: forecast the logarithm
        (positive series whose changes are proportional to their level); ``mask_missing``: inputs
        carry an observed/missing flag."""
        super().__init__()
        cell, rnn_options = resolve(cell, rnn_options)
        if sorted(quantiles) != list(quantiles) or not all(0 < q < 1 for q in quantiles):
            raise ValueError(f"quantiles must rise within (0, 1), got {quantiles}")
        self.config = dict(horizon=horizon, season=season, hidden_size=hidden_size, num_layers=num_layers, cell=cell,
                           dropout=dropout, log=log, mask_missing=mask_missing, quantiles=list(quantiles),
                           **rnn_options)
        self.horizon, self.season, self.log, self.mask_missing = horizon, season, log, mask_missing
        self.register_buffer("taus", torch.tensor(quantiles), persistent=False)
        inputs = 1 + (2 if season > 1 else 0) + (1 if mask_missing else 0)
        self.rnn = Recurrent(cell, inputs, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                             **rnn_options)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, horizon * len(quantiles))
        with torch.no_grad():   # start from the seasonal naive forecast
            self.head.weight.zero_()
            self.head.bias.zero_()

    def scale(self, w: Windows):
        """``(z [B, W], observed [B, W], level [B], spread [B])``: each window in its own units."""
        x = w.history.log() if self.log else w.history
        observed = ~torch.isnan(x)
        position = torch.arange(x.shape[1], device=x.device)
        last = torch.where(observed, position, -1).amax(1).clamp(min=0)
        level = x.gather(1, last[:, None])[:, 0]
        both = observed[:, 1:] & observed[:, :-1]
        change = torch.where(both, (x[:, 1:] - x[:, :-1]).abs(), 0.0).sum(1) / both.sum(1).clamp(min=1)
        spread = torch.where(change > 1e-8, change, level.abs().clamp(min=1e-3) * 0.01)
        z = torch.where(observed, (x - level[:, None]) / spread[:, None], 0.0)
        return z, observed, level, spread

    def forward(self, w: Windows) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(quantiles [B, H, Q] in each window's z units, level [B], spread [B])``."""
        z, observed, level, spread = self.scale(w)
        dtype = self.head.weight.dtype
        features = [z]
        if self.season > 1:
            phase = (w.start[:, None] + torch.arange(z.shape[1], device=z.device)) % self.season
            angle = 2 * math.pi * phase / self.season
            features += [angle.sin(), angle.cos()]
        if self.mask_missing:
            features.append(observed.to(z.dtype))
        x = torch.stack(features, -1).to(dtype).transpose(0, 1)          # [W, B, F]
        _, state = self.rnn(x, lengths=w.lengths)
        h = (state[0] if isinstance(state, tuple) else state)[-1]      # the top layer at each window's end
        q = self.head(self.dropout(h)).view(-1, self.horizon, len(self.taus))
        return q + self.base(z, observed, w.lengths).to(dtype)[..., None], level, spread

    def base(self, z, observed, lengths) -> torch.Tensor:
        """The seasonal naive forecast in z units, ``[B, H]``: the value one season before each
        step ahead, where the window has it (else 0, the last value)."""
        m = self.season
        if m <= 1:
            return z.new_zeros(z.shape[0], self.horizon)
        k = torch.arange(self.horizon, device=z.device)
        index = lengths[:, None] - m + k % m                             # [B, H]
        safe = index.clamp(min=0, max=z.shape[1] - 1)
        known = (index >= 0) & observed.gather(1, safe)
        return torch.where(known, z.gather(1, safe), 0.0)

    def targets(self, w: Windows, level, spread) -> torch.Tensor:
        y = w.target.log() if self.log else w.target
        return (y - level[:, None]) / spread[:, None]

    def loss(self, w: Windows) -> tuple[torch.Tensor, int]:
        """Summed pinball loss over the quantiles of every observed target value, and their number."""
        q, level, spread = self(w)
        target = self.targets(w, level, spread).to(q.dtype)
        observed = ~torch.isnan(target)
        error = torch.where(observed, target, 0.0)[..., None] - q
        pinball = torch.maximum(self.taus * error, (self.taus - 1) * error).sum(-1)
        return torch.where(observed, pinball, 0.0).sum(), int(observed.sum())

    @torch.no_grad()
    def forecast(self, w: Windows) -> torch.Tensor:
        """The quantiles of the next H values in the series' own units, ``[B, H, Q]`` (sorted)."""
        q, level, spread = self(w)
        y = level[:, None, None] + spread[:, None, None] * q.double().sort(-1).values
        return y.exp() if self.log else y
