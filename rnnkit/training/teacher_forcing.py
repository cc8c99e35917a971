"""How often the decoder is fed the gold previous token during training (scheduled sampling,
Bengio et al. 2015): the ratio starts near 1 (teacher forcing) and decays, so that the model
learns to continue from its own predictions, as it must at test time.

- ``constant``: ``ratio``
- ``linear``: ``max(minimum, 1 - step / steps)``
- ``inverse_sigmoid``: ``k / (k + exp(step / k))`` with ``k >= 1`` (larger ``k``: slower decay)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

KINDS = ("constant", "linear", "inverse_sigmoid")


@dataclass(frozen=True)
class TeacherForcing:
    kind: str = "constant"
    ratio: float = 1.0          # constant
    steps: int = 10_000         # linear: steps to reach the minimum
    minimum: float = 0.0        # linear
    k: float = 1000.0           # inverse_sigmoid

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"teacher forcing schedule must be one of {KINDS}, got {self.kind!r}")
        if not 0 <= self.ratio <= 1 or not 0 <= self.minimum <= 1:
            raise ValueError(f"ratios lie in [0, 1], got ratio {self.ratio} and minimum {self.minimum}")
        if self.steps < 1 or self.k < 1:
            raise ValueError(f"steps and k must be at least 1, got {self.steps} and {self.k}")

    def at(self, step: int) -> float:
        """The probability of feeding the gold token at training step ``step``."""
        if self.kind == "constant":
            return self.ratio
        if self.kind == "linear":
            return max(self.minimum, 1.0 - step / self.steps)
        return self.k / (self.k + math.exp(min(step / self.k, 700.0)))
