"""A recurrent language model: "given the previous tokens, predict the next one".

    e_t = E[x_t];   h_t, state = RNN(e_t, state);   p(x_{t+1} | x_{<=t}) = softmax(W dropout(h_t) + b)

Embedding -> rnnkit RNN/LSTM/GRU layers (any cell and option of the core) -> dropout ->
output layer, optionally tying the output weights to the embedding (Press & Wolf 2017).
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.layers import GRU, LSTM, RNN

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


class LanguageModel(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int = 128, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0,
                 tie_weights: bool = False, **rnn_options):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(f"tie_weights needs embedding_dim == hidden_size, got {embedding_dim} and {hidden_size}")
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                               **rnn_options)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            self.output.weight = self.embedding.weight

    def forward(self, tokens: torch.Tensor, state=None, *, lengths=None):
        """``tokens [T, B]`` (time-major) -> ``(logits [T, B, V], state)``."""
        h, state = self.rnn(self.dropout(self.embedding(tokens)), state, lengths=lengths)
        return self.output(self.dropout(h)), state

    def step(self, token: torch.Tensor, state=None):
        """One token per stream, ``[B]`` -> ``(logits [B, V], state)``; carries the state, so a
        prefix is never recomputed."""
        logits, state = self(token[None], state)
        return logits[0], state
