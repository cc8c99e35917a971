"""ONNX graphs of a melody model: its step (a note event and the state in, the pitch logits and the state
out) and its duration head."""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, recurrent
from rnnkit.models.onnx import STATE_NAMES


def melody_step(model) -> Graph:
    """``MelodyModel.step`` and ``pitch_logits``: the previous note (``pitch``, ``duration``), where the
    next starts in the bar (``position``) and the metre (``meter``), ``[B]`` int64 each, and the state
    ``h`` (and ``c``) -> ``pitch_logits [B, P]``, ``hidden [B, H]`` (for ``melody_duration``) and the
    next state.  The pitch scores' own, class and octave parts are summed into one table."""
    rnn, dtype = model.rnn, model.pitch_head.weight.dtype
    g = Graph("melody_step")
    names = ("pitch", "duration", "position", "meter")
    inputs = [g.input(name, torch.int64, ["batch"]) for name in names]
    states = tuple(g.input(name, dtype, [rnn.num_layers, "batch", rnn.hidden_size])
                   for name in STATE_NAMES[: rnn.cell.num_states])
    tables = (_pitch_table(model), model.duration_embedding.weight, model.position_embedding.weight,
              model.meter_embedding.weight)
    x = g.node("Concat", [g.node("Gather", [g.constant(t.detach(), name), i], axis=0)[0]
                          for t, name, i in zip(tables, names, inputs)], axis=1)[0]                 # [B, 4E]
    y, finals = recurrent(g, rnn, g.node("Unsqueeze", [x, g.constant([0])])[0], None, states)
    h = g.node("Squeeze", [y, g.constant([0])])[0]
    with torch.no_grad():
        classes, octaves = model.pitch_class[: model.pitch_head.out_features], model.octave[: model.pitch_head.out_features]
        weight = model.pitch_head.weight + model.class_head.weight[classes] + model.octave_head.weight[octaves]
        bias = model.pitch_head.bias + model.class_head.bias[classes] + model.octave_head.bias[octaves]
    g.output(g.node("Gemm", [h, g.constant(weight, "pitch_weight"), g.constant(bias, "pitch_bias")], transB=1)[0],
             "pitch_logits", dtype, ["batch", model.pitch_head.out_features])
    g.output(h, "hidden", dtype, ["batch", rnn.hidden_size])
    for final, name in zip(finals, STATE_NAMES):
        g.output(final, f"{name}_next", dtype, [rnn.num_layers, "batch", rnn.hidden_size])
    return g


def melody_duration(model) -> Graph:
    """``MelodyModel.duration_logits``: ``hidden [B, H]`` (``melody_step``'s) and the chosen ``pitch [B]``
    int64 -> ``duration_logits [B, durations]``."""
    dtype = model.duration_head.weight.dtype
    g = Graph("melody_duration")
    h = g.input("hidden", dtype, ["batch", model.rnn.hidden_size])
    pitch = g.input("pitch", torch.int64, ["batch"])
    x = g.node("Concat", [h, g.node("Gather", [g.constant(_pitch_table(model), "pitch_embedding"), pitch],
                                    axis=0)[0]], axis=1)[0]
    g.output(g.node("Gemm", [x, g.constant(model.duration_head.weight, "duration_weight"),
                             g.constant(model.duration_head.bias, "duration_bias")], transB=1)[0],
             "duration_logits", dtype, ["batch", model.duration_head.out_features])
    return g


def _pitch_table(model) -> torch.Tensor:
    """e(p) for every pitch token: its own vector plus its class's and octave's."""
    with torch.no_grad():
        return model.embed_pitch(torch.arange(model.pitch_own.num_embeddings))
