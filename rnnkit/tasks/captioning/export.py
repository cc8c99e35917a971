"""ONNX graph of a captioner's image encoder (its decoder step is the shared rnnkit.models.onnx.decoder_step)."""
from __future__ import annotations

import torch

from rnnkit.layers.onnx import Graph, element_type, onnx_package
from rnnkit.models.onnx import STATE_NAMES, image_encoder


def captioner_encoder(model) -> Graph:
    """``Captioner.encode``: ``images [B, C, H, W]`` uint8 (letterboxed to the model's size) -> the
    decoder's first state ``h`` (and ``c``) ``[layers, B, H]`` and, with attention, the regions as
    ``memory``, their ``keys`` and ``mask``."""
    dtype, H, L = model.output.weight.dtype, model.hidden_size, model.num_layers
    width, height = model.config["image_size"]
    g = Graph("captioner_encoder")
    images = g.input("images", torch.uint8, ["batch", model.config["image_channels"], height, width])
    scaled = g.node("Div", [g.node("Cast", [images], to=element_type(dtype))[0],
                            g.constant(torch.tensor(255.0, dtype=dtype))])[0]
    vector, regions = image_encoder(g, model.cnn, scaled)
    for bridge, name in zip(model.bridge, STATE_NAMES):
        start = g.node("Tanh", [g.node("Gemm", [vector, g.constant(bridge.weight, "bridge_weight"),
                                                g.constant(bridge.bias, "bridge_bias")], transB=1)[0]])[0]
        start = g.node("Transpose", [g.node("Reshape", [start, g.constant([0, L, H])])[0]], perm=[1, 0, 2])[0]
        g.output(start, name, dtype, [L, "batch", H])
    attention = model.attention
    if attention is not None:
        memory = regions
        if model.region_proj is not None:
            memory = g.node("Add", [g.node("MatMul", [regions, g.constant(model.region_proj.weight.t(), "region")])[0],
                                    g.constant(model.region_proj.bias, "region_bias")])[0]
        keys = memory
        if attention.score != "dot":
            keys = g.node("MatMul", [memory, g.constant(attention.key_proj.weight.t(), "key_weight")])[0]
            if attention.key_proj.bias is not None:
                keys = g.node("Add", [keys, g.constant(attention.key_proj.bias, "key_bias")])[0]
        count = model.cnn.map_height * model.cnn.map_width
        g.output(memory, "memory", dtype, [count, "batch", attention.key_size])
        g.output(keys, "keys", dtype, [count, "batch", attention.key_proj.out_features if attention.score != "dot"
                                       else H])
        every = onnx_package().helper.make_tensor("true", element_type(torch.bool), [1], [True])
        shape = g.node("Slice", [g.node("Shape", [keys])[0], g.constant([0]), g.constant([2])])[0]
        g.output(g.node("ConstantOfShape", [shape], value=every)[0], "mask", torch.bool, [count, "batch"])
    return g
