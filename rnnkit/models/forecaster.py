"""Forecasting: read a window of a series' past, predict the quantiles of its next H values at once.

    x_t = f(y_t)                        f = log for a positive, multiplicative series, else identity
    z_t = (x_t - level) / spread        level: the window's last observed x; spread: the mean absolute
                                        change between its steps (so one model reads series of any size)
    h   = RNN([z_t; season phase_t (sin, cos); observed_t])   over the window; a short one is masked
    d_k = RNN'([base_k; phase_k], from h)   over the H steps ahead (non-autoregressive: nothing
                                        predicted is fed back)
    q_k = base_k + W d_k + b  ->  [Q]   the quantiles of value k ahead in z units, above the seasonal
                                        naive forecast ``base_k`` (the value one season earlier; the
                                        last value without a season)
    y^  = f^-1(level + spread * q)      sorted over the quantiles: the median is the forecast, the
                                        10% and 90% the 80% interval, the 2.5% and 97.5% the 95% one

Trained with the pinball loss of each quantile (Koenker & Bassett 1978; the encoder-decoder of
MQ-RNN, Wen et al. 2017).  One model serves many series (a global model, Monash/M-competition
style) or one.  ``calibrate`` then widens the intervals to hold their share of held-out values.
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
                 quantiles: tuple[float, ...] = QUANTILES, decoder: bool = True, drift: bool = False, **rnn_options):
        """``season``: the period of the season in steps (1: none); ``log``: forecast the logarithm
        (positive series whose changes are proportional to their level); ``mask_missing``: inputs
        carry an observed/missing flag; ``decoder``: a second recurrent layer runs over the H
        future steps from the encoder's state (fed each step's seasonal naive value and phase)
        and gives each step's quantiles; else one output layer gives all of them from the
        encoder's last state (MQ-RNN's direct form; the decoder is ``rnnkit train forecast``'s
        default, chosen on its validation split).  ``drift``: the base forecast goes on
        by the window's mean change per season (the seasonal naive forecast with drift)."""
        super().__init__()
        cell, rnn_options = resolve(cell, rnn_options)
        needed = {0.5, *(t for pair in INTERVALS.values() for t in pair)}
        rising = sorted(quantiles) == list(quantiles) and all(0 < q < 1 for q in quantiles)
        if not rising or not needed <= set(quantiles):
            raise ValueError(f"quantiles must rise within (0, 1) and include {sorted(needed)}, got {quantiles}")
        self.config = dict(horizon=horizon, season=season, hidden_size=hidden_size, num_layers=num_layers, cell=cell,
                           dropout=dropout, log=log, mask_missing=mask_missing, quantiles=list(quantiles),
                           decoder=decoder, drift=drift, **rnn_options)
        self.horizon, self.season, self.log, self.mask_missing, self.drift = horizon, season, log, mask_missing, drift
        self.register_buffer("taus", torch.tensor(quantiles), persistent=False)
        self.levels = [round(float(t), 6) for t in quantiles]                # the same, as numbers
        self.register_buffer("widen", torch.zeros(len(INTERVALS), dtype=torch.float64))   # set by calibrate()
        inputs = 1 + (2 if season > 1 else 0) + (1 if mask_missing else 0)
        self.rnn = Recurrent(cell, inputs, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                             **rnn_options)
        self.dropout = nn.Dropout(dropout)
        self.decoder = (Recurrent(cell, inputs - (1 if mask_missing else 0), hidden_size, num_layers,
                                  dropout=dropout if num_layers > 1 else 0.0, **rnn_options) if decoder else None)
        self.head = nn.Linear(hidden_size, (1 if decoder else horizon) * len(quantiles))
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
        steps = torch.arange(z.shape[1], device=z.device)
        features = [z, *self.phase(w.start[:, None] + steps)]
        if self.mask_missing:
            features.append(observed.to(z.dtype))
        x = torch.stack(features, -1).to(dtype).transpose(0, 1)          # [W, B, F]
        _, state = self.rnn(x, lengths=w.lengths)
        base = self.base(z, observed, w.lengths)
        if self.decoder is None:
            h = (state[0] if isinstance(state, tuple) else state)[-1]  # the top layer at each window's end
            q = self.head(self.dropout(h)).view(-1, self.horizon, len(self.taus))
        else:
            ahead = (w.start + w.lengths)[:, None] + torch.arange(self.horizon, device=z.device)
            future = torch.stack([base, *self.phase(ahead)], -1).to(dtype).transpose(0, 1)   # [H, B, F]
            out, _ = self.decoder(future, state)
            q = self.head(self.dropout(out)).transpose(0, 1)           # [B, H, Q]
        return q + base.to(dtype)[..., None], level, spread

    def phase(self, step: torch.Tensor) -> list[torch.Tensor]:
        """The season's phase of calendar steps as (sin, cos); nothing without a season."""
        if self.season <= 1:
            return []
        angle = 2 * math.pi * (step % self.season) / self.season
        return [angle.sin(), angle.cos()]

    def base(self, z, observed, lengths) -> torch.Tensor:
        """The seasonal naive forecast in z units, ``[B, H]``: the value one season before each
        step ahead, where the window has it (else 0, the last value); with ``drift``, plus the
        window's mean change over a season for each season ahead (Hyndman & Athanasopoulos'
        drift method, seasonally)."""
        m = self.season
        k = torch.arange(self.horizon, device=z.device)
        if m <= 1:
            naive = z.new_zeros(z.shape[0], self.horizon)
        else:
            index = lengths[:, None] - m + k % m                             # [B, H]
            safe = index.clamp(min=0, max=z.shape[1] - 1)
            known = (index >= 0) & observed.gather(1, safe)
            naive = torch.where(known, z.gather(1, safe), 0.0)
        if not self.drift:
            return naive
        # each value beside the one a season before it: shifted by padding, not by slicing off m
        # values, since a window may be shorter than a season
        width = z.shape[1]
        earlier = torch.cat([z.new_zeros(z.shape[0], m), z], 1)[:, :width]
        both = observed & torch.cat([observed.new_zeros(z.shape[0], m), observed], 1)[:, :width]
        change = torch.where(both, z - earlier, 0.0).sum(1) / both.sum(1).clamp(min=1)
        return naive + change[:, None] * (k // m + 1)

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

    def _interval_columns(self) -> list[tuple[int, int]]:
        taus = self.levels
        return [(taus.index(lo), taus.index(hi)) for lo, hi in INTERVALS.values()]

    @torch.no_grad()
    def quantiles(self, w: Windows, widened: bool = True):
        """``(quantiles [B, H, Q] sorted, in z units, level, spread)``; ``widened``: with the
        intervals' calibration applied."""
        q, level, spread = self(w)
        q = q.double().sort(-1).values
        if widened:
            median = q[..., self.levels.index(0.5)]
            columns = self._interval_columns()
            for (lo, hi), factor in zip(columns, self.widen):
                width = q[..., hi] - q[..., lo]
                q[..., lo] = (q[..., lo] - factor * width).clamp(max=median)
                q[..., hi] = (q[..., hi] + factor * width).clamp(min=median)
            for (lo, hi), (outer_lo, outer_hi) in zip(columns, columns[1:]):   # the 95% interval holds the 80%
                q[..., outer_lo] = torch.minimum(q[..., outer_lo], q[..., lo])
                q[..., outer_hi] = torch.maximum(q[..., outer_hi], q[..., hi])
        return q, level, spread

    @torch.no_grad()
    def forecast(self, w: Windows) -> torch.Tensor:
        """The quantiles of the next H values in the series' own units, ``[B, H, Q]`` (sorted)."""
        q, level, spread = self.quantiles(w)
        y = level[:, None, None] + spread[:, None, None] * q
        return y.exp() if self.log else y

    @torch.no_grad()
    def calibrate(self, w: Windows) -> int:
        """Conformalised quantile regression (Romano et al. 2019) on held-out windows ``w``: each
        interval is widened (or narrowed) by the amount, relative to its width, that makes it hold
        its share of ``w``'s targets (with the finite-sample correction).  With too few targets for
        that share (fewer than 4 for 80%, 19 for 95%) the interval is widened to hold every one of
        them, the most that they can say.  Returns the number of targets."""
        q, level, spread = self.quantiles(w, widened=False)
        y = self.targets(w, level, spread)
        known = ~torch.isnan(y)
        for k, ((lo, hi), level_) in enumerate(zip(self._interval_columns(), INTERVALS)):
            width = (q[..., hi] - q[..., lo]).clamp(min=1e-6)
            score = torch.maximum(q[..., lo] - y, y - q[..., hi]) / width
            score = score[known]
            n, rank = len(score), math.ceil(level_ / 100 * (len(score) + 1))
            if n == 0:
                self.widen[k] = 0.0
                continue
            self.widen[k] = score.sort().values[min(rank, n) - 1].clamp(min=-0.5)   # narrowed at most to nothing
        return int(known.sum())
