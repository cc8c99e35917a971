"""The ONNX pieces several applications' models share (``rnnkit export``): the attention decoder's
step (translation, captions), the CNN image encoder (captions, clips, tracks) and the frames of
padded clips, built on the recurrent layers' ONNX operators (``rnnkit.layers.onnx``); each
application's own graph lives in its slice (``rnnkit.tasks.NAME.export``).  Inference only (no
dropout).  Needs the optional ``onnx`` package (``pip install 'rnnkit[export]'``).
"""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, element_type, recurrent, step_mask

STATE_NAMES = ("h", "c")


def decoder_step(model) -> Graph:
    """``Decoder.step`` of a ``Seq2Seq`` or a ``Captioner``: ``token [B]`` int64, the state ``h`` (and ``c``) ``[layers, B, H]`` and, with
    attention, ``feed [B, H]`` (the previous attentional state; zeros at the start) and the
    encoder's ``memory``, ``keys`` and ``mask`` -> ``logits [B, V]``, ``h_next`` (``c_next``) and,
    with attention, ``feed_next`` and ``attention [B, S]``."""
    rnn, dtype, H = model.decoder, model.output.weight.dtype, model.hidden_size
    g = Graph("decoder_step")
    token = g.input("token", torch.int64, ["batch"])
    states = tuple(g.input(name, dtype, [rnn.num_layers, "batch", H]) for name in STATE_NAMES[: rnn.cell.num_states])
    x = g.node("Gather", [g.constant(model.tgt_embedding.weight, "tgt_embedding"), token], axis=0)[0]   # [B, E]
    attention = model.attention
    if attention is not None:
        feed = g.input("feed", dtype, ["batch", H])
        memory = g.input("memory", dtype, ["source_steps", "batch", attention.key_size])
        keys = g.input("keys", dtype, ["source_steps", "batch", attention.key_proj.out_features
                                       if attention.score != "dot" else H])
        mask = g.input("mask", torch.bool, ["source_steps", "batch"])
        x = g.node("Concat", [x, feed], axis=1)[0]
    y, finals = recurrent(g, rnn, g.node("Unsqueeze", [x, g.constant([0])])[0], None, states)
    s = g.node("Squeeze", [y, g.constant([0])])[0]                                                  # [B, H]
    attentional = s
    if attention is not None:
        if attention.score == "additive":           # v . tanh(W s + k_i)
            q = g.node("MatMul", [s, g.constant(attention.query_proj.weight.t(), "query_weight")])[0]
            hidden = g.node("Tanh", [g.node("Add", [keys, g.node("Unsqueeze", [q, g.constant([0])])[0]])[0]])[0]
            scores = g.node("Squeeze", [g.node("MatMul", [hidden, g.constant(attention.v.weight.t(), "v")])[0],
                                        g.constant([2])])[0]
        else:                                       # s . k_i
            scores = g.node("ReduceSum", [g.node("Mul", [keys, g.node("Unsqueeze", [s, g.constant([0])])[0]])[0],
                                          g.constant([2])], keepdims=0)[0]                      # [S, B]
        minus_infinity = g.constant(torch.tensor(float("-inf"), dtype=dtype))
        alpha = g.node("Softmax", [g.node("Where", [mask, scores, minus_infinity])[0]], axis=0)[0]
        context = g.node("ReduceSum", [g.node("Mul", [g.node("Unsqueeze", [alpha, g.constant([2])])[0], memory])[0],
                                       g.constant([0])], keepdims=0)[0]                         # [B, D]
        combined = g.node("Concat", [context, s], axis=1)[0]
        attentional = g.node("Tanh", [g.node("MatMul", [combined, g.constant(model.combine.weight.t(), "combine")])[0]])[0]
    readout = attentional
    if isinstance(model.readout, torch.nn.Linear):
        readout = g.node("MatMul", [readout, g.constant(model.readout.weight.t(), "readout")])[0]
    logits = g.node("Gemm", [readout, g.constant(model.output.weight, "output_weight"),
                             g.constant(model.output.bias, "output_bias")], transB=1)[0]
    g.output(logits, "logits", dtype, ["batch", model.output.out_features])
    for final, name in zip(finals, STATE_NAMES):
        g.output(final, f"{name}_next", dtype, [rnn.num_layers, "batch", H])
    if attention is not None:
        g.output(attentional, "feed_next", dtype, ["batch", H])
        g.output(g.node("Transpose", [alpha], perm=[1, 0])[0], "attention", dtype, ["batch", "source_steps"])
    return g


def decoder_interface(model) -> dict:
    """What ``decoder_step`` takes and gives, by name, for ``rnnkit.json``."""
    states = list(STATE_NAMES[: model.decoder.cell.num_states])
    carried = ["feed", "memory", "keys", "mask"] if model.attention is not None else []
    return {"inputs": ["token", *states, *carried],
            "outputs": ["logits", *(f"{s}_next" for s in states), *(["feed_next", "attention"] if carried else [])],
            "feed_start": "zeros [batch, hidden]" if carried else None, "hidden": model.hidden_size}


def image_encoder(g: Graph, cnn, images: str, regions: bool = True) -> tuple[str, str | None]:
    """``rnnkit.layers.images.ImageEncoder`` on ``images [B, C, H, W]`` (values in [0, 1]): its
    ``vector [B, V]`` and, with ``regions``, ``regions [h * w, B, channels + 2]`` (features, then
    coordinates), each batch norm folded into the convolution before it (inference)."""
    x, layers = images, list(cnn.blocks) + list(cnn.summary)
    for k, layer in enumerate(layers):
        if isinstance(layer, torch.nn.Conv2d):
            norm = layers[k + 1]
            scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
            weight = layer.weight * scale[:, None, None, None]
            bias = norm.bias - norm.running_mean * scale
            x = g.node("Conv", [x, g.constant(weight.detach(), "conv"), g.constant(bias.detach(), "conv_bias")],
                       pads=[layer.padding[0]] * 4, kernel_shape=list(layer.kernel_size))[0]
        elif isinstance(layer, torch.nn.ReLU):
            x = g.node("Relu", [x])[0]
        elif isinstance(layer, torch.nn.Tanh):
            x = g.node("Tanh", [x])[0]
        elif isinstance(layer, torch.nn.MaxPool2d):
            x = g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])[0]
        if layer is cnn.blocks[-1]:
            features = x
    vector = g.node("Flatten", [x], axis=1)[0]
    if not regions:
        return vector, None
    regions = g.node("Transpose", [g.node("Reshape", [features, g.constant([0, 0, -1])])[0]], perm=[2, 0, 1])[0]
    batch = g.node("Slice", [g.node("Shape", [images])[0], g.constant([0]), g.constant([1])])[0]
    where = g.node("Expand", [g.constant(cnn.coordinates[:, None].to(cnn.summary[0].weight.dtype), "coordinates"),
                              g.node("Concat", [g.constant([cnn.coordinates.shape[0]]), batch, g.constant([2])],
                                     axis=0)[0]])[0]
    return vector, g.node("Concat", [regions, where], axis=2)[0]


def clip_inputs(g: Graph, cnn, channels: int) -> tuple[str, str]:
    clips = g.input("clips", torch.uint8, ["steps", "batch", channels, cnn.height, cnn.width])
    return clips, g.input("lengths", torch.int64, ["batch"])


def frame_steps(g: Graph, cnn, clips: str, lengths: str, deltas: bool, encode, dtype) -> str:
    """``rnnkit.layers.images.encode_frames``: every frame of ``clips`` (in [0, 1]; with ``deltas``,
    with its difference from the frame before, zero at the first) through ``encode`` (``[N, C, H,
    W] -> [N, E]``), as ``[T, B, E]`` with zeros past each clip's end."""
    x = g.op("Div", g.op("Cast", clips, to=element_type(dtype)), g.constant(torch.tensor(255.0, dtype=dtype)))
    if deltas:
        before = g.op("Concat", g.op("Slice", x, g.constant([0]), g.constant([1]), g.constant([0])),
                     g.op("Slice", x, g.constant([0]), g.constant([-1]), g.constant([0])), axis=0)
        x = g.op("Concat", x, g.op("Sub", x, before), axis=2)
    vectors = encode(g.op("Reshape", x, g.constant([-1, cnn.in_channels, cnn.height, cnn.width])))
    steps_batch = g.op("Slice", g.op("Shape", clips), g.constant([0]), g.constant([2]))
    vectors = g.op("Reshape", vectors, g.op("Concat", steps_batch, g.constant([-1]), axis=0))              # [T, B, E]
    return g.op("Where", g.op("Unsqueeze", step_mask(g, clips, lengths), g.constant([2])), vectors,
               g.constant(torch.tensor(0.0, dtype=dtype)))


