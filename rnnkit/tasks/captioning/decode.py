"""Images in, captions out for a trained captioner: batch, beam search (``beam_size=1``: greedy),
detokenise.  The model is a ``Captioner`` that holds its ``vocab``, ``tokenizer`` and
``max_length``, as ``rnnkit.load`` returns it.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from rnnkit.data import Vocab
from rnnkit.decoding.batch_beam import beam_search_states
from rnnkit.devices import device_of
from rnnkit.models.modes import evaluating


class Caption(NamedTuple):
    text: str                         # detokenised
    tokens: list[str]                 # without [END]
    attention: torch.Tensor | None    # [len(tokens) + 1, regions]: one row per step, [END]'s included
    score: float                      # length-normalised log-probability


@torch.no_grad()
def caption(model, images: torch.Tensor, *, beam_size: int = 5, alpha: float = 0.6, batch_size: int = 64,
            max_length: int | None = None) -> list[Caption]:
    """One Caption per image of ``images [N, C, H, W]`` (bytes, as ``ImageFolder`` reads them), in
    order; captions are at most ``max_length`` tokens (default: the run's)."""
    device, results = device_of(model), []
    with evaluating(model):
        for start in range(0, len(images), batch_size):
            state = model.encode(images[start : start + batch_size].to(device))
            first = torch.full((len(state.feed),), Vocab.bos_id, dtype=torch.long, device=device)
            for hyp in beam_search_states(model, state, first, eos=Vocab.eos_id, beam_size=beam_size,
                                          max_length=max_length or model.max_length, alpha=alpha,
                                          banned=(Vocab.pad_id, Vocab.bos_id)):
                tokens = model.vocab.decode(hyp.ids)
                attention = hyp.attention.cpu() if hyp.attention is not None else None
                results.append(Caption(model.tokenizer.detokenize(tokens), tokens, attention, hyp.score))
    return results
