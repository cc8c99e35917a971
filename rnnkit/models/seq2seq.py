"""Encoder-decoder: read the source, then generate the target from [START] to [END].

    h_1..h_S = BiRNN(E_src[x]);   state_0 = tanh(W_b [final states of both directions])   (bridge)
    s_t = RNN([E_tgt[y_{t-1}]; h~_{t-1}], s_{t-1})                  (input feeding, Luong et al. 2015)
    a_t, alpha_t = Attention(s_t, h_1..h_S);   h~_t = tanh(W_c [a_t; s_t]);   p(y_t) = softmax(W_o h~_t)

With ``tie_embeddings`` the output layer reuses the target embedding (Press & Wolf 2017):
``p(y_t) = softmax(E_tgt W_r h~_t + b)``, which reads out through the smaller embedding size.

Without attention (``attention=None``) the decoder sees the source only through its initial
state, the bottleneck of Sutskever et al. 2014: ``h~_t = s_t`` and no input feeding.
During training the previous target token is the gold one with probability ``teacher_forcing``
(per token; scheduled sampling, Bengio et al. 2015), otherwise the model's own best guess.
``step()`` runs one decoder step for greedy and beam search, like the language model's.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.cells.base import Cell
from rnnkit.engine.projection import linear
from rnnkit.layers import Attention, Recurrent
from rnnkit.layers.pooling import step_mask


class Memory(NamedTuple):
    states: torch.Tensor    # [S, B, hidden] encoder states
    mask: torch.Tensor      # [S, B] true on real source positions
    keys: torch.Tensor | None = None   # the attention's projection of the states (Attention.project), made once


class DecoderState(NamedTuple):
    rnn: object             # the decoder layers' state (h, or (h, c) for the LSTM)
    feed: torch.Tensor      # [B, hidden] the previous attentional state h~ (zeros at the start)
    memory: Memory
    attention: torch.Tensor | None = None   # [B, S] the weights of the step that made this state


def _memory_of(memory: Memory, source: torch.Tensor, group: int) -> Memory:
    """The memory for rows that read the sentences ``source`` (one per row).  It stays per
    sentence where the rows come in equal groups of one sentence each, of the size ``group`` they
    had or of one group per sentence as before (the larger that fits); else every row gets its
    own copy."""
    sources = memory.states.shape[1]
    for size in sorted({group, len(source) // sources}, reverse=True):   # size 1 always fits: the last resort
        if size and len(source) % size == 0:
            firsts = source[::size]
            if bool((source.view(-1, size) == firsts[:, None]).all()):
                if len(firsts) == sources and bool((firsts == torch.arange(sources, device=source.device)).all()):
                    return memory
                source = firsts
                break
    return Memory(*(m[:, source] if m is not None else None for m in memory))


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embedding_dim: int = 256, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = True, attention: str | None = "general",
                 dropout: float = 0.2, tie_embeddings: bool = False, *, src_vocab=None, tgt_vocab=None,
                 src_tokenizer=None, tgt_tokenizer=None, max_length: int | None = None, **rnn_options):
        """``hidden_size``: the decoder's size; a bidirectional encoder has half of it per direction,
        so its states (both directions concatenated) have the decoder's size too.  The vocabularies
        and tokenizers of both sides and ``max_length`` (source tokens read) are what
        ``rnnkit.decoding.translate`` works with; a loaded run has them."""
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
        self.directions, self.hidden_size = directions, hidden_size
        between = dropout if num_layers > 1 else 0.0
        self.src_embedding = nn.Embedding(src_vocab_size, embedding_dim, padding_idx=0)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embedding_dim, padding_idx=0)
        self.encoder = Recurrent(cell, embedding_dim, hidden_size // directions, num_layers,
                                 bidirectional=bidirectional, dropout=between, **rnn_options)
        self.is_lstm = self.encoder.cell.num_states == 2    # states (h, c)
        self.bridge = nn.ModuleList(nn.Linear(hidden_size, hidden_size) for _ in range(2 if self.is_lstm else 1))
        feed = hidden_size if attention else 0
        self.decoder = Recurrent(cell, embedding_dim + feed, hidden_size, num_layers, dropout=between, **rnn_options)
        self.attention = Attention(hidden_size, hidden_size, attention) if attention else None
        self.combine = nn.Linear(2 * hidden_size, hidden_size, bias=False) if attention else None
        self.dropout = nn.Dropout(dropout)
        self.readout = nn.Linear(hidden_size, embedding_dim, bias=False) if tie_embeddings else nn.Identity()
        self.output = nn.Linear(embedding_dim if tie_embeddings else hidden_size, tgt_vocab_size)
        if tie_embeddings:
            # small shared weights (as the tied language model's): at N(0, 1) the first logits
            # would spread by sqrt(embedding_dim)
            self.output.weight = self.tgt_embedding.weight
            with torch.no_grad():
                self.tgt_embedding.weight.uniform_(-0.1, 0.1)
                self.tgt_embedding.weight[0].zero_()

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> DecoderState:
        """``src [S, B]`` padded source ids, ``lengths [B]`` -> the decoder's starting state."""
        states, finals = self.encoder(self.dropout(self.src_embedding(src)), lengths=lengths)
        finals = finals if self.is_lstm else (finals,)
        L, B = self.encoder.num_layers, src.shape[1]
        # [L * directions, B, H / directions] -> [L, B, H]: each layer's directions side by side
        joined = [f.view(L, self.directions, B, -1).transpose(1, 2).reshape(L, B, -1) for f in finals]
        start = tuple(torch.tanh(bridge(f)) for bridge, f in zip(self.bridge, joined))
        keys = self.attention.project(states) if self.attention is not None else None
        memory = Memory(states, step_mask(lengths, src.shape[0]), keys)
        return DecoderState(start if self.is_lstm else start[0], states.new_zeros(B, self.hidden_size), memory)

    @staticmethod
    def select_state(state: DecoderState, index: torch.Tensor) -> DecoderState:
        """The state of the rows ``index`` (reordered, repeated or dropped, for beam search).  The
        memory is per source sentence, read by rows in equal groups, one group per sentence in
        order (``Attention``'s grouped queries): where the selected rows still come in such groups
        (a beam's reordering; repeating each sentence ``K`` times; dropping whole sentences) the
        memory stays or loses the dropped sentences, else every row gets its own copy."""
        rnn = tuple(s[:, index] for s in state.rnn) if isinstance(state.rnn, tuple) else state.rnn[:, index]
        attention = state.attention[index] if state.attention is not None else None
        group = len(state.feed) // state.memory.states.shape[1]
        return DecoderState(rnn, state.feed[index], _memory_of(state.memory, index // group, group), attention)

    def step(self, token: torch.Tensor, state: DecoderState):
        """One decoder step, as every generative model's ``step()``: ``token [B]`` (the previous
        target token) -> ``(logits [B, V], next state)``; the step's attention weights are
        ``state.attention``."""
        state = self._advance(self.tgt_embedding(token), state)
        return self._logits(state.feed), state

    def _logits(self, attentional: torch.Tensor) -> torch.Tensor:
        if isinstance(self.readout, nn.Linear):
            attentional = linear(attentional, self.readout.weight)
        return linear(self.dropout(attentional), self.output.weight, self.output.bias)

    def _advance(self, embedded: torch.Tensor, state: DecoderState) -> DecoderState:
        """The decoder's next state from the previous token's embedding ``[B, E]``; the state's
        ``feed`` is the attentional state h~_t that predicts y_t."""
        x = self.dropout(embedded)
        if self.attention is not None:
            x = torch.cat([x, state.feed], dim=-1)
        return self._attend(*self.decoder.step(x, state.rnn), state.memory)

    def _attend(self, s: torch.Tensor, rnn, memory: Memory) -> DecoderState:
        """The state after the decoder layers gave ``s`` (the top layer's output) and ``rnn``."""
        weights = None
        if self.attention is not None:
            context, weights = self.attention(s, memory.states, memory.mask, projected=memory.keys)
            s = torch.tanh(linear(torch.cat([context, s], dim=-1), self.combine.weight))
        return DecoderState(rnn, s, memory, weights)

    def _gold_inputs(self, gold: torch.Tensor):
        """Teacher forcing: the first decoder layer's input projection of every gold embedding,
        made at once (one large product instead of one per step); returns the function that
        gives step ``t``'s projection from the fed state, or None where the cell's projection is
        not linear (LayerNorm)."""
        cell = self.decoder.cell
        if type(cell).project_input is not Cell.project_input:
            return None
        E, p = gold.shape[-1], self.decoder._layer_params(0)
        projected = cell.project_input(self.dropout(gold), {**p, "weight_ih": p["weight_ih"][:, :E]},
                                       linear=linear).unbind()   # one backward for all steps, not one per step
        if self.attention is None:
            return lambda t, feed: projected[t]
        w_feed = p["weight_ih"][:, E:].contiguous()
        return lambda t, feed: projected[t] + linear(feed, w_feed)

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: float = 1.0):
        """``tgt_in [T, B]`` starts with <bos>; -> ``(logits [T, B, V], attention [T, B, S] or None)``.
        With ``teacher_forcing < 1`` each next input is, per token, the gold one with that
        probability and the model's best guess otherwise.  The output layer runs once over all
        steps, and the gold tokens are embedded and, with teacher forcing, projected for the
        first decoder layer at once (large products instead of T small ones)."""
        state = self.encode(src, src_lengths)
        gold = self.tgt_embedding(tgt_in)
        gold_input = self._gold_inputs(gold) if teacher_forcing >= 1.0 else None
        attentional, weights = [], []
        embedded = gold[0]
        for t in range(tgt_in.shape[0]):
            if gold_input is not None:
                s, rnn = self.decoder.step(gold_input(t, state.feed), state.rnn, projected=True)
                state = self._attend(s, rnn, state.memory)
            else:
                state = self._advance(embedded, state)
            attentional.append(state.feed)
            weights.append(state.attention)
            if t + 1 < tgt_in.shape[0]:
                embedded = gold[t + 1]
                if teacher_forcing < 1.0:
                    with torch.no_grad():
                        guess = self._logits(state.feed).argmax(-1)
                    own = torch.rand(guess.shape, device=guess.device) >= teacher_forcing
                    embedded = torch.where(own[:, None], self.tgt_embedding(guess), embedded)
        attention = torch.stack(weights) if self.attention is not None else None
        return self._logits(torch.stack(attentional)), attention

    def loss(self, src, src_lengths, tgt_in, tgt_out, teacher_forcing: float = 1.0):
        """Summed cross-entropy over the real target tokens (``tgt_out`` is padded with 0) and
        their number."""
        logits, _ = self(src, src_lengths, tgt_in, teacher_forcing)
        nats = nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=0, reduction="sum")
        return nats, int((tgt_out != 0).sum())
