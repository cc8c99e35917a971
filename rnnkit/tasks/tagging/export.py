"""ONNX graph of a tagger: padded words and lengths in, the tags' logits out."""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, recurrent


def tagger(model) -> Graph:
    """``SequenceTagger`` on the inputs of its ``encode``: ``words [T, B]`` and ``lengths [B]``,
    the characters of the batch's distinct word forms ``chars [L, N]`` (time-major) with
    ``char_lengths [N]``, and ``form_index [T, B]`` (which form each position holds), all int64 ->
    ``upos [T, B, U]`` logits (and ``xpos [T, B, X]``)."""
    dtype = model.upos.weight.dtype
    g = Graph("tagger")
    words, lengths = g.input("words", torch.int64, ["steps", "batch"]), g.input("lengths", torch.int64, ["batch"])
    chars, char_lengths = g.input("chars", torch.int64, ["letters", "forms"]), g.input("char_lengths", torch.int64,
                                                                                        ["forms"])
    form_index = g.input("form_index", torch.int64, ["steps", "batch"])
    encoder = model.chars                                      # each distinct form spelled by a BiLSTM
    letters = g.node("Gather", [g.constant(encoder.embedding.weight, "char_embedding"), chars], axis=0)[0]
    _, (h_n, _) = recurrent(g, encoder.rnn, letters, char_lengths)
    spelled = g.node("Reshape", [g.node("Transpose", [h_n], perm=[1, 0, 2])[0], g.constant([0, -1])])[0]   # [N, 2H]
    x = g.node("Concat", [g.node("Gather", [g.constant(model.embedding.weight, "embedding"), words], axis=0)[0],
                          g.node("Gather", [spelled, form_index], axis=0)[0]], axis=2)[0]
    h, _ = recurrent(g, model.rnn, x, lengths)
    for name, head in (("upos", model.upos), ("xpos", model.xpos)):
        if head is not None:
            logits = g.node("Add", [g.node("MatMul", [h, g.constant(head.weight.t(), f"{name}_weight")])[0],
                                    g.constant(head.bias, f"{name}_bias")])[0]
            g.output(logits, name, dtype, ["steps", "batch", head.out_features])
    return g
