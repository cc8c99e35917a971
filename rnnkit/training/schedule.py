"""Learning-rate schedules that the trainer applies at every step.

``constant``; ``cosine`` (from the base rate down to ``min_lr`` over the run's progress, which is
steps over planned steps when the number of epochs or steps is known, even beside a time budget,
and elapsed time over ``--max-time`` otherwise); ``step`` (multiply by ``gamma`` every ``every`` epochs after epoch ``start``, as
Zaremba et al. halve the rate each epoch after the fourth); ``plateau`` (multiply by ``factor``
when validation loss has not improved for ``patience`` evaluations).  Any schedule can start
with a linear warm-up.  On top, the trainer's guard against non-finite losses scales the rate
down (``backoff``).  The whole state is a few numbers, saved as JSON in checkpoints.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

KINDS = ("constant", "cosine", "step", "plateau")


@dataclass
class Schedule:
    kind: str = "constant"
    base_lr: float = 1e-3
    min_lr: float = 0.0
    warmup_steps: int = 0
    gamma: float = 0.5          # step decay factor
    every: int = 1              # step decay period in epochs
    start: int = 0              # step decay begins after this many epochs
    factor: float = 0.5         # plateau factor
    patience: int = 1           # plateau patience in evaluations
    # state
    best: float = math.inf
    bad_evals: int = 0
    plateau_scale: float = 1.0
    backoff: float = 1.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"schedule must be one of {KINDS}, got {self.kind!r}")

    def lr(self, step: int, epoch: int, progress: float) -> float:
        """The rate for optimizer step ``step`` (0-based) in ``epoch`` (0-based); ``progress`` in [0, 1]."""
        lr = self.base_lr
        if self.kind == "cosine":
            p = min(max(progress, 0.0), 1.0)
            lr = self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * p))
        elif self.kind == "step" and epoch >= self.start:
            lr = self.base_lr * self.gamma ** ((epoch - self.start) // self.every + 1)
        elif self.kind == "plateau":
            lr = self.base_lr * self.plateau_scale
        if self.warmup_steps and step < self.warmup_steps:
            lr *= (step + 1) / self.warmup_steps
        return lr * self.backoff

    def observe(self, valid_loss: float) -> None:
        """Record a validation result (``plateau`` acts on it)."""
        if valid_loss < self.best:
            self.best, self.bad_evals = valid_loss, 0
            return
        self.bad_evals += 1
        if self.kind == "plateau" and self.bad_evals >= self.patience:
            self.plateau_scale *= self.factor
            self.bad_evals = 0

    def state_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict) -> "Schedule":
        return cls(**state)
