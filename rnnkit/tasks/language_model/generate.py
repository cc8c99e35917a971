"""Text from a trained language model: sampled continuations of a prime, the k best completions
of a prefix, and the gates read along a text."""
from __future__ import annotations

import math

import torch

from rnnkit.decoding import beam_search, generate
from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import warn_unknown


def encode_prime(model, prime: str) -> list[int]:
    """The ids of ``prime`` (a warning names the tokens read as <unk>)."""
    tokens = model.tokenizer.tokenize(prime)
    warn_unknown(tokens, model.vocab, "the prime")
    return model.vocab.encode(tokens)


def never_written(model) -> set[int]:
    """The ids generated text never holds: the special tokens, except a word model's end of line."""
    vocab = model.vocab
    ends = {vocab.eos_id} if model.tokenizer.level == "word" else set()
    return {vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id} - ends


def sample_text(model, prime: str, length: int, *, temperature: float = 0.8, top_k: int | None = None,
                top_p: float | None = None, seed: int = 0) -> str:
    """``prime`` followed by ``length`` sampled tokens, as text."""
    if prime == "":
        raise RnnkitError("--prime must not be empty")
    ids = encode_prime(model, prime) or [model.vocab.eos_id]   # a word prime of only spaces: as after a line
    out = generate(model, ids, length, temperature=temperature, top_k=top_k, top_p=top_p,
                   generator=torch.Generator().manual_seed(seed), banned=never_written(model))
    text = model.tokenizer.detokenize(model.vocab.decode(out))
    joiner = " " if model.tokenizer.level == "word" and not prime[-1:].isspace() else ""
    return prime + joiner + text


def completions(model, prefix: list[int], k: int, max_length: int) -> list[tuple[str, float]]:
    """The ``k`` most likely distinct continuations of ``prefix`` (token ids) as (text, probability):
    a character model finishes the word (a space or punctuation ends it), a word model continues
    the line (its end ends it); what ends a continuation is not part of its text, and the
    continuations that read the same are one, with the summed probability.  Special tokens are
    never produced."""
    vocab = model.vocab
    if model.tokenizer.level == "char":
        stop = {i for i, t in enumerate(vocab.tokens) if len(t) == 1 and not t.isalnum()}
    else:
        stop = {vocab.eos_id}
    banned = never_written(model) - stop
    merged: dict[str, float] = {}
    for ids, logp in beam_search(model, prefix, k=k, max_length=max_length, stop=stop, banned=banned,
                                 merge_stops=True):
        text = model.tokenizer.detokenize(vocab.decode([i for i in ids if i not in stop]))
        merged[text] = merged.get(text, 0.0) + math.exp(logp)
    return sorted(merged.items(), key=lambda item: -item[1])


@torch.no_grad()
def gate_readings(model, text: str) -> list[dict]:
    """What the first layer of an LSTM language model does while it reads ``text``: per token,
    the input, forget and output gates and |c| averaged over the units, and the model's most
    likely next token with its probability."""
    tokens = model.tokenizer.tokenize(text)
    ids = torch.tensor(model.vocab.encode(tokens), device=model.embedding.weight.device)[:, None]
    probs = model(ids)[0][:, 0].softmax(-1)
    trace = model.rnn.trace(model.embedding(ids))
    i, f, o = (trace.gates[g][0, :, 0] for g in "ifo")
    c = trace.c[0, :, 0]
    readings = []
    for t, token in enumerate(tokens):
        p, k = probs[t].max(0)
        readings.append({"token": token, "i": float(i[t].mean()), "f": float(f[t].mean()), "o": float(o[t].mean()),
                         "c": float(c[t].abs().mean()), "next": model.vocab.tokens[int(k)], "p": float(p)})
    return readings
