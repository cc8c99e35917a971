"""ONNX graph of a forecaster: windows of the past in, the quantiles of the next values out."""
from __future__ import annotations

import math

import torch

from rnnkit.layers.onnx import Graph, element_type, recurrent


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
