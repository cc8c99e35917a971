"""The vocabulary: tokens <-> ids, with the special tokens every task shares.

``<pad>`` fills batches, ``<unk>`` stands for tokens outside the vocabulary, ``<bos>`` and
``<eos>`` are the lectures' [START] and [END].  A literal ``<unk>`` in the data (as in the Penn
Treebank) is the vocabulary's ``<unk>``.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from rnnkit.errors import DataError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)


class Vocab:
    def __init__(self, tokens: Sequence[str]):
        """``tokens`` in id order; the specials are put first if they are missing."""
        tokens = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}
        if len(self.index) != len(tokens):
            raise DataError("vocabulary has duplicate tokens")

    @classmethod
    def build(cls, tokens: Iterable[str], min_freq: int = 1, max_size: int | None = None) -> "Vocab":
        """The tokens seen at least ``min_freq`` times, most frequent first (ties in sorted
        order), at most ``max_size`` of them besides the specials."""
        counts = Counter(t for t in tokens if t not in SPECIALS)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        return cls(kept[:max_size] if max_size is not None else kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    pad_id, unk_id, bos_id, eos_id = range(4)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        unk = self.unk_id
        return [self.index.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The distinct tokens of ``tokens`` that the vocabulary lacks, in order of appearance."""
        return list(dict.fromkeys(t for t in tokens if t not in self.index))

    def save(self, path: str | Path) -> None:
        """Write ``{"tokens": [...]}`` atomically."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"tokens": self.tokens}, ensure_ascii=False))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        try:
            tokens = json.loads(Path(path).read_text(encoding="utf-8"))["tokens"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DataError(f"{path}: not a vocabulary file ({e})") from None
        return cls(tokens)


def ids_of_labels(labels: Sequence[str], lines: Sequence[int], known: Sequence[str], source: str,
              noun: str = "label") -> list[int]:
    """The id of each of ``labels`` among the ``known`` ones (a model's, in order); a label not
    among them is an error naming ``source``, its line and the ``noun``s known."""
    index = {label: k for k, label in enumerate(known)}
    for label, line in zip(labels, lines):
        if label not in index:
            raise DataError(f"{source}, line {line}: {noun} {label!r} was not seen in training "
                            f"(known {noun}s: {', '.join(known)})")
    return [index[label] for label in labels]
