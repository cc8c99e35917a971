"""Task models as ONNX graphs (``rnnkit export``), built on the recurrent layers' ONNX operators
(``rnnkit.layers.onnx``).  Each function returns the ``Graph`` of one model; inference only
(no dropout).  Needs the optional ``onnx`` package (``pip install 'rnnkit[export]'``).
"""
from __future__ import annotations

import math

import torch

from rnnkit.layers.onnx import Graph, element_type, onnx_package, recurrent, step_mask

STATE_NAMES = ("h", "c")


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


def forecaster(model) -> Graph:
    """``Forecaster.forecast``: ``history [B, W]`` float64 (left-aligned; NaN where a value is
    missing and past each window's length), ``lengths [B]`` and ``start [B]`` (the calendar step
    of each window's first value) int64 -> ``quantiles [B, H, Q]`` float64 in the series' own
    units, sorted, with the intervals' calibration (the model's quantile levels in ``rnnkit.json``)."""
    dtype, f64, m = model.head.weight.dtype, torch.float64, model.season
    g = Graph("forecaster")
    history = g.input("history", f64, ["batch", "window"])
    lengths, start = g.input("lengths", torch.int64, ["batch"]), g.input("start", torch.int64, ["batch"])
    c = lambda value: g.constant(torch.tensor(value, dtype=f64))                      # noqa: E731
    axis1 = g.constant([1])
    # scale: each window in its own units (Forecaster.scale)
    x = g.op("Log", history) if model.log else history
    observed = g.op("Not", g.op("IsNaN", x))
    width = g.op("Gather", g.op("Shape", x), g.constant(1), axis=0)
    position = g.op("Range", g.constant(0), width, g.constant(1))
    last = g.op("Max", g.op("ReduceMax", g.op("Where", observed, position, g.constant(-1)), axes=[1], keepdims=0),
               g.constant(0))
    level = g.op("Squeeze", g.op("GatherElements", x, g.op("Unsqueeze", last, axis1), axis=1), axis1)
    later, later_seen = (g.op("Slice", t, g.constant([1]), g.constant([2 ** 62]), axis1) for t in (x, observed))
    earlier, earlier_seen = (g.op("Slice", t, g.constant([0]), g.constant([-1]), axis1) for t in (x, observed))
    both = g.op("And", later_seen, earlier_seen)
    change = g.op("Div", g.op("ReduceSum", g.op("Where", both, g.op("Abs", g.op("Sub", later, earlier)), c(0.0)), axis1,
                            keepdims=0),
                 g.op("Max", g.op("ReduceSum", g.op("Cast", both, to=element_type(f64)), axis1, keepdims=0), c(1.0)))
    spread = g.op("Where", g.op("Greater", change, c(1e-8)), change, g.op("Mul", g.op("Max", g.op("Abs", level), c(1e-3)),
                                                                         c(0.01)))
    level_, spread_ = g.op("Unsqueeze", level, axis1), g.op("Unsqueeze", spread, axis1)
    z = g.op("Where", observed, g.op("Div", g.op("Sub", x, level_), spread_), c(0.0))

    def phase(steps):                                  # the season's phase as (sin, cos); none without a season
        if m <= 1:
            return []
        angle = g.op("Mul", g.op("Cast", g.op("Mod", steps, g.constant(m)), to=element_type(f64)), c(2 * math.pi / m))
        return [g.op("Sin", angle), g.op("Cos", angle)]

    def stacked(features):                             # [B, N] each -> [N, B, F] in the model's dtype
        joined = g.op("Concat", *(g.op("Unsqueeze", t, g.constant([2])) for t in features), axis=2)
        return g.op("Transpose", g.op("Cast", joined, to=element_type(dtype)), perm=[1, 0, 2])

    steps = g.op("Add", g.op("Unsqueeze", start, axis1), g.op("Unsqueeze", position, g.constant([0])))
    features = [z, *phase(steps), *([g.op("Cast", observed, to=element_type(f64))] if model.mask_missing else [])]
    _, state = recurrent(g, model.rnn, stacked(features), lengths)
    ahead_k = g.op("Unsqueeze", g.constant(torch.arange(model.horizon)), g.constant([0]))             # [1, H]
    if m <= 1:                                         # the seasonal naive forecast (Forecaster.base)
        base = g.op("Mul", g.op("Cast", g.op("Add", g.op("Unsqueeze", lengths, axis1), ahead_k), to=element_type(f64)),
                   c(0.0))
    else:
        index = g.op("Add", g.op("Sub", g.op("Unsqueeze", lengths, axis1), g.constant(m)),
                    g.op("Mod", ahead_k, g.constant(m)))
        safe = g.op("Max", g.op("Min", index, g.op("Sub", width, g.constant(1))), g.constant(0))
        known = g.op("And", g.op("GreaterOrEqual", index, g.constant(0)), g.op("GatherElements", observed, safe, axis=1))
        base = g.op("Where", known, g.op("GatherElements", z, safe, axis=1), c(0.0))
    if model.drift:                                    # the window's mean change per season, for each season ahead
        seen = lambda t, lo, hi: g.op("Slice", t, g.constant([lo]), g.constant([hi]), axis1)   # noqa: E731
        pairs = g.op("And", seen(observed, m, 2 ** 62), seen(observed, 0, -m))
        total = g.op("ReduceSum", g.op("Where", pairs, g.op("Sub", seen(z, m, 2 ** 62), seen(z, 0, -m)), c(0.0)), axis1,
                     keepdims=0)
        count = g.op("Max", g.op("ReduceSum", g.op("Cast", pairs, to=element_type(f64)), axis1, keepdims=0), c(1.0))
        seasons = g.constant(torch.arange(model.horizon, dtype=f64).div(m, rounding_mode="floor").add(1)[None])
        base = g.op("Add", base, g.op("Mul", g.op("Unsqueeze", g.op("Div", total, count), axis1), seasons))
    quantile_count = len(model.taus)
    if model.decoder is None:
        top = g.op("Gather", state[0], g.constant(model.rnn.num_layers - 1), axis=0)
        q = g.op("Gemm", top, g.constant(model.head.weight, "head_weight"), g.constant(model.head.bias, "head_bias"),
                transB=1)
        q = g.op("Reshape", q, g.constant([0, model.horizon, quantile_count]))
    else:
        future = [base, *phase(g.op("Add", g.op("Unsqueeze", g.op("Add", start, lengths), axis1), ahead_k))]
        out, _ = recurrent(g, model.decoder, stacked(future), None, tuple(state))
        q = g.op("Add", g.op("MatMul", out, g.constant(model.head.weight.t(), "head_weight")),
                g.constant(model.head.bias, "head_bias"))
        q = g.op("Transpose", q, perm=[1, 0, 2])
    q = g.op("Add", g.op("Cast", q, to=element_type(f64)), g.op("Unsqueeze", base, g.constant([2])))
    q = g.node("TopK", [q, g.constant([quantile_count])], outputs=2, axis=-1, largest=0, sorted=1)[0]
    columns = g.node("Split", [q], outputs=quantile_count, axis=-1)
    taus = model.levels
    median = columns[taus.index(0.5)]
    intervals = model._interval_columns()
    for (lo, hi), factor in zip(intervals, model.widen.tolist()):   # Forecaster.quantiles' calibration
        spread_q = g.op("Mul", g.op("Sub", columns[hi], columns[lo]), c(factor))
        columns[lo] = g.op("Min", g.op("Sub", columns[lo], spread_q), median)
        columns[hi] = g.op("Max", g.op("Add", columns[hi], spread_q), median)
    for (lo, hi), (outer_lo, outer_hi) in zip(intervals, intervals[1:]):
        columns[outer_lo] = g.op("Min", columns[outer_lo], columns[lo])
        columns[outer_hi] = g.op("Max", columns[outer_hi], columns[hi])
    q = g.op("Concat", *columns, axis=-1)
    y = g.op("Add", g.op("Unsqueeze", level_, g.constant([2])), g.op("Mul", g.op("Unsqueeze", spread_, g.constant([2])), q))
    g.output(g.op("Exp", y) if model.log else y, "quantiles", f64, ["batch", model.horizon, quantile_count])
    return g


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


def clips_classifier(model) -> Graph:
    """``SequenceClassifier`` of clips: ``clips [T, B, C, H, W]`` uint8 (padded, frames letterboxed
    to the model's size) and ``lengths [B]`` int64 -> ``logits`` and ``probabilities``: each frame
    (with ``deltas``, and its difference from the frame before) through the CNN, then the steps."""
    g = Graph("clips_classifier")
    clips, lengths = _clip_inputs(g, model.cnn, model.cnn.in_channels // (2 if model.deltas else 1))

    def encode(frames):
        vectors, _ = image_encoder(g, model.cnn, frames, regions=False)
        return g.node("Add", [g.node("MatMul", [vectors, g.constant(model.vectors.project.weight.t(), "project")])[0],
                              g.constant(model.vectors.project.bias, "project_bias")])[0]

    _classify(g, model, _frame_steps(g, model.cnn, clips, lengths, model.deltas, encode,
                                     model.classifier.weight.dtype), lengths)
    return g


def tracker(model) -> Graph:
    """``Tracker``: ``clips [T, B, C, H, W]`` uint8 (padded) and ``lengths [B]`` int64 -> ``positions
    [T, B, K + 1, 2]``: at each frame, where the object is and where it will be at the next K
    frames, in [-1, 1].  Each frame's features: the CNN's summary and its keypoints (for each
    channel, the mean coordinates under the softmax of its features over the regions)."""
    dtype, K = model.head.weight.dtype, model.horizon
    g = Graph("tracker")
    clips, lengths = _clip_inputs(g, model.cnn, model.cnn.in_channels)

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

    x = _frame_steps(g, model.cnn, clips, lengths, False, encode, dtype)
    states, _ = recurrent(g, model.rnn, x, lengths)
    out = g.node("Add", [g.node("MatMul", [states, g.constant(model.head.weight.t(), "head")])[0],
                         g.constant(model.head.bias, "head_bias")])[0]
    out = g.node("Reshape", [out, g.constant([0, 0, K + 1, 2])])[0]
    now = g.node("Slice", [out, g.constant([0]), g.constant([1]), g.constant([2])])[0]
    later = g.node("Slice", [out, g.constant([1]), g.constant([K + 1]), g.constant([2])])[0]
    g.output(g.node("Concat", [now, g.node("Add", [now, later])[0]], axis=2)[0], "positions", dtype,
             ["steps", "batch", K + 1, 2])
    return g


def _clip_inputs(g: Graph, cnn, channels: int) -> tuple[str, str]:
    clips = g.input("clips", torch.uint8, ["steps", "batch", channels, cnn.height, cnn.width])
    return clips, g.input("lengths", torch.int64, ["batch"])


def _frame_steps(g: Graph, cnn, clips: str, lengths: str, deltas: bool, encode, dtype) -> str:
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
