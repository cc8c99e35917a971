"""Word representations from characters, so that a word never seen in training still gets
features: each word's characters go through a bidirectional LSTM, and the final states of the
two directions, concatenated, stand for the word (Ling et al. 2015; Plank et al. 2016).
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.layers.recurrent import LSTM


class CharWordEncoder(nn.Module):
    def __init__(self, num_chars: int, char_dim: int = 32, hidden_size: int = 64, padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(num_chars, char_dim, padding_idx=padding_idx)
        self.rnn = LSTM(char_dim, hidden_size, bidirectional=True)
        self.output_size = 2 * hidden_size

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``chars [L, N]`` (time-major character ids of N words), ``lengths [N]`` -> ``[N, 2H]``."""
        _, (h_n, _) = self.rnn(self.embedding(chars), lengths=lengths)
        return torch.cat([h_n[0], h_n[1]], dim=-1)
