"""The decoder that writes a sequence from [START] to [END], conditioned on an encoder's memory:
the half that the encoder-decoder (``Seq2Seq``, reading a sentence) and the captioner (reading an
image) share.

    s_t = RNN([E[y_{t-1}]; h~_{t-1}], s_{t-1})                      (input feeding, Luong et al. 2015)
    a_t, alpha_t = Attention(s_t, m_1..m_S);   h~_t = tanh(W_c [a_t; s_t]);   p(y_t) = softmax(W_o h~_t)

``m_1..m_S`` is the memory: the encoder states of a sentence, or the regions of an image.  With
``tie_embeddings`` the output layer reuses the embedding (Press & Wolf 2017): ``p(y_t) =
softmax(E W_r h~_t + b)``.  Without attention the decoder sees its input only through its initial
state: ``h~_t = s_t`` and no input feeding.  During training the previous token is the gold one
with probability ``teacher_forcing`` (per token; scheduled sampling, Bengio et al. 2015), otherwise
the model's own best guess.  ``step()`` runs one decoder step for greedy and beam search.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from rnnkit.cells.base import Cell
from rnnkit.engine import attention as attention_decoder
from rnnkit.engine import run
from rnnkit.engine.projection import linear
from rnnkit.layers import Attention, Recurrent


class Memory(NamedTuple):
    states: torch.Tensor    # [S, B, K] encoder states (or image regions)
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


class Decoder(nn.Module):
    """The decoder's layers, made by ``build_decoder``; a model adds its encoder and ``encode``,
    which gives the ``DecoderState`` to start from.  Parameter names (``tgt_embedding``,
    ``decoder``, ``attention``, ``combine``, ``readout``, ``output``) are those of every saved run."""

    def build_decoder(self, vocab_size: int, embedding_dim: int, hidden_size: int, memory_size: int, num_layers: int,
                      cell: str, attention: str | None, dropout: float, tie_embeddings: bool, **rnn_options) -> None:
        """``memory_size``: the size of each memory vector (what attention reads)."""
        self.hidden_size = hidden_size
        self.tgt_embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        feed = hidden_size if attention else 0
        self.decoder = Recurrent(cell, embedding_dim + feed, hidden_size, num_layers,
                                 dropout=dropout if num_layers > 1 else 0.0, **rnn_options)
        self.is_lstm = self.decoder.cell.num_states == 2    # states (h, c)
        self.attention = Attention(hidden_size, memory_size, attention) if attention else None
        self.combine = nn.Linear(memory_size + hidden_size, hidden_size, bias=False) if attention else None
        self.dropout = nn.Dropout(dropout)
        self.readout = nn.Linear(hidden_size, embedding_dim, bias=False) if tie_embeddings else nn.Identity()
        self.output = nn.Linear(embedding_dim if tie_embeddings else hidden_size, vocab_size)
        if tie_embeddings:
            # small shared weights (as the tied language model's): at N(0, 1) the first logits
            # would spread by sqrt(embedding_dim)
            self.output.weight = self.tgt_embedding.weight
            with torch.no_grad():
                self.tgt_embedding.weight.uniform_(-0.1, 0.1)
                self.tgt_embedding.weight[0].zero_()

    def start(self, rnn, memory_states: torch.Tensor, mask: torch.Tensor) -> DecoderState:
        """The state to decode from: the decoder layers' initial state ``rnn`` and the memory
        ``[S, B, K]`` with its ``mask [S, B]`` (the attention's projection of it made once here)."""
        keys = self.attention.project(memory_states) if self.attention is not None else None
        feed = memory_states.new_zeros(memory_states.shape[1], self.hidden_size)
        return DecoderState(rnn, feed, Memory(memory_states, mask, keys))

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
        E, p = gold.shape[-1], self.decoder.layer_params(0)
        projected = cell.project_input(self.dropout(gold), {**p, "weight_ih": p["weight_ih"][:, :E]},
                                       linear=linear).unbind()   # one backward for all steps, not one per step
        if self.attention is None:
            return lambda t, feed: projected[t]
        w_feed = p["weight_ih"][:, E:].contiguous()
        return lambda t, feed: projected[t] + linear(feed, w_feed)

    def _whole_sequence(self, state: DecoderState, gold: torch.Tensor):
        """Teacher forcing over all steps at once: ``(attentional [T, B, H], attention or None)``
        through the engine's whole-sequence Functions (``rnnkit.engine.attention`` with attention,
        the decoder layer's own forward without), or None where they do not apply (several
        decoder layers, a cell whose input projection is not linear, memory shared by rows)
        and the step loop runs.  Recurrent dropout draws a mask per step, as the loop does."""
        decoder, cell = self.decoder, self.decoder.cell
        T, B, E = gold.shape
        dropping = self.training and decoder.recurrent_dropout > 0
        if (decoder.num_layers != 1 or type(cell).project_input is not Cell.project_input
                or (self.attention is None and dropping)          # engine.run takes one mask per sequence
                or (self.attention is not None and state.memory.states.shape[1] != B)):
            return None                                           # checked before any random draw
        x = self.dropout(gold)
        drop = None
        if dropping:
            keep = 1 - decoder.recurrent_dropout
            drop = x.new_empty(T, B, self.hidden_size).bernoulli_(keep).div_(keep)
        states0 = tuple(s[0] for s in state.rnn) if isinstance(state.rnn, tuple) else (state.rnn[0],)
        p = decoder.layer_params(0)
        if self.attention is None:
            return run(cell, x, p, states0)[0], None
        memory = state.memory
        P = cell.project_input(x, {**p, "weight_ih": p["weight_ih"][:, :E]}, linear=linear)
        additive = self.attention.score == "additive"
        return attention_decoder.decode(
            cell, self.attention.score, P, p["weight_ih"][:, E:], p, memory.states, memory.keys, memory.mask,
            self.combine.weight, state.feed, states0, drop=drop, w_q=self.attention.query_proj.weight if additive else None,
            v=self.attention.v.weight if additive else None)

    def decode(self, state: DecoderState, tgt_in: torch.Tensor, teacher_forcing: float = 1.0):
        """From ``encode``'s ``state``, the whole target: ``tgt_in [T, B]`` starts with <bos>; ->
        ``(logits [T, B, V], attention [T, B, S] or None)``.  With ``teacher_forcing < 1`` each next
        input is, per token, the gold one with that probability and the model's best guess
        otherwise.  The output layer runs once over all steps, and the gold tokens are embedded
        and, with teacher forcing, projected for the first decoder layer at once (large products
        instead of T small ones).  With teacher forcing, where ``_whole_sequence`` applies, all
        steps run as one operation with a hand-derived backward instead of this loop."""
        gold = self.tgt_embedding(tgt_in)
        if teacher_forcing >= 1.0:
            whole = self._whole_sequence(state, gold)
            if whole is not None:
                attentional, attention = whole
                return self._logits(attentional), attention
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


    @staticmethod
    def nats(logits: torch.Tensor, tgt_out: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Summed cross-entropy of ``logits [T, B, V]`` over the real target tokens (``tgt_out [T, B]``
        is padded with 0) and their number."""
        nats = nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=0, reduction="sum")
        return nats, int((tgt_out != 0).sum())
