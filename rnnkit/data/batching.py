"""Batches: contiguous streams cut into truncated-BPTT windows, and length-bucketed sentences.

Streams (language models, after Zaremba et al. 2014): the sequence is cut into B equal
streams, one per batch row, and each epoch walks them window by window.  Window ``k`` holds
steps ``[kW, (k+1)W)`` of every stream as inputs and the steps one later as targets,
time-major ``[W, B]`` for token ids or ``[W, B, F]`` for vectors (a series of measurements);
a stream's hidden state carries from one window into the next.

Buckets (sentence-level data): sentences of similar length share a batch, so little of a batch
is padding; the order of the batches is shuffled each epoch from a seed.
"""
from __future__ import annotations

import torch

from rnnkit.errors import DataError


class StreamBatches:
    def __init__(self, ids: torch.Tensor, batch_size: int, window: int, *, name: str = "text",
                 require_window: bool = True):
        """``ids``: token ids ``[N]``, or float vectors ``[N, F]``.  ``require_window``: refuse a
        text shorter than one window (training); evaluation takes whatever there is, down to two
        tokens."""
        if batch_size < 1 or window < 1:
            raise ValueError(f"batch_size and window must be positive, got {batch_size} and {window}")
        ids = torch.as_tensor(ids)
        ids = ids if ids.is_floating_point() else ids.long()
        if len(ids) < 2:
            raise DataError(f"{name}: {len(ids)} token(s); at least two are needed, one to read and one to predict")
        if require_window and len(ids) < window + 1:
            raise DataError(f"{name}: {len(ids)} tokens, fewer than one window of {window} steps plus "
                            "the token it predicts; use more text or a smaller --bptt")
        length = (len(ids) - 1) // batch_size
        if length < 1:
            raise DataError(f"{name}: {len(ids)} tokens cannot fill {batch_size} streams; use a smaller --batch-size")
        used = ids[: length * batch_size + 1]
        streams = (batch_size, length, *ids.shape[1:])
        self.inputs = used[:-1].reshape(streams).transpose(0, 1).contiguous()     # [length, B(, F)]
        self.targets = used[1:].reshape(streams).transpose(0, 1).contiguous()
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


def pad_batch(sequences: list, pad_id: float = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Time-major padded ``[T, B]`` ids from lists of ids, or ``[T, B, F]`` from float tensors
    ``[T_b, F]`` (vectors, padded with ``pad_id``), and the lengths ``[B]``."""
    tensors = [torch.as_tensor(s) for s in sequences]
    vectors = bool(tensors) and tensors[0].is_floating_point()
    tensors = [t if vectors else t.long() for t in tensors]
    lengths = torch.tensor([len(t) for t in tensors])
    features = tuple(tensors[0].shape[1:]) if vectors else ()
    out = torch.full((int(lengths.max()) if tensors else 0, len(tensors), *features), pad_id,
                     dtype=tensors[0].dtype if vectors else torch.long)
    for b, t in enumerate(tensors):
        if tuple(t.shape[1:]) != features:
            raise ValueError(f"sequence {b} has steps of shape {list(t.shape[1:])}, the first {list(features)}")
        out[: len(t), b] = t
    return out, lengths


class SentenceBatches:
    """Length-bucketed batches of examples, in a new order every epoch (seeded by the epoch, so
    that a resumed run sees the same batches).  ``collate`` turns a list of examples into a batch.
    With ``lengths=None`` the batches are drawn at random instead: for a model with BatchNorm whose
    lengths say something about the answer (a caption's length is its image's number of objects),
    since batches of one length let the batch statistics tell the network that length in
    training, which the running statistics of evaluation do not."""

    def __init__(self, examples: list, lengths: list | None, batch_size: int, collate, *, seed: int = 0,
                 shuffle: bool = True):
        if lengths is not None and len(examples) != len(lengths):
            raise ValueError(f"{len(examples)} examples but {len(lengths)} lengths")
        self.examples, self.lengths, self.batch_size = examples, lengths, batch_size
        self.collate, self.seed, self.shuffle = collate, seed, shuffle

    def epoch(self, epoch: int = 0) -> "EpochBatches":
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        lengths = self.lengths if self.lengths is not None else [0] * len(self.examples)   # one key: random order
        order = length_buckets(lengths, self.batch_size, shuffle=self.shuffle, generator=generator)
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


def hold_out(rows: list, fraction: float, seed: int) -> tuple[list, list]:
    """``(kept, held)``: a seeded random ``fraction`` of ``rows`` held out (for validation), both
    parts in the rows' order; the same rows, fraction and seed give the same parts."""
    order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed)).tolist()
    held = set(order[: round(len(rows) * fraction)])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]


def stratified_hold_out(labels: list, fraction: float, seed: int, at_least: int = 0) -> list[int]:
    """The indices (ascending) of a seeded ``fraction`` of each label's rows, held out for
    validation: at least ``at_least`` of a label with two or more rows, and never all of a label,
    so that every class stays in training."""
    generator = torch.Generator().manual_seed(seed)
    held = []
    for label in sorted(set(labels), key=str):
        rows = [k for k, x in enumerate(labels) if x == label]
        count = min(len(rows) - 1, max(at_least, round(fraction * len(rows))))
        held += [rows[i] for i in torch.randperm(len(rows), generator=generator)[:count].tolist()]
    return sorted(held)


def stratified_folds(labels: list, folds: int, seed: int) -> list[int]:
    """The fold (0 to ``folds - 1``) of each row for k-fold cross-validation: each label's rows,
    in a seeded order, dealt in turn to the folds, so that every fold validates on about
    ``1/folds`` of each label; a label's only row is in every fold's training (fold -1)."""
    generator = torch.Generator().manual_seed(seed)
    fold = [-1] * len(labels)
    start = 0   # the next label's first row goes to the fold after the last one dealt
    for label in sorted(set(labels), key=str):
        rows = [k for k, x in enumerate(labels) if x == label]
        if len(rows) < 2:
            continue
        for turn, i in enumerate(torch.randperm(len(rows), generator=generator).tolist()):
            fold[rows[i]] = (start + turn) % folds
        start = (start + len(rows)) % folds
    return fold
