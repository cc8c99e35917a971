"""Batched beam search for encoder-decoder models: every sentence of a batch keeps ``beam_size``
hypotheses, and all of them advance together in one ``step()`` per output position.

A hypothesis ends at [END]; its score is its summed log-probability divided by the length
penalty of Wu et al. 2016, ``((5 + length) / 6) ** alpha`` (``alpha = 0`` compares raw
log-probabilities, which favours short outputs).  A sentence is done when ``beam_size`` of its
hypotheses have ended; hypotheses still open at ``max_length`` compete as they are.
``beam_size=1`` is greedy decoding.  The model needs ``encode(src, lengths)``,
``step(token, state) -> (logits, state)`` and ``select_state(state, index)``; a state's
``attention`` (if any) is collected into each hypothesis.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from rnnkit.devices import device_of


class Hypothesis(NamedTuple):
    ids: list[int]                        # without [END]
    score: float                          # length-normalised log-probability
    attention: torch.Tensor | None        # [len(ids) + 1, source length]: one row per step, [END]'s included


def length_penalty(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha


@torch.no_grad()
def batch_beam_search(model, src: torch.Tensor, lengths: torch.Tensor, *, bos: int, eos: int, beam_size: int = 5,
                      max_length: int = 100, alpha: float = 0.6) -> list[Hypothesis]:
    """The best hypothesis for each source sentence of ``src [S, B]``."""
    B, K = src.shape[1], beam_size
    device = device_of(model)
    src, lengths = src.to(device), lengths.to(device)
    state = model.select_state(model.encode(src, lengths), torch.arange(B, device=device).repeat_interleave(K))
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0                                      # one live hypothesis to start from
    tokens = torch.full((B * K,), bos, dtype=torch.long, device=device)
    history, attention = [], []
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    for t in range(max_length):
        logits, state = model.step(tokens, state)
        logp = logits.log_softmax(-1).view(B, K, -1)
        V = logp.shape[-1]
        top = (scores[..., None] + logp).view(B, -1).topk(K, dim=-1)
        origin = (torch.arange(B, device=device)[:, None] * K + top.indices // V).flatten()
        tokens, scores = (top.indices % V).flatten(), top.values.clone()
        history = [h[origin] for h in history] + [tokens]
        if state.attention is not None:
            attention = [a[origin] for a in attention] + [state.attention[origin]]
        state = model.select_state(state, origin)
        for flat in (tokens == eos).nonzero().flatten().tolist():
            b, k = divmod(flat, K)
            if torch.isfinite(scores[b, k]) and len(finished[b]) < K:
                finished[b].append(_hypothesis(history, attention, flat, float(scores[b, k]), t + 1, alpha, ended=True))
            scores[b, k] = float("-inf")
        for b in range(B):
            if len(finished[b]) >= K:
                scores[b] = float("-inf")
        if not torch.isfinite(scores).any():
            break
    best = []
    for b in range(B):
        candidates = finished[b] or [_hypothesis(history, attention, b * K + k, float(scores[b, k]), len(history),
                                                 alpha, ended=False) for k in range(K) if torch.isfinite(scores[b, k])]
        best.append(max(candidates, key=lambda h: h.score))
    return best


def _hypothesis(history, attention, flat: int, logp: float, length: int, alpha: float, ended: bool) -> Hypothesis:
    ids = [int(h[flat]) for h in history]
    weights = torch.stack([a[flat] for a in attention]) if attention else None
    return Hypothesis(ids[:-1] if ended else ids, logp / length_penalty(length, alpha), weights)
