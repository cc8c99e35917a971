"""Read a sequence of vectors, answer in its last steps (many-to-one, or many-to-few):

    h_1..h_T = RNN(x_1..x_T);   y_t = W h_t + b   for the last K steps, t = T-K+1..T

the model of the long-range problems (``rnnkit.analysis.longrange``): the answer depends on
inputs far back, and nothing but the recurrent state carries them.  ``cell="irnn"`` is the ReLU
RNN started from identity recurrent weights and zero biases (Le et al. 2015); an LSTM's
forget-gate bias starts at ``forget_bias`` (1: remember by default, Gers et al. 2000), or, with
``chrono=T``, at ``log(u)``, u uniform in [1, T - 1], with the input-gate bias at ``-log(u)``
(chrono initialisation, Tallec & Ollivier 2018: time scales of memory up to T steps).
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.layers import Recurrent


class SequenceReadout(nn.Module):
    def __init__(self, inputs: int, outputs: int, answers: int = 1, hidden_size: int = 128, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, forget_bias: float = 1.0, chrono: int | None = None,
                 **rnn_options):
        """``inputs`` values a step; ``outputs`` per answer (classes, or 1 for a number);
        ``answers``: K, the last steps that answer."""
        super().__init__()
        identity = cell == "irnn"
        name, rnn_options = resolve("rnn_relu" if identity else cell, rnn_options)
        self.config = dict(inputs=inputs, outputs=outputs, answers=answers, hidden_size=hidden_size,
                           num_layers=num_layers, cell="irnn" if identity else name, dropout=dropout,
                           forget_bias=forget_bias, **({"chrono": chrono} if chrono else {}), **rnn_options)
        if chrono is not None and chrono < 3:
            raise ValueError(f"chrono initialisation needs sequences of 3 or more steps, got {chrono}")
        self.answers = answers
        self.rnn = Recurrent(name, inputs, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                             **rnn_options)
        self.head = nn.Linear(hidden_size, outputs)
        with torch.no_grad():
            for layer in range(num_layers):
                if identity:
                    getattr(self.rnn, f"weight_hh_l{layer}").copy_(torch.eye(hidden_size))
                    getattr(self.rnn, f"bias_ih_l{layer}").zero_()
                    getattr(self.rnn, f"bias_hh_l{layer}").zero_()
                elif self.rnn.cell.family == "LSTM":
                    forget = (torch.log(1 + torch.rand(hidden_size) * (chrono - 2)) if chrono else
                              torch.full((hidden_size,), forget_bias))
                    bias_ih, bias_hh = getattr(self.rnn, f"bias_ih_l{layer}"), getattr(self.rnn, f"bias_hh_l{layer}")
                    bias_ih[hidden_size : 2 * hidden_size] = forget
                    bias_hh[hidden_size : 2 * hidden_size] = 0.0
                    if chrono:
                        bias_ih[:hidden_size] = -forget
                        bias_hh[:hidden_size] = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x [T, B, inputs]`` -> ``[K, B, outputs]``, the answers of the last K steps."""
        states, _ = self.rnn(x)
        return self.head(states[-self.answers :])
