"""Beam search over any model with ``step()``: the k most likely continuations of a prefix.

Autocomplete, as in the lectures' example of completing "dee" to "deep": beams grow one token
at a time, all beams advanced in one batched ``step()``; a beam ends when it produces one of
the ``stop`` tokens (for a character model, a space or punctuation ends the word).  Scores are
summed log-probabilities, so the answer is the k continuations the model finds most likely.
``banned`` tokens (a vocabulary's <pad>, <unk>, ...) are never produced: their log-probability
is -inf during the search, so the k answers are k continuations without them.
"""
from __future__ import annotations

import torch

from rnnkit.decoding.batch_beam import select_rows
from rnnkit.devices import device_of


@torch.no_grad()
def beam_search(model, prefix: list[int], *, k: int = 5, beam_size: int | None = None,
                max_length: int = 20, stop: set[int] = frozenset(), banned: set[int] = frozenset(),
                merge_stops: bool = False, state=None) -> list[tuple[list[int], float]]:
    """The ``k`` best ``(continuation ids, log-probability)`` of ``prefix`` read from ``state``
    (a model-provided initial state; None: the model's default), most likely first.  A finished
    continuation includes its stop token; beams still open after ``max_length`` tokens count too.

    ``banned`` ids never appear in a continuation (the probabilities of the others stay the
    model's own, not renormalised).  ``merge_stops``: ending with any of the ``stop`` tokens is
    one outcome, so a beam that may end gives one finished continuation, ending in its most
    likely stop token and scored with the summed probability of all of them (autocomplete: a
    word followed by a space and the same word followed by a full stop are one completion)."""
    if not prefix:
        raise ValueError("beam search needs a non-empty prefix")
    beam_size = beam_size or k
    stop_ids = torch.tensor(sorted(set(stop) - set(banned)), dtype=torch.long)
    merge = merge_stops and len(stop_ids) > 0

    def log_probs(logits: torch.Tensor):
        """Masked log-probabilities [B, V] and, when merging, each row's summed stop
        log-probability and most likely stop token."""
        logp = logits.log_softmax(-1)
        if merge:
            stop_logp = logp[:, stop_ids]
            ends, best = stop_logp.logsumexp(-1), stop_ids[stop_logp.argmax(-1)]
        ban = [i for i in banned if 0 <= i < logp.shape[-1]] + (stop_ids.tolist() if merge else [])
        if ban:
            logp = logp.index_fill(-1, torch.tensor(ban, dtype=torch.long), float("-inf"))
        return (logp, ends, best) if merge else (logp, None, None)

    device = device_of(model)                           # the search's bookkeeping stays on the CPU
    logits, state = model(torch.tensor(prefix, device=device)[:, None], state)
    logp, ends, best = log_probs(logits[-1].cpu())      # [1, V]
    beams: list[tuple[list[int], float]] = [([], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_length):
        base = torch.tensor([s for _, s in beams])
        if merge:
            for (seq, _), end, token in zip(beams, (base + ends).tolist(), best.tolist()):
                if end > float("-inf"):
                    finished.append((seq + [token], end))
        scores = base[:, None] + logp                   # [beams, V]
        top = scores.flatten().topk(min(beam_size, scores.numel()))
        V = scores.shape[1]
        keep_ids, keep_from = [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            if score == float("-inf"):                  # only banned tokens are left
                break
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
        index = torch.tensor(keep_from, device=device)
        state = select_rows(state, index)
        logits, state = model.step(torch.tensor([seq[-1] for seq, _ in beams], device=device), state)
        logp, ends, best = log_probs(logits.cpu())
    return sorted(finished + beams, key=lambda x: -x[1])[:k]
