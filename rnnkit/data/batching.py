"""Batches: contiguous streams cut into truncated-BPTT windows, and length-bucketed sentences.

Streams (language models, after Zaremba et al. 2014): the token sequence is cut into B equal
streams, one per batch row, and each epoch walks them window by window.  Window ``k`` holds
steps ``[kW, (k+1)W)`` of every stream as inputs and the tokens one step later as targets,
time-major ``[W, B]``; a stream's hidden state carries from one window into the next.

Buckets (sentence-level data): sentences of similar length share a batch, so little of a batch
is padding; the order of the batches is shuffled each epoch from a seed.
"""
from __future__ import annotations

import torch

from rnnkit.errors import DataError


class StreamBatches:
    def __init__(self, ids: torch.Tensor, batch_size: int, window: int, *, name: str = "text",
                 require_window: bool = True):
        """``require_window``: refuse a text shorter than one window (training); evaluation
        takes whatever there is, down to two tokens."""
        if batch_size < 1 or window < 1:
            raise ValueError(f"batch_size and window must be positive, got {batch_size} and {window}")
        ids = torch.as_tensor(ids, dtype=torch.long)
        if len(ids) < 2:
            raise DataError(f"{name}: {len(ids)} token(s); at least two are needed, one to read and one to predict")
        if require_window and len(ids) < window + 1:
            raise DataError(f"{name}: {len(ids)} tokens, fewer than one window of {window} steps plus "
                            "the token it predicts; use more text or a smaller --bptt")
        length = (len(ids) - 1) // batch_size
        if length < 1:
            raise DataError(f"{name}: {len(ids)} tokens cannot fill {batch_size} streams; use a smaller --batch-size")
        used = ids[: length * batch_size + 1]
        self.inputs = used[:-1].view(batch_size, length).t().contiguous()     # [length, B]
        self.targets = used[1:].view(batch_size, length).t().contiguous()
        self.window, self.batch_size, self.length = window, batch_size, length

    def __len__(self) -> int:
        """Windows per epoch."""
        return -(-self.length // self.window)

    def __getitem__(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Window ``k``: ``(inputs, targets)``, each ``[W, B]`` (the last window may be shorter)."""
        if not 0 <= k < len(self):
            raise IndexError(k)
        s = slice(k * self.window, (k + 1) * self.window)
        return self.inputs[s], self.targets[s]

    @property
    def num_tokens(self) -> int:
        """Tokens predicted per epoch."""
        return self.length * self.batch_size


def length_buckets(lengths: list, batch_size: int, *, shuffle: bool = True,
                   generator: torch.Generator | None = None) -> list[list[int]]:
    """Index batches of similar length: sort by length (ties broken at random when shuffling),
    cut into batches of ``batch_size``, then shuffle the batch order.  A length may be a tuple,
    compared in order (a translation pair's target and source lengths)."""
    n = len(lengths)
    noise = torch.rand(n, generator=generator).tolist() if shuffle else [0.0] * n
    order = sorted(range(n), key=lambda i: (lengths[i], noise[i]))
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if shuffle:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``[T, B]`` padded ids (time-major) and the lengths ``[B]``."""
    lengths = torch.tensor([len(s) for s in sequences])
    out = torch.full((int(lengths.max()) if len(sequences) else 0, len(sequences)), pad_id, dtype=torch.long)
    for b, s in enumerate(sequences):
        out[: len(s), b] = torch.as_tensor(s, dtype=torch.long)
    return out, lengths


class SentenceBatches:
    """Length-bucketed batches of examples, in a new order every epoch (seeded by the epoch, so
    that a resumed run sees the same batches).  ``collate`` turns a list of examples into a batch."""

    def __init__(self, examples: list, lengths: list, batch_size: int, collate, *, seed: int = 0,
                 shuffle: bool = True):
        if len(examples) != len(lengths):
            raise ValueError(f"{len(examples)} examples but {len(lengths)} lengths")
        self.examples, self.lengths, self.batch_size = examples, lengths, batch_size
        self.collate, self.seed, self.shuffle = collate, seed, shuffle

    def epoch(self, epoch: int = 0) -> "EpochBatches":
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        order = length_buckets(self.lengths, self.batch_size, shuffle=self.shuffle, generator=generator)
        return EpochBatches(self, order)

    def __len__(self) -> int:
        return -(-len(self.examples) // self.batch_size)


class EpochBatches:
    def __init__(self, source: SentenceBatches, order: list[list[int]]):
        self.source, self.order = source, order

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, k: int):
        return self.source.collate([self.source.examples[i] for i in self.order[k]])

    def __iter__(self):
        return (self[k] for k in range(len(self)))
