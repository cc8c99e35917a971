"""A recurrent language model: "given the previous tokens, predict the next one".

    e_t = E[x_t];   h_t, state = RNN(e_t, state);   p(x_{t+1} | x_{<=t}) = softmax(W dropout(h_t) + b)

Embedding -> rnnkit RNN/LSTM/GRU layers (any cell and option of the core) -> dropout ->
output layer (on the engine's matrix products: with a large vocabulary it costs more than the
recurrent layers), optionally tying the output weights to the embedding (Press & Wolf 2017), which
needs ``embedding_dim == hidden_size``.  Trained on windows of contiguous streams with the
state carried between windows (truncated BPTT); ``step()`` feeds one token at a time for
generation, carrying the state so that a prefix is never recomputed.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.data import StreamBatches
from rnnkit.devices import device_of, to_device
from rnnkit.engine.projection import linear
from rnnkit.engine.step import version_key
from rnnkit.engine import native
from rnnkit.cells import resolve
from rnnkit.layers import Recurrent

TABLE_MAX_ELEMENTS = 1 << 24   # 64 MB of float32: larger vocabularies project each token at each step


class LanguageModel(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int = 256, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0,
                 tie_weights: bool = False, init_range: float | None = None, *, vocab=None, tokenizer=None,
                 **rnn_options):
        """``rnn_options`` go to the recurrent layer (``layer_norm``, ``recurrent_dropout``,
        ``reset``, ``nonlinearity``, ``backend``); ``dropout`` applies to the embeddings,
        between layers and before the output layer; ``init_range`` draws every weight uniformly
        in ``±init_range`` (Zaremba et al. 2014) instead of the layers' defaults.  ``vocab`` and
        ``tokenizer`` (``rnnkit.data``) turn text into ids and back; a loaded run has both."""
        super().__init__()
        self.vocab, self.tokenizer = vocab, tokenizer
        cell, rnn_options = resolve(cell, rnn_options)   # a registry name; older flags folded in
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(f"tie_weights needs embedding_dim == hidden_size, got {embedding_dim} and {hidden_size}")
        self.config = dict(vocab_size=vocab_size, embedding_dim=embedding_dim, hidden_size=hidden_size,
                           num_layers=num_layers, cell=cell, dropout=dropout, tie_weights=tie_weights,
                           init_range=init_range, **rnn_options)
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = Recurrent(cell, embedding_dim, hidden_size, num_layers,
                             dropout=dropout if num_layers > 1 else 0.0, **rnn_options)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            # the shared matrix starts small (uniform ±0.1, as in Press & Wolf's code): at the
            # embedding's N(0, 1) the first logits would have a spread of sqrt(hidden_size)
            self.output.weight = self.embedding.weight
            with torch.no_grad():
                self.embedding.weight.uniform_(-0.1, 0.1)
                self.output.bias.zero_()
        if init_range is not None:
            with torch.no_grad():
                for name, p in self.named_parameters():
                    if not name.startswith("rnn.ln_"):
                        p.uniform_(-init_range, init_range)

    def forward(self, tokens: torch.Tensor, state=None, *, lengths=None):
        """``tokens [T, B]`` (time-major) -> ``(logits [T, B, V], state)``."""
        h, state = self.rnn(self.dropout(self.embedding(tokens)), state, lengths=lengths)
        return linear(self.dropout(h), self.output.weight, self.output.bias), state

    def initial_state(self, batch_size: int = 1):
        """The state before the first token of ``batch_size`` streams: zeros ``[layers, B, H]``
        (for the LSTM a pair)."""
        zeros = self.embedding.weight.new_zeros(self.rnn.num_layers, batch_size, self.rnn.hidden_size)
        return (zeros, zeros.clone()) if self.rnn.cell.num_states == 2 else zeros

    def step(self, token: torch.Tensor, state=None):
        """One token per stream, ``[B]`` -> ``(logits [B, V], state)``, on the recurrent layer's
        lean step; without autograd the first layer's input projection is a row of a table made
        once per set of weights (``input_table``)."""
        table = self.input_table()
        if table is not None:
            h, state = self.rnn.step(table[token], state, projected=True)
        else:
            h, state = self.rnn.step(self.dropout(self.embedding(token)), state)
        return linear(self.dropout(h), self.output.weight, self.output.bias), state

    def input_table(self) -> torch.Tensor | None:
        """Every token's input projection for the first layer, ``[V, G*H]`` (``cell.project_input``
        of each embedding), made again when a weight changes; None in training mode, where a
        gradient is needed, or above TABLE_MAX_ELEMENTS."""
        params = self.rnn.layer_params(0)
        weights = (self.embedding.weight, *params.values())
        if (self.training or (torch.is_grad_enabled() and any(w.requires_grad for w in weights))
                or self.embedding.num_embeddings * params["weight_ih"].shape[0] > TABLE_MAX_ELEMENTS):
            return None
        key = version_key(weights)
        cached = self.__dict__.get("_table")
        if cached is None or cached[0] != key:
            with torch.no_grad():
                table = self.rnn.cell.project_input(self.embedding.weight[:, None], params, linear=linear)[:, 0]
            cached = self.__dict__["_table"] = (key, table)
        return cached[1]

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor, state=None):
        """Summed cross-entropy of a window ``[W, B]`` given the carried ``state``:
        ``(nats, number of targets, state after the window)``."""
        logits, state = self(inputs, state)
        nats = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum")
        return nats, targets.numel(), state

    def one_step_weights(self):
        """What a one-stream stepper outside PyTorch (the C++ sampler of ``rnnkit.decoding.native``)
        runs: ``(cell, each layer's parameters, embedding, output weight, output bias)``; None where
        the C++ loop cannot run this model (training mode, not on the CPU, or a cell it lacks)."""
        if self.training or not native.usable(self.embedding.weight, self.rnn.cell):
            return None
        layers = [self.rnn.layer_params(k) for k in range(self.rnn.num_layers)]
        return self.rnn.cell, layers, self.embedding.weight, self.output.weight, self.output.bias

    @torch.no_grad()
    def stream_nats(self, batches: StreamBatches) -> tuple[float, int]:
        """Total cross-entropy (nats) and number of predictions over every window of
        ``batches``, the state carried across windows as in training."""
        total, count, state = 0.0, 0, None
        for k in range(len(batches)):
            nats, n, state = self.loss(*to_device(batches[k], device_of(self)), state)
            total += float(nats)
            count += n
        return total, count
