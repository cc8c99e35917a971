"""Many-to-one: one vector from the states of a whole sequence.

The lecture's "single classifier at the final state" is ``last``; the others use every state:

- ``last``: the final state of each direction (``h_n`` of the top layer, concatenated),
- ``mean`` / ``max``: the mean or elementwise maximum over the unpadded steps,
- ``attention``: a learned query ``q`` scores every state with additive attention
  (``rnnkit.layers.attention``), ``score_t = v . tanh(W q + U h_t + b)``, ``alpha = softmax_t``
  over the unpadded steps, ``pooled = sum_t alpha_t h_t`` (the "context vector" of Yang et al.
  2016, "Hierarchical attention networks").  The weights are returned.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.layers.attention import Attention

POOLINGS = ("last", "mean", "max", "attention")


def step_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """``[T, B]`` bool, true on the unpadded steps."""
    return torch.arange(T, device=lengths.device)[:, None] < lengths[None, :]


class AttentionPooling(nn.Module):
    def __init__(self, size: int, attention_size: int | None = None):
        super().__init__()
        self.query = nn.Parameter(torch.empty(size).uniform_(-0.1, 0.1))
        self.score = Attention(size, size, "additive", attention_size)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``states [T, B, D]``, ``mask [T, B]`` -> ``(pooled [B, D], weights [T, B])``."""
        pooled, weights = self.score(self.query.expand(states.shape[1], -1), states, mask)
        return pooled, weights.t()


class Pooling(nn.Module):
    def __init__(self, how: str, size: int):
        super().__init__()
        if how not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {how!r}")
        self.how = how
        self.attention = AttentionPooling(size) if how == "attention" else None

    def forward(self, states: torch.Tensor, lengths: torch.Tensor, last: torch.Tensor):
        """``states [T, B, D]``, ``lengths [B]`` (each at least 1), ``last [B, D]`` (the final
        states) -> ``(pooled [B, D], attention weights [T, B] or None)``."""
        if self.how == "last":
            return last, None
        mask = step_mask(lengths, states.shape[0])
        if self.how == "attention":
            return self.attention(states, mask)
        if self.how == "mean":
            return states.masked_fill(~mask[..., None], 0).sum(0) / lengths[:, None].to(states.dtype), None
        return states.masked_fill(~mask[..., None], float("-inf")).amax(0), None
