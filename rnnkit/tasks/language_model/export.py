"""ONNX graph of a language model's step: a token and the state in, the next token's logits and state out."""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, recurrent
from rnnkit.models.onnx import STATE_NAMES


def language_model_step(model) -> Graph:
    """``LanguageModel.step``: ``token [B]`` int64 and the state ``h`` (and ``c``) ``[layers, B, H]``
    -> ``logits [B, V]`` and the next state ``h_next`` (and ``c_next``)."""
    rnn, dtype = model.rnn, model.output.weight.dtype
    g = Graph("language_model_step")
    token = g.input("token", torch.int64, ["batch"])
    states = tuple(g.input(name, dtype, [rnn.num_layers, "batch", rnn.hidden_size])
                   for name in STATE_NAMES[: rnn.cell.num_states])
    x = g.node("Gather", [g.constant(model.embedding.weight, "embedding"), token], axis=0)[0]      # [B, E]
    x = g.node("Unsqueeze", [x, g.constant([0])])[0]                                                # [1, B, E]
    y, finals = recurrent(g, rnn, x, None, states)
    y = g.node("Squeeze", [y, g.constant([0])])[0]
    logits = g.node("Gemm", [y, g.constant(model.output.weight, "output_weight"),
                             g.constant(model.output.bias, "output_bias")], transB=1)[0]
    g.output(logits, "logits", dtype, ["batch", model.output.out_features])
    for final, name in zip(finals, STATE_NAMES):
        g.output(final, f"{name}_next", dtype, [rnn.num_layers, "batch", rnn.hidden_size])
    return g
