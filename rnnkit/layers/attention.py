"""Content-based attention: a decoder state looks at every encoder state instead of one fixed
vector (the encoder-decoder bottleneck).

For a query ``s`` (the decoder state) and keys ``h_1..h_S`` (the encoder states):

- ``dot``:      ``score_i = s . h_i``                       (the lectures; Luong et al. 2015)
- ``general``:  ``score_i = s . (W h_i)``                   (Luong et al. 2015)
- ``additive``: ``score_i = v . tanh(W s + U h_i + b)``     (Bahdanau et al. 2015)

then ``alpha = softmax_i(score)`` over the source positions that are not padding, and the
context ``a = sum_i alpha_i h_i``.  The weights are returned with the context, for heatmaps.
Combining the context with the state (``[a; s]``) is the decoder's business.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.engine.attention import SCORES
from rnnkit.engine.tracing import tracing


class Attention(nn.Module):
    def __init__(self, query_size: int, key_size: int, score: str = "dot", attention_size: int | None = None):
        """``attention_size``: the hidden size of the additive score (default: ``query_size``)."""
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        if score == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and {key_size}; "
                             "use score='general' or 'additive' for different sizes")
        self.query_size, self.key_size, self.score = query_size, key_size, score
        if score == "general":
            self.key_proj = nn.Linear(key_size, query_size, bias=False)
        elif score == "additive":
            size = attention_size or query_size
            self.query_proj = nn.Linear(query_size, size, bias=False)
            self.key_proj = nn.Linear(key_size, size)
            self.v = nn.Linear(size, 1, bias=False)

    def project(self, keys: torch.Tensor) -> torch.Tensor:
        """What the score needs of the keys ``[S, B, K]`` (``W h_i``; ``U h_i + b``; the keys themselves
        for ``dot``): a decoder computes it once per source and passes it to every step."""
        return keys if self.score == "dot" else self.key_proj(keys)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None, *,
                projected: torch.Tensor | None = None):
        """``query [B', Q]`` (one decoder step) or ``[T, B', Q]`` (all steps at once), ``keys
        [S, B, K]`` (time-major encoder states), ``mask [S, B]`` bool, true on real positions
        -> ``(context [..., B', K], weights [..., B', S])``.  ``B'`` is ``B`` or a multiple ``G * B``
        whose rows ``b * G`` to ``b * G + G - 1`` all read source ``b`` (a beam's hypotheses), so
        the keys are never repeated.  ``projected``: ``project(keys)``, when the caller keeps it."""
        self._check(query, keys, mask)
        B = keys.shape[1]
        q = query.unflatten(-2, (B, query.shape[-2] // B))                     # [..., B, G, Q]
        projected = self.project(keys) if projected is None else projected
        if self.score == "additive":
            hidden = self.query_proj(q)[..., None, :] + projected.transpose(0, 1)[:, None]   # [..., B, G, S, A]
            scores = self.v(torch.tanh(hidden)).squeeze(-1)
        else:
            scores = torch.einsum("...bgq,sbq->...bgs", q, projected)
        if mask is not None:
            scores = scores.masked_fill(~mask.t()[:, None], float("-inf"))
        weights = scores.softmax(dim=-1)
        context = torch.einsum("...bgs,sbk->...bgk", weights, keys)
        return context.flatten(-3, -2), weights.flatten(-3, -2)

    def _check(self, query, keys, mask) -> None:
        if keys.dim() != 3 or keys.shape[-1] != self.key_size:
            raise ValueError(f"keys must be [source length, batch, {self.key_size}], got {list(keys.shape)}")
        if (query.dim() not in (2, 3) or query.shape[-1] != self.query_size or not query.shape[-2]
                or query.shape[-2] % keys.shape[1]):
            raise ValueError(f"query must be [batch, {self.query_size}] or [steps, batch, {self.query_size}] with "
                             f"batch {keys.shape[1]} as in keys (or a multiple of it), got {list(query.shape)}")
        if mask is not None:
            if mask.shape != keys.shape[:2] or mask.dtype != torch.bool:
                raise ValueError(f"mask must be bool [{keys.shape[0]}, {keys.shape[1]}] (source length, batch), "
                                 f"got {mask.dtype} {list(mask.shape)}")
            if not tracing() and not mask.any(0).all():       # values: checked eagerly only
                raise ValueError("mask: every sequence needs at least one real source position")
