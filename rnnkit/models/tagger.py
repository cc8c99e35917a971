"""Aligned many-to-many: one tag per word ("man is a social animal" -> NOUN AUX DET ADJ NOUN).

    w_t = [E[word_t]; CharBiLSTM(chars of word_t)];   h_t = BiLSTM(w)_t;   p(tag_t) = softmax(W h_t + b)

The character features give every word, seen in training or not, a representation from its
spelling (Plank et al. 2016).  During training each word is replaced by ``<unk>`` with
probability ``word_dropout``, so that the ``<unk>`` embedding learns what unseen words look like
while their character features still carry their spelling.  UPOS is always predicted; XPOS
by a second head when ``num_xpos > 0``.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from rnnkit.data import Vocab, pad_batch
from rnnkit.devices import device_of, to_device
from rnnkit.cells import resolve
from rnnkit.layers import CharWordEncoder, Recurrent
from rnnkit.models.modes import evaluating


class TaggerBatch(NamedTuple):
    words: torch.Tensor          # [T, B] word ids
    lengths: torch.Tensor        # [B]
    chars: torch.Tensor          # [L, N] character ids of the batch's N distinct forms
    char_lengths: torch.Tensor   # [N]
    form_index: torch.Tensor     # [T, B] which distinct form each position holds
    upos: torch.Tensor | None    # [T, B] tag ids, -100 on padding
    xpos: torch.Tensor | None


class SequenceTagger(nn.Module):
    def __init__(self, vocab_size: int, num_chars: int, num_upos: int, num_xpos: int = 0,
                 embedding_dim: int = 100, char_dim: int = 32, char_hidden: int = 64, hidden_size: int = 200,
                 num_layers: int = 2, cell: str = "lstm", dropout: float = 0.33, word_dropout: float = 0.1,
                 lowercase_words: bool = True, *, vocab: Vocab | None = None, char_vocab: Vocab | None = None,
                 labels: dict[str, list[str]] | None = None, **rnn_options):
        """``lowercase_words``: the word embedding reads lowercased forms (the characters keep
        the case); ``dropout`` applies to the word representations, between layers and before
        the output layers; ``vocab``, ``char_vocab`` and ``labels`` (tag names under "upos" and
        "xpos") are what ``tag`` reads and writes with; a loaded run has them."""
        super().__init__()
        self.vocab, self.char_vocab, self.labels = vocab, char_vocab, labels
        cell, rnn_options = resolve(cell, rnn_options)   # a registry name; older flags folded in
        self.config = dict(vocab_size=vocab_size, num_chars=num_chars, num_upos=num_upos, num_xpos=num_xpos,
                           embedding_dim=embedding_dim, char_dim=char_dim, char_hidden=char_hidden,
                           hidden_size=hidden_size, num_layers=num_layers, cell=cell, dropout=dropout,
                           word_dropout=word_dropout, lowercase_words=lowercase_words, **rnn_options)
        self.word_dropout, self.lowercase_words = word_dropout, lowercase_words
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.chars = CharWordEncoder(num_chars, char_dim, char_hidden)
        self.rnn = Recurrent(cell, embedding_dim + self.chars.output_size, hidden_size, num_layers, bidirectional=True,
                             dropout=dropout if num_layers > 1 else 0.0, **rnn_options)
        self.dropout = nn.Dropout(dropout)
        self.upos = nn.Linear(2 * hidden_size, num_upos)
        self.xpos = nn.Linear(2 * hidden_size, num_xpos) if num_xpos else None

    def forward(self, batch: TaggerBatch):
        """-> ``(UPOS logits [T, B, U], XPOS logits [T, B, X] or None)``."""
        words = batch.words
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(words.shape, device=words.device) < self.word_dropout) & (words != 0)
            words = words.masked_fill(drop, Vocab.unk_id)
        # each position's row of the distinct forms' features, as an embedding lookup: its backward
        # sums deterministically, where indexing's (index_put_ with accumulate) does not on 2+ threads
        spelled = nn.functional.embedding(batch.form_index, self.chars(batch.chars, batch.char_lengths))
        x = self.dropout(torch.cat([self.embedding(words), spelled], dim=-1))
        h, _ = self.rnn(x, lengths=batch.lengths)
        h = self.dropout(h)
        return self.upos(h), (self.xpos(h) if self.xpos is not None else None)

    def loss(self, batch: TaggerBatch):
        """Summed cross-entropy over the real tokens (and both heads) and the number of tokens."""
        return self.nats(self(batch), batch), int((batch.upos != -100).sum())

    @staticmethod
    def nats(outputs, batch: TaggerBatch) -> torch.Tensor:
        """The summed cross-entropy of ``outputs = model(batch)``: UPOS, plus XPOS where the model
        and the batch have it (what training minimises, and what validation reports)."""
        upos, xpos = outputs
        ce = nn.functional.cross_entropy
        nats = ce(upos.flatten(0, 1), batch.upos.flatten(), ignore_index=-100, reduction="sum")
        if xpos is not None and batch.xpos is not None:
            nats = nats + ce(xpos.flatten(0, 1), batch.xpos.flatten(), ignore_index=-100, reduction="sum")
        return nats

    def encode(self, sentences: list[list[str]], vocab: Vocab, chars: Vocab,
               upos: list[list[int]] | None = None, xpos: list[list[int]] | None = None) -> TaggerBatch:
        """A batch from word forms (and tag ids for training)."""
        lower = self.lowercase_words
        words, lengths = pad_batch([vocab.encode([w.lower() for w in s] if lower else s) for s in sentences],
                                   vocab.pad_id)
        forms = list(dict.fromkeys(w for s in sentences for w in s))
        position = {w: i for i, w in enumerate(forms)}
        char_ids, char_lengths = pad_batch([chars.encode(w) for w in forms], chars.pad_id)
        form_index = torch.zeros_like(words)   # built on the CPU, moved to the model's device below
        for b, s in enumerate(sentences):
            form_index[: len(s), b] = torch.tensor([position[w] for w in s])

        def tags(ids):
            return None if ids is None else pad_batch(ids, -100)[0]

        batch = TaggerBatch(words, lengths, char_ids, char_lengths, form_index, tags(upos), tags(xpos))
        return to_device(batch, device_of(self))

    def tag(self, sentences: list[list[str]], batch_size: int = 64) -> tuple[list[list[str]], list[list[str]] | None]:
        """UPOS (and XPOS, if the model has them) for each word of each sentence, with the
        model's vocabularies and tag sets."""
        upos_out, xpos_out = [], [] if self.xpos is not None else None
        with evaluating(self):
            for start in range(0, len(sentences), batch_size):
                chunk = sentences[start : start + batch_size]
                upos, xpos = self(self.encode(chunk, self.vocab, self.char_vocab))
                for b, s in enumerate(chunk):
                    upos_out.append([self.labels["upos"][k] for k in upos[: len(s), b].argmax(-1).tolist()])
                    if xpos is not None:
                        xpos_out.append([self.labels["xpos"][k] for k in xpos[: len(s), b].argmax(-1).tolist()])
        return upos_out, xpos_out
