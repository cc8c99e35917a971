"""ONNX graphs of the classifiers of text, recordings and clips: padded inputs and lengths in, logits and
probabilities out."""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, element_type, recurrent, step_mask
from rnnkit.models.onnx import clip_inputs, frame_steps, image_encoder


def text_classifier(model) -> Graph:
    """``SequenceClassifier`` of token ids: ``tokens [T, B]`` int64 (padded) and ``lengths [B]`` int64
    -> ``logits [B, C]`` and ``probabilities [B, C]``, with every pooling (last, mean, max, attention)."""
    g = Graph("text_classifier")
    tokens, lengths = g.input("tokens", torch.int64, ["steps", "batch"]), g.input("lengths", torch.int64, ["batch"])
    x = g.node("Gather", [g.constant(model.embedding.weight, "embedding"), tokens], axis=0)[0]       # [T, B, E]
    _classify(g, model, x, lengths)
    return g


def recordings_classifier(model) -> Graph:
    """``SequenceClassifier`` of recordings: ``recordings [T, B, F]`` (NaN where a value is missing)
    and ``lengths [B]`` int64 -> ``logits`` and ``probabilities``: each case's own standardisation,
    the channels' deltas, their standardisation and the frames of ``SequenceClassifier.steps`` in
    the graph."""
    dtype = model.channel_mean.dtype
    g = Graph("recordings_classifier")
    x = g.input("recordings", dtype, ["steps", "batch", model.features])
    lengths = g.input("lengths", torch.int64, ["batch"])
    zero = g.constant(torch.tensor(0.0, dtype=dtype))
    inside = g.op("Unsqueeze", step_mask(g, x, lengths), g.constant([2]))     # [T, B, 1]
    if model.normalize == "case":                      # each case by its own mean and deviation, kept as channels
        known = g.op("And", g.op("Not", g.op("IsNaN", x)), inside)
        count = g.op("Max", g.op("ReduceSum", g.op("Cast", known, to=element_type(dtype)), g.constant([0])),
                     g.constant(torch.tensor(1.0, dtype=dtype)))                                # [1, B, F]
        mean = g.op("Div", g.op("ReduceSum", g.op("Where", known, x, zero), g.constant([0])), count)
        deviation = g.op("Where", known, g.op("Sub", x, mean), zero)
        std = g.op("Sqrt", g.op("Div", g.op("ReduceSum", g.op("Mul", deviation, deviation), g.constant([0])), count))
        std = g.op("Where", g.op("Greater", std, g.constant(torch.tensor(1e-8, dtype=dtype))), std,
                   g.constant(torch.tensor(1.0, dtype=dtype)))
        level = g.op("Concat", mean, g.op("Log", std), axis=2)                                  # [1, B, 2F]
        level = g.op("Expand", level, g.op("Concat", g.op("Slice", g.op("Shape", x), g.constant([0]), g.constant([1])),
                                           g.op("Slice", g.op("Shape", level), g.constant([1]), g.constant([3])),
                                           axis=0))
        x = g.op("Div", g.op("Sub", x, mean), std)
    if model.deltas:                                   # x_t - x_(t-1), unknown (NaN) at the first step
        nan_row = g.op("Mul", g.op("Slice", x, g.constant([0]), g.constant([1]), g.constant([0])),
                      g.constant(torch.tensor(float("nan"), dtype=dtype)))
        later = g.op("Slice", x, g.constant([1]), g.constant([2 ** 62]), g.constant([0]))
        earlier = g.op("Slice", x, g.constant([0]), g.constant([-1]), g.constant([0]))
        x = g.op("Concat", x, g.op("Concat", nan_row, g.op("Sub", later, earlier), axis=0), axis=2)
    if model.normalize == "case":
        x = g.op("Concat", x, level, axis=2)
    x = g.op("Div", g.op("Sub", x, g.constant(model.channel_mean, "channel_mean")), g.constant(model.channel_std,
                                                                                           "channel_std"))
    x = g.op("Where", g.op("IsNaN", x), zero, x)                            # a missing value is the mean
    x = g.op("Where", inside, x, zero)
    if model.frame > 1:                                # `frame` steps to one vector
        f = model.frame
        steps = g.op("Gather", g.op("Shape", x), g.constant(0), axis=0)
        extra = g.op("Mod", g.op("Sub", g.constant(f), g.op("Mod", steps, g.constant(f))), g.constant(f))
        pads = g.op("Concat", g.constant([0, 0, 0]), g.op("Unsqueeze", extra, g.constant([0])), g.constant([0, 0]),
                   axis=0)
        x = g.op("Pad", x, pads)
        channels = model.channel_mean.shape[0]
        batch = g.op("Slice", g.op("Shape", x), g.constant([1]), g.constant([2]))
        x = g.op("Reshape", x, g.op("Concat", g.constant([-1, f]), batch, g.constant([channels]), axis=0))
        x = g.op("Reshape", g.op("Transpose", x, perm=[0, 2, 1, 3]), g.constant([0, 0, -1]))   # [T / f, B, f * C]
        lengths = g.op("Div", g.op("Add", lengths, g.constant(f - 1)), g.constant(f))
    x = g.op("Cast", x, to=element_type(model.classifier.weight.dtype))
    x = g.op("Add", g.op("MatMul", x, g.constant(model.vectors.project.weight.t(), "project_weight")),
            g.constant(model.vectors.project.bias, "project_bias"))
    _classify(g, model, x, lengths)
    return g


def _classify(g: Graph, model, x: str, lengths: str) -> None:
    """The recurrent layers, the pooling and the classifier over the step vectors ``x [T, B, E]``;
    the outputs ``logits`` and ``probabilities``."""
    dtype = model.classifier.weight.dtype
    y, finals = recurrent(g, model.rnn, x, lengths)
    pooled = _pooling(g, model, y, finals[0], x, lengths, dtype)
    logits = g.node("Gemm", [pooled, g.constant(model.classifier.weight, "classifier_weight"),
                             g.constant(model.classifier.bias, "classifier_bias")], transB=1)[0]
    classes = model.classifier.out_features
    g.output(logits, "logits", dtype, ["batch", classes])
    g.output(g.node("Softmax", [logits], axis=1)[0], "probabilities", dtype, ["batch", classes])


def _pooling(g: Graph, model, y: str, h_n: str, steps_first: str, lengths: str, dtype) -> str:
    """``rnnkit.layers.pooling``'s pooled ``[B, D]`` of the states ``y [T, B, D]``."""
    how, directions = model.pooling.how, model.directions
    if how == "last":                          # the top layer's final state of each direction, side by side
        rows = model.rnn.num_layers * directions
        top = g.node("Slice", [h_n, g.constant([rows - directions]), g.constant([rows]), g.constant([0])])[0]
        top = g.node("Transpose", [top], perm=[1, 0, 2])[0]
        return g.node("Reshape", [top, g.constant([0, -1])])[0]
    mask = step_mask(g, steps_first, lengths)
    if how == "mean":                          # the states past a length are zero already
        total = g.node("ReduceSum", [y, g.constant([0])], keepdims=0)[0]
        count = g.node("Cast", [g.node("Unsqueeze", [lengths, g.constant([1])])[0]], to=element_type(dtype))[0]
        return g.node("Div", [total, count])[0]
    minus_infinity = g.constant(torch.tensor(float("-inf"), dtype=dtype))
    if how == "max":
        kept = g.node("Where", [g.node("Unsqueeze", [mask, g.constant([2])])[0], y, minus_infinity])[0]
        return g.node("ReduceMax", [kept], axes=[0], keepdims=0)[0]     # opset 17: axes as an attribute
    score = model.pooling.attention.score             # v . tanh(W q + U h_t + b), q the learned query
    with torch.no_grad():
        query = score.query_proj(model.pooling.attention.query)                           # W q, made once
    keys = g.node("MatMul", [y, g.constant(score.key_proj.weight.t(), "key_weight")])[0]
    hidden = g.node("Tanh", [g.node("Add", [keys, g.constant(query + score.key_proj.bias, "key_bias")])[0]])[0]
    scores = g.node("Squeeze", [g.node("MatMul", [hidden, g.constant(score.v.weight.t(), "v")])[0],
                                g.constant([2])])[0]                                          # [T, B]
    alpha = g.node("Softmax", [g.node("Where", [mask, scores, minus_infinity])[0]], axis=0)[0]
    weighted = g.node("Mul", [g.node("Unsqueeze", [alpha, g.constant([2])])[0], y])[0]
    return g.node("ReduceSum", [weighted, g.constant([0])], keepdims=0)[0]


def clips_classifier(model) -> Graph:
    """``SequenceClassifier`` of clips: ``clips [T, B, C, H, W]`` uint8 (padded, frames letterboxed
    to the model's size) and ``lengths [B]`` int64 -> ``logits`` and ``probabilities``: each frame
    (with ``deltas``, and its difference from the frame before) through the CNN, then the steps."""
    g = Graph("clips_classifier")
    clips, lengths = clip_inputs(g, model.cnn, model.cnn.in_channels // (2 if model.deltas else 1))

    def encode(frames):
        vectors, _ = image_encoder(g, model.cnn, frames, regions=False)
        return g.node("Add", [g.node("MatMul", [vectors, g.constant(model.vectors.project.weight.t(), "project")])[0],
                              g.constant(model.vectors.project.bias, "project_bias")])[0]

    _classify(g, model, frame_steps(g, model.cnn, clips, lengths, model.deltas, encode,
                                     model.classifier.weight.dtype), lengths)
    return g
