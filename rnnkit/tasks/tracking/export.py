"""ONNX graph of a tracker: clips in, each frame's position and the next K positions out."""
from __future__ import annotations

from rnnkit.layers.onnx import Graph, recurrent
from rnnkit.models.onnx import clip_inputs, frame_steps, image_encoder


def tracker(model) -> Graph:
    """``Tracker``: ``clips [T, B, C, H, W]`` uint8 (padded) and ``lengths [B]`` int64 -> ``positions
    [T, B, K + 1, 2]``: at each frame, where the object is and where it will be at the next K
    frames, in [-1, 1].  Each frame's features: the CNN's summary and its keypoints (for each
    channel, the mean coordinates under the softmax of its features over the regions)."""
    dtype, K = model.head.weight.dtype, model.horizon
    g = Graph("tracker")
    clips, lengths = clip_inputs(g, model.cnn, model.cnn.in_channels)

    def encode(frames):
        vector, regions = image_encoder(g, model.cnn, frames)
        C = model.cnn.feature_size - 2
        features = g.node("Slice", [regions, g.constant([0]), g.constant([C]), g.constant([2])])[0]
        where = g.node("Slice", [regions, g.constant([C]), g.constant([C + 2]), g.constant([2])])[0]
        weights = g.node("Transpose", [g.node("Softmax", [features], axis=0)[0]], perm=[1, 2, 0])[0]    # [N, C, S]
        points = g.node("MatMul", [weights, g.node("Transpose", [where], perm=[1, 0, 2])[0]])[0]        # [N, C, 2]
        x = g.node("Concat", [vector, g.node("Reshape", [points, g.constant([0, -1])])[0]], axis=1)[0]
        return g.node("Add", [g.node("MatMul", [x, g.constant(model.vectors.project.weight.t(), "project")])[0],
                              g.constant(model.vectors.project.bias, "project_bias")])[0]

    x = frame_steps(g, model.cnn, clips, lengths, False, encode, dtype)
    states, _ = recurrent(g, model.rnn, x, lengths)
    out = g.node("Add", [g.node("MatMul", [states, g.constant(model.head.weight.t(), "head")])[0],
                         g.constant(model.head.bias, "head_bias")])[0]
    out = g.node("Reshape", [out, g.constant([0, 0, K + 1, 2])])[0]
    now = g.node("Slice", [out, g.constant([0]), g.constant([1]), g.constant([2])])[0]
    later = g.node("Slice", [out, g.constant([1]), g.constant([K + 1]), g.constant([2])])[0]
    g.output(g.node("Concat", [now, g.node("Add", [now, later])[0]], axis=2)[0], "positions", dtype,
             ["steps", "batch", K + 1, 2])
    return g
