"""Text in, text out for a trained translation model: tokenise, truncate, batch by length,
beam search (``beam_size=1``: greedy), detokenise.  The model is a Seq2Seq that holds its
``src_vocab``, ``tgt_vocab``, ``src_tokenizer``, ``tgt_tokenizer`` and ``max_length``, as
``rnnkit.load`` returns it.
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import torch

from rnnkit.data import Vocab, pad_batch
from rnnkit.decoding.batch_beam import batch_beam_search
from rnnkit.models.modes import evaluating


class Translation(NamedTuple):
    text: str                         # detokenised, cased
    tokens: list[str]                 # the output tokens, without [END]
    source: list[str]                 # the source tokens the model read (after truncation)
    attention: torch.Tensor | None    # [len(tokens) + 1, len(source)]: one row per step, [END]'s included
    score: float                      # length-normalised log-probability


def source_tokens(model, sentences: list[str]) -> list[list[str]]:
    """The source tokens of each sentence, cut to ``model.max_length`` with one warning."""
    tokens = [model.src_tokenizer.tokenize(s) for s in sentences]
    long = sum(len(t) > model.max_length for t in tokens)
    if long:
        warnings.warn(f"{long} source sentence(s) longer than {model.max_length} tokens were truncated to "
                      f"{model.max_length} (the run's --max-length)")
    return [t[: model.max_length] for t in tokens]


@torch.no_grad()
def translate(model, sentences: list[str], *, beam_size: int = 5, alpha: float = 0.6, batch_size: int = 64,
              max_length: int | None = None) -> list[Translation]:
    """One Translation per sentence, in order; an empty sentence gives an empty translation.
    Output is at most ``max_length`` tokens (default: twice the source length plus 10, within
    the run's maximum)."""
    with evaluating(model):
        return _translate(model, sentences, beam_size, alpha, batch_size, max_length)


def _translate(model, sentences, beam_size, alpha, batch_size, max_length) -> list[Translation]:
    tokens = source_tokens(model, sentences)
    results: list[Translation | None] = [None] * len(sentences)
    order = sorted((i for i, t in enumerate(tokens) if t), key=lambda i: len(tokens[i]))
    src_vocab, tgt_vocab = model.src_vocab, model.tgt_vocab
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        src, lengths = pad_batch([src_vocab.encode(tokens[i]) for i in chunk], Vocab.pad_id)
        limit = max_length or min(model.max_length, 2 * src.shape[0] + 10)
        hypotheses = batch_beam_search(model, src, lengths, bos=Vocab.bos_id, eos=Vocab.eos_id, beam_size=beam_size,
                                       max_length=limit, alpha=alpha, banned=(Vocab.pad_id, Vocab.bos_id))
        for i, length, hyp in zip(chunk, lengths.tolist(), hypotheses):
            out = tgt_vocab.decode(hyp.ids)
            attention = hyp.attention[:, :length].cpu() if hyp.attention is not None else None
            results[i] = Translation(model.tgt_tokenizer.detokenize(out), out, tokens[i], attention, hyp.score)
    return [r if r is not None else Translation("", [], [], None, 0.0) for r in results]
