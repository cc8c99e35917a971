"""Encoder-decoder: read the source, then generate the target from [START] to [END].

    h_1..h_S = BiRNN(E_src[x]);   state_0 = tanh(W_b [final states of both directions])   (bridge)

then the decoder of ``rnnkit.models.decoder`` with the encoder states as its memory (attention
over them, Luong et al. 2015).  Without attention (``attention=None``) the decoder sees the
source only through its initial state, the bottleneck of Sutskever et al. 2014.  ``step()`` runs
one decoder step for greedy and beam search, like the language model's.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.layers import Recurrent
from rnnkit.layers.pooling import step_mask
from rnnkit.models.decoder import Decoder, DecoderState, Memory

__all__ = ["DecoderState", "Memory", "Seq2Seq"]
MODULE_ORDER = ("src_embedding", "tgt_embedding", "encoder", "bridge", "decoder", "attention", "combine", "dropout",
                "readout", "output")


class Seq2Seq(Decoder):
    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embedding_dim: int = 256, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = True, attention: str | None = "general",
                 dropout: float = 0.2, tie_embeddings: bool = False, *, src_vocab=None, tgt_vocab=None,
                 src_tokenizer=None, tgt_tokenizer=None, max_length: int | None = None, **rnn_options):
        """``hidden_size``: the decoder's size; a bidirectional encoder has half of it per direction,
        so its states (both directions concatenated) have the decoder's size too.  The vocabularies
        and tokenizers of both sides and ``max_length`` (source tokens read) are what
        ``rnnkit.tasks.translation.decode.translate`` works with; a loaded run has them."""
        super().__init__()
        self.src_vocab, self.tgt_vocab, self.src_tokenizer, self.tgt_tokenizer = (src_vocab, tgt_vocab, src_tokenizer,
                                                                                  tgt_tokenizer)
        self.max_length = max_length
        cell, rnn_options = resolve(cell, rnn_options)   # a registry name; older flags folded in
        directions = 2 if bidirectional else 1
        if hidden_size % directions:
            raise ValueError(f"a bidirectional encoder needs an even hidden_size, got {hidden_size}")
        self.config = dict(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, embedding_dim=embedding_dim,
                           hidden_size=hidden_size, num_layers=num_layers, cell=cell, bidirectional=bidirectional,
                           attention=attention, dropout=dropout, tie_embeddings=tie_embeddings, **rnn_options)
        self.directions = directions
        self.src_embedding = nn.Embedding(src_vocab_size, embedding_dim, padding_idx=0)
        self.encoder = Recurrent(cell, embedding_dim, hidden_size // directions, num_layers,
                                 bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0, **rnn_options)
        self.build_decoder(tgt_vocab_size, embedding_dim, hidden_size, hidden_size, num_layers, cell, attention,
                           dropout, tie_embeddings, **rnn_options)
        self.bridge = nn.ModuleList(nn.Linear(hidden_size, hidden_size) for _ in range(2 if self.is_lstm else 1))
        # the parameters in the order of every saved run: a checkpoint's optimizer state is by position
        self._modules = {name: self._modules[name] for name in MODULE_ORDER if name in self._modules}

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> DecoderState:
        """``src [S, B]`` padded source ids, ``lengths [B]`` -> the decoder's starting state."""
        states, finals = self.encoder(self.dropout(self.src_embedding(src)), lengths=lengths)
        finals = finals if self.is_lstm else (finals,)
        L, B = self.encoder.num_layers, src.shape[1]
        # [L * directions, B, H / directions] -> [L, B, H]: each layer's directions side by side
        joined = [f.view(L, self.directions, B, -1).transpose(1, 2).reshape(L, B, -1) for f in finals]
        start = tuple(torch.tanh(bridge(f)) for bridge, f in zip(self.bridge, joined))
        return self.start(start if self.is_lstm else start[0], states, step_mask(lengths, src.shape[0]))

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: float = 1.0):
        """``src [S, B]``, ``src_lengths [B]``, ``tgt_in [T, B]`` (starting with <bos>) -> ``(logits
        [T, B, V], attention [T, B, S] or None)``, as ``Decoder.decode``."""
        return self.decode(self.encode(src, src_lengths), tgt_in, teacher_forcing)

    def loss(self, src, src_lengths, tgt_in, tgt_out, teacher_forcing: float = 1.0):
        """Summed cross-entropy over the real target tokens (``tgt_out`` is padded with 0) and
        their number."""
        logits, _ = self(src, src_lengths, tgt_in, teacher_forcing)
        return self.nats(logits, tgt_out)
