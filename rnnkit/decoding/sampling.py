"""Generating tokens one at a time from any model with ``step(token, state) -> (logits, state)``.

The prime is read in one call (the state is what carries it forward), then each new token is
drawn from ``softmax(logits / temperature)`` restricted to the ``top_k`` most likely tokens
and/or the smallest set whose probability reaches ``top_p`` (nucleus sampling, Holtzman et al.
2020).  Temperature 0 is greedy decoding: always the most likely token.  A model that offers
``one_step_weights()`` is sampled by the C++ loop of ``rnnkit.decoding.native``, which draws the
same way from a random stream seeded by ``generator``.
"""
from __future__ import annotations

from collections.abc import Iterable

import torch

from rnnkit.decoding.native import NativeSampler
from rnnkit.devices import device_of


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """``logits [B, V]`` with everything outside the top-k / top-p set at -inf."""
    if top_k is not None and 0 < top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and 0 < top_p < 1:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        drop_sorted = cumulative - sorted_logits.softmax(-1) >= top_p   # keep up to and including the token crossing p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
           top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """One token id per row of ``logits [B, V]``."""
    if temperature == 0:
        return logits.argmax(-1)
    probs = filter_logits(logits.float() / temperature, top_k, top_p).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


@torch.no_grad()
def generate(model, prime: list[int], length: int, *, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, generator: torch.Generator | None = None,
             stop: int | None = None, banned: Iterable[int] = (), state=None) -> list[int]:
    """``length`` new token ids after ``prime`` (which must not be empty), read from ``state`` (a
    model-provided initial state, e.g. an image's or a starting note's; None: the model's
    default); stops early after generating ``stop`` if given; never generates an id in
    ``banned`` (special tokens such as padding or unknown)."""
    if not prime:
        raise ValueError("generation needs at least one prime token")
    banned = sorted(set(banned))
    logits, state = model(torch.tensor(prime, device=device_of(model))[:, None], state)
    logits = logits[-1]
    sampler = NativeSampler.of(model, banned)
    if sampler is not None:
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        return sampler.sample(state, ban(logits, banned), length, temperature, top_k, top_p, seed, stop)
    out = []
    for i in range(length):   # drawn on the CPU, from the CPU generator, wherever the model runs
        token = sample(ban(logits, banned).cpu(), temperature, top_k, top_p, generator)
        out.append(int(token))
        if (stop is not None and out[-1] == stop) or i == length - 1:
            break
        logits, state = model.step(token.to(logits.device), state)
    return out


@torch.no_grad()
def generate_states(model, state, first: torch.Tensor, length: int, *, temperature: float = 1.0,
                    top_k: int | None = None, top_p: float | None = None, generator: torch.Generator | None = None,
                    stop: int | None = None, banned: Iterable[int] = ()) -> list[list[int]]:
    """Up to ``length`` new ids for each of ``B`` sequences at once, from ``state`` (the model's
    state for a batch of ``B``: an image's, a starting note's) and the first input tokens ``first
    [B]``: one ``step()`` per position for all of them.  A sequence ends after generating ``stop``
    (included); ``banned`` ids are never generated."""
    banned = sorted(set(banned))
    tokens, out = first, [[] for _ in range(len(first))]
    running = torch.ones(len(first), dtype=torch.bool)
    for _ in range(length):
        logits, state = model.step(tokens, state)
        drawn = sample(ban(logits, banned).cpu(), temperature, top_k, top_p, generator)
        for b in running.nonzero().flatten().tolist():
            out[b].append(int(drawn[b]))
        if stop is not None:
            running &= drawn != stop
        if not running.any():
            break
        tokens = drawn.to(logits.device)
    return out


def ban(logits: torch.Tensor, ids: list[int]) -> torch.Tensor:
    """``logits [..., V]`` with the ``ids`` at -inf."""
    if not ids:
        return logits
    logits = logits.clone()
    logits[..., ids] = float("-inf")
    return logits
