"""Subword units for open-vocabulary translation: a SentencePiece unigram model (Kudo 2018)
trained on one side of the training text.  Rare words split into frequent pieces, so the
model never sees ``<unk>`` for a word whose pieces it knows, and decoding the pieces gives back
cased text with its spacing.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import sentencepiece as spm

from rnnkit.errors import DataError


class SubwordTokenizer:
    kind = "subword"

    def __init__(self, model: bytes):
        self.model = model
        self.processor = spm.SentencePieceProcessor(model_proto=model)

    @classmethod
    def train(cls, sentences: Iterable[str], vocab_size: int) -> "SubwordTokenizer":
        """A unigram model of at most ``vocab_size`` pieces (fewer when the text is small).
        Every character of the text is covered, so no training sentence has unknown pieces."""
        out = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=out, vocab_size=vocab_size,
                                       model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
                                       num_threads=1, minloglevel=2, bos_id=-1, eos_id=-1, unk_id=0,
                                       max_sentence_length=1 << 16)
        return cls(out.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> "SubwordTokenizer":
        try:
            return cls(Path(path).read_bytes())
        except (OSError, RuntimeError) as e:
            raise DataError(f"{path}: not a SentencePiece model ({e})") from None

    def save(self, path: str | Path) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(self.model)
        tmp.replace(path)

    def tokenize(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def detokenize(self, tokens: list[str]) -> str:
        return self.processor.decode_pieces(tokens)
