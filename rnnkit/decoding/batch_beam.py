"""Batched beam search: every sequence of a batch keeps ``beam_size`` hypotheses, and all of them
advance together in one ``step()`` per output position.

A hypothesis ends at [END]; its score is its summed log-probability divided by the length
penalty of Wu et al. 2016, ``((5 + length) / 6) ** alpha`` (``alpha = 0`` compares raw
log-probabilities, which favours short outputs).  A sequence is done when ``beam_size`` of its
hypotheses have ended, and leaves the batch; hypotheses still open at ``max_length`` compete as
they are.  ``beam_size=1`` is greedy decoding.  ``beam_search_states`` starts from any
model-provided states and needs ``step(token, state) -> (logits, state)`` (and
``select_state(state, index)`` for a state that is not plain tensors); ``batch_beam_search``
starts an encoder-decoder from ``encode(src, lengths)``.  A state's ``attention`` (if any) is
collected into each hypothesis.
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
                      max_length: int = 100, alpha: float = 0.6, banned: tuple[int, ...] = ()) -> list[Hypothesis]:
    """The best hypothesis for each source sentence of ``src [S, B]`` (an encoder-decoder:
    ``model.encode(src, lengths)`` gives the states to start from)."""
    device = device_of(model)
    state = model.encode(src.to(device), lengths.to(device))
    first = torch.full((src.shape[1],), bos, dtype=torch.long, device=device)
    return beam_search_states(model, state, first, eos=eos, beam_size=beam_size, max_length=max_length, alpha=alpha,
                              banned=banned)


@torch.no_grad()
def beam_search_states(model, state, first: torch.Tensor, *, eos: int, beam_size: int = 5, max_length: int = 100,
                       alpha: float = 0.6, banned: tuple[int, ...] = ()) -> list[Hypothesis]:
    """The best hypothesis for each of ``B`` sequences searched at once, from ``state`` (the model's
    state for a batch of ``B``: an encoder's, an image's, a starting note's) and the first input
    tokens ``first [B]``; the tokens ``banned`` (padding, the start token) are never chosen, and the
    scores of the others are their log-probabilities as the model gives them.  The model needs ``step()``; ``select_state(state, index)`` where its
    state is not a tensor or tuple of tensors with the batch in dimension 1."""
    B, K = len(first), beam_size
    device = first.device
    select = getattr(model, "select_state", select_rows)
    state = select(state, torch.arange(B, device=device).repeat_interleave(K))
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0                                      # one live hypothesis to start from
    tokens = first.repeat_interleave(K)
    history = tokens.new_empty(0, B * K)                    # [steps, rows]: every open hypothesis' tokens
    attention = None                                        # [steps, rows, S] where the model attends
    alive = list(range(B))                                  # the sequence of each group of K rows
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    banned = torch.tensor(banned, dtype=torch.long, device=device)
    for t in range(max_length):
        n = len(alive)
        logits, state = model.step(tokens, state)
        # a sequence's K best continuations are among its hypotheses' own K best tokens: the
        # log-softmax, the sum and the choice only ever touch K * K candidates, not K * vocabulary
        best = logits.index_fill(-1, banned, float("-inf")).topk(min(K, logits.shape[-1] - len(banned)), dim=-1)
        logp = best.values - logits.logsumexp(-1, keepdim=True)
        C = logp.shape[-1]
        top = (scores[..., None] + logp.view(n, K, C)).view(n, -1).topk(K, dim=-1)
        origin = (torch.arange(n, device=device)[:, None] * K + top.indices // C).flatten()
        tokens = best.indices.view(n, K * C).gather(1, top.indices).flatten()
        scores = top.values.clone()
        history = torch.cat([history[:, origin], tokens[None]])
        if getattr(state, "attention", None) is not None:
            step = state.attention[origin][None]
            attention = step if attention is None else torch.cat([attention[:, origin], step])
        state = select(state, origin)
        for flat in (tokens == eos).nonzero().flatten().tolist():
            b, k = divmod(flat, K)
            if torch.isfinite(scores[b, k]) and len(finished[alive[b]]) < K:
                finished[alive[b]].append(_hypothesis(history, attention, flat, float(scores[b, k]), t + 1, alpha,
                                                      ended=True))
            scores[b, k] = float("-inf")
        open_ = torch.isfinite(scores).any(-1).tolist()
        keep = [b for b in range(n) if open_[b] and len(finished[alive[b]]) < K]
        if len(keep) < n:                                   # done sequences leave the batch
            if not keep:
                break
            rows = (torch.tensor(keep, device=device)[:, None] * K + torch.arange(K, device=device)).flatten()
            state, tokens, scores, history = select(state, rows), tokens[rows], scores[keep], history[:, rows]
            attention = attention[:, rows] if attention is not None else None
            alive = [alive[b] for b in keep]
    else:
        for b, sequence in enumerate(alive):                # still open at max_length: they compete as they are
            if not finished[sequence]:
                finished[sequence] = [_hypothesis(history, attention, b * K + k, float(scores[b, k]), len(history),
                                                  alpha, ended=False) for k in range(K) if torch.isfinite(scores[b, k])]
    return [max(f, key=lambda h: h.score) if f else Hypothesis([], float("-inf"), None) for f in finished]


def select_rows(state, index: torch.Tensor):
    """Rows ``index`` of a state: a tensor ``[layers, B, H]`` or a tuple of them (batch in dimension 1)."""
    if isinstance(state, tuple):
        return tuple(select_rows(s, index) for s in state)
    return state.index_select(1, index)


def _hypothesis(history, attention, flat: int, logp: float, length: int, alpha: float, ended: bool) -> Hypothesis:
    ids = history[:, flat].tolist()
    weights = attention[:, flat] if attention is not None else None
    return Hypothesis(ids[:-1] if ended else ids, logp / length_penalty(length, alpha), weights)
