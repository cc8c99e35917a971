"""Beam search over any model with ``step()``: the k most likely continuations of a prefix.

Autocomplete, as in the lectures' example of completing "dee" to "deep": beams grow one token
at a time, all beams advanced in one batched ``step()``; a beam ends when it produces one of
the ``stop`` tokens (for a character model, a space or punctuation ends the word).  Scores are
summed log-probabilities, so the answer is the k continuations the model finds most likely.
"""
from __future__ import annotations

import torch


def _select(state, index: torch.Tensor):
    """Reorder the batch dimension (dim 1 of ``[layers, B, H]``) of a state or tuple of states."""
    if isinstance(state, tuple):
        return tuple(_select(s, index) for s in state)
    return state.index_select(1, index)


@torch.no_grad()
def beam_search(model, prefix: list[int], *, k: int = 5, beam_size: int | None = None,
                max_length: int = 20, stop: set[int] = frozenset()) -> list[tuple[list[int], float]]:
    """The ``k`` best ``(continuation ids, log-probability)``, most likely first.  A finished
    continuation includes its stop token; beams still open after ``max_length`` tokens count too."""
    if not prefix:
        raise ValueError("beam search needs a non-empty prefix")
    beam_size = beam_size or k
    logits, state = model(torch.tensor(prefix)[:, None])
    logp = logits[-1].log_softmax(-1)                  # [1, V]
    beams: list[tuple[list[int], float]] = [([], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_length):
        scores = torch.tensor([s for _, s in beams])[:, None] + logp      # [beams, V]
        top = scores.flatten().topk(min(beam_size, scores.numel()))
        V = scores.shape[1]
        keep_ids, keep_from = [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            origin, token = divmod(flat, V)
            seq = beams[origin][0] + [token]
            if token in stop:
                finished.append((seq, score))
            else:
                keep_ids.append((seq, score))
                keep_from.append(origin)
        if not keep_ids or (len(finished) >= k and max(s for _, s in keep_ids) < sorted(s for _, s in finished)[-k]):
            beams = keep_ids
            break
        beams = keep_ids
        index = torch.tensor(keep_from)
        state = _select(state, index)
        logits, state = model.step(torch.tensor([seq[-1] for seq, _ in beams]), state)
        logp = logits.log_softmax(-1)
    return sorted(finished + beams, key=lambda x: -x[1])[:k]
