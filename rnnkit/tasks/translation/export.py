"""ONNX graph of a translation model's encoder (its decoder step is the shared rnnkit.models.onnx.decoder_step)."""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, recurrent, step_mask
from rnnkit.models.onnx import STATE_NAMES


def translation_encoder(model) -> Graph:
    """``Seq2Seq.encode``: ``src [S, B]`` int64 (padded) and ``lengths [B]`` int64 -> the memory
    ``[S, B, H]``, its attention ``keys`` (the score's projection, made once per sentence), the
    ``mask [S, B]`` (true on real positions) and the decoder's first state ``h`` (and ``c``)
    ``[layers, B, H]`` through the bridge."""
    rnn, dtype = model.encoder, model.output.weight.dtype
    H, L = model.hidden_size, rnn.num_layers
    g = Graph("translation_encoder")
    src, lengths = g.input("src", torch.int64, ["source_steps", "batch"]), g.input("lengths", torch.int64, ["batch"])
    x = g.node("Gather", [g.constant(model.src_embedding.weight, "src_embedding"), src], axis=0)[0]
    memory, finals = recurrent(g, rnn, x, lengths)
    g.output(memory, "memory", dtype, ["source_steps", "batch", H])
    keys = memory
    if model.attention is not None and model.attention.score != "dot":
        projection = model.attention.key_proj
        keys = g.node("MatMul", [memory, g.constant(projection.weight.t(), "key_weight")])[0]
        if projection.bias is not None:
            keys = g.node("Add", [keys, g.constant(projection.bias, "key_bias")])[0]
    if model.attention is not None:
        g.output(keys, "keys", dtype, ["source_steps", "batch", model.attention.key_proj.out_features
                                       if model.attention.score != "dot" else H])
    g.output(step_mask(g, src, lengths), "mask", torch.bool, ["source_steps", "batch"])
    for final, bridge, name in zip(finals, model.bridge, STATE_NAMES):
        # [L * directions, B, H / directions] -> [L, B, H]: each layer's directions side by side
        joined = g.node("Reshape", [final, g.constant([L, model.directions, -1, H // model.directions])])[0]
        joined = g.node("Reshape", [g.node("Transpose", [joined], perm=[0, 2, 1, 3])[0], g.constant([L, 0, H])])[0]
        start = g.node("Add", [g.node("MatMul", [joined, g.constant(bridge.weight.t(), "bridge_weight")])[0],
                               g.constant(bridge.bias, "bridge_bias")])[0]
        g.output(g.node("Tanh", [start])[0], name, dtype, [L, "batch", H])
    return g
