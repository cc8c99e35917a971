"""Recurrent layers as ONNX graphs, for running without Python (onnxruntime and the like).

``rnnkit.RNN``, ``LSTM`` and ``GRU`` map to ONNX's own RNN, LSTM and GRU operators, one per
layer, both directions in one operator, with ``sequence_lens`` for variable lengths: past its
length a sequence's output is zero and its final state is the one at its last step, as in
rnnkit, so padded batches need no packing.  The weights are torch.nn's, with the gate blocks
reordered to ONNX's (LSTM ``i f g o -> i o f c``; GRU ``r z n -> z r h``).  torch's GRU (the
reset gate after the recurrent product, ``reset="after"``) is ``linear_before_reset=1``; Cho et
al.'s (``reset="before"``) is ``linear_before_reset=0``.  The LayerNorm LSTM has no ONNX
operator: it runs as an explicit loop, ONNX's ``Scan`` over the steps with the cell's equations
in its body.

Needs the optional ``onnx`` package (``pip install rnnkit[export]``).
"""
from __future__ import annotations

from pathlib import Path

import torch

OPSET = 17
GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "gru_before": [1, 0, 2], "rnn_tanh": [0], "rnn_relu": [0]}
OPERATOR = {"lstm": "LSTM", "gru": "GRU", "gru_before": "GRU", "rnn_tanh": "RNN", "rnn_relu": "RNN"}


def onnx_package():
    """The onnx package, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError("exporting to ONNX needs the onnx package: pip install 'rnnkit[export]'") from None
    return onnx


class Graph:
    """An ONNX graph being written: weights become initializers, every value gets a fresh name."""

    def __init__(self, name: str = "rnnkit"):
        self.name, self.nodes, self.initializers, self.inputs, self.outputs, self._count = name, [], [], [], [], 0
        self._weights: dict[tuple, str] = {}     # a tensor used twice (tied weights) is stored once

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, value, hint: str = "const") -> str:
        """A tensor (or a list of ints, as int64) as an initializer; its name."""
        onnx = onnx_package()
        if not isinstance(value, torch.Tensor):
            value = torch.tensor(value, dtype=torch.int64)
        key = (value.data_ptr(), tuple(value.shape), tuple(value.stride()), value.dtype)
        if isinstance(value, torch.nn.Parameter) and key in self._weights:
            return self._weights[key]
        name = self.fresh(hint)
        self.initializers.append(onnx.numpy_helper.from_array(value.detach().cpu().contiguous().numpy(), name))
        if isinstance(value, torch.nn.Parameter):
            self._weights[key] = name
        return name

    def node(self, op: str, inputs: list[str], outputs: int = 1, **attributes) -> list[str]:
        """Add ``op`` on ``inputs`` ("" for an omitted optional input); the names of its outputs."""
        names = [self.fresh(op.lower()) for _ in range(outputs)]
        self.nodes.append(onnx_package().helper.make_node(op, inputs, names, **attributes))
        return names

    def op(self, op: str, *inputs: str, **attributes) -> str:
        """``node`` for an operator with one output: its name."""
        return self.node(op, list(inputs), **attributes)[0]

    def input(self, name: str, dtype: torch.dtype, shape: list) -> str:
        self.inputs.append(_value_info(name, dtype, shape))
        return name

    def output(self, value: str, name: str, dtype: torch.dtype, shape: list) -> None:
        self.nodes.append(onnx_package().helper.make_node("Identity", [value], [name]))
        self.outputs.append(_value_info(name, dtype, shape))

    def save(self, path) -> None:
        """The checked model, written atomically to ``path``."""
        from rnnkit.files import replace_atomic

        data = self.model().SerializeToString()
        replace_atomic(Path(path), lambda tmp: tmp.write_bytes(data))

    def model(self):
        onnx = onnx_package()
        graph = onnx.helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                       producer_name="rnnkit")
        onnx.checker.check_model(model)
        return model


def element_type(dtype: torch.dtype) -> int:
    """ONNX's number for a torch dtype."""
    onnx = onnx_package()
    return {torch.float32: onnx.TensorProto.FLOAT, torch.float64: onnx.TensorProto.DOUBLE,
            torch.int64: onnx.TensorProto.INT64, torch.int32: onnx.TensorProto.INT32,
            torch.bool: onnx.TensorProto.BOOL, torch.uint8: onnx.TensorProto.UINT8}[dtype]


def _value_info(name: str, dtype: torch.dtype, shape: list):
    return onnx_package().helper.make_tensor_value_info(name, element_type(dtype), shape)


def _reorder(weight: torch.Tensor, cell: str, H: int) -> torch.Tensor:
    return torch.cat([weight[k * H : (k + 1) * H] for k in GATE_ORDER[cell]])


def recurrent(graph: Graph, layer, x: str, lengths: str | None = None, states: tuple[str, ...] | None = None):
    """Add ``layer`` (``rnnkit.RNN``, ``LSTM`` or ``GRU``, time-major) to ``graph``: ``x`` names the
    input ``[T, B, D]``, ``lengths`` an integer ``[B]`` (or None: every sequence is whole), ``states``
    the initial ``h`` (and ``c``) ``[layers * directions, B, H]`` (or None: zeros).  Returns the names
    of the output ``[T, B, H * directions]`` (``H`` for ``merge="sum"``) and of the final states."""
    cell = layer.cell.name
    if cell not in OPERATOR and cell != "lstm_ln":
        raise ValueError(f"the {cell} cell has no ONNX operator and no loop of its own here")
    H, directions = layer.hidden_size, 2 if layer.bidirectional else 1
    finals = [[] for _ in range(layer.cell.num_states)]
    mask = _time_mask(graph, x, lengths) if cell == "lstm_ln" else None
    if lengths is not None:                                     # the operators' sequence_lens are int32
        lengths = graph.op("Cast", lengths, to=element_type(torch.int32))
    for index in range(layer.num_layers):
        ks = [index * directions + d for d in range(directions)]
        params = [layer.layer_params(k) for k in ks]
        if cell == "lstm_ln":                                   # no operator: ONNX's Scan over the steps
            starts = [[graph.node("Slice", [s, graph.constant([k]), graph.constant([k + 1]), graph.constant([0])])[0]
                       for s in states] if states is not None else None for k in ks]
            runs = [_layer_norm_lstm(graph, p, x, mask, start, reverse=d == 1, H=H)
                    for d, (p, start) in enumerate(zip(params, starts))]
            for k, found in enumerate(finals):
                found += [r[1][k] for r in runs]
            x = runs[0][0] if directions == 1 else (graph.node("Add", [runs[0][0], runs[1][0]])[0]
                                                    if layer.merge == "sum" else
                                                    graph.node("Concat", [runs[0][0], runs[1][0]], axis=2)[0])
            continue
        W = torch.stack([_reorder(p["weight_ih"], cell, H) for p in params])
        R = torch.stack([_reorder(p["weight_hh"], cell, H) for p in params])
        zeros = torch.zeros(W.shape[1], dtype=W.dtype)
        B = torch.stack([torch.cat([_reorder(p.get("bias_ih", zeros), cell, H), _reorder(p.get("bias_hh", zeros), cell, H)])
                         for p in params])
        inputs = [x, graph.constant(W, "W"), graph.constant(R, "R"), graph.constant(B, "B"), lengths or ""]
        if states is not None:
            first, last = graph.constant([ks[0]]), graph.constant([ks[-1] + 1])
            inputs += [graph.node("Slice", [s, first, last, graph.constant([0])])[0] for s in states]
        attributes = {"hidden_size": H, "direction": "bidirectional" if directions == 2 else "forward"}
        if cell in ("gru", "gru_before"):
            attributes["linear_before_reset"] = int(cell == "gru")
        if cell.startswith("rnn_"):
            attributes["activations"] = ["Tanh" if cell == "rnn_tanh" else "Relu"] * directions
        y, *layer_finals = graph.node(OPERATOR[cell], inputs, outputs=1 + layer.cell.num_states, **attributes)
        for found, final in zip(finals, layer_finals):
            found.append(final)
        if layer.merge == "sum" and directions == 2:
            x = graph.node("ReduceSum", [y, graph.constant([1])], keepdims=0)[0]
        else:                                                   # [T, dirs, B, H] -> [T, B, dirs * H]
            x = graph.node("Transpose", [y], perm=[0, 2, 1, 3])[0]
            x = graph.node("Reshape", [x, graph.constant([0, 0, -1])])[0]
    finals = [f[0] if len(f) == 1 else graph.node("Concat", f, axis=0)[0] for f in finals]
    return x, finals


def step_mask(graph: Graph, steps_first: str, lengths: str) -> str:
    """``[T, B]`` bool, true on the steps inside each sequence (``rnnkit.layers.pooling.step_mask``),
    ``T`` the first dimension of ``steps_first``, ``lengths [B]`` integers."""
    steps = graph.op("Gather", graph.op("Shape", steps_first), graph.constant(0), axis=0)
    positions = graph.op("Range", graph.constant(0), steps, graph.constant(1))
    return graph.op("Less", graph.op("Unsqueeze", positions, graph.constant([1])),
                    graph.op("Unsqueeze", graph.op("Cast", lengths, to=element_type(torch.int64)), graph.constant([0])))


def _time_mask(graph: Graph, x: str, lengths: str | None) -> str:
    """``[T, B, 1]`` bool, true on the steps inside each sequence (all of them without lengths)."""
    if lengths is None:
        shape = graph.op("Slice", graph.op("Shape", x), graph.constant([0]), graph.constant([2]))
        every = onnx_package().helper.make_tensor("true", element_type(torch.bool), [1], [True])
        return graph.op("Unsqueeze", graph.op("ConstantOfShape", shape, value=every), graph.constant([2]))
    return graph.op("Unsqueeze", step_mask(graph, x, lengths), graph.constant([2]))


def _layer_norm_lstm(graph: Graph, p: dict, x: str, mask: str, start, reverse: bool, H: int):
    """One direction of a LayerNorm LSTM layer (``rnnkit.cells.lstm``) as an ONNX Scan over the steps:
    ``LN(x W_ih^T)`` for all steps first, then per step ``a = that + LN(h W_hh^T) + b``, the gates,
    ``c = f c + i g``, ``h = o tanh(LN_c(c))``; a step past a sequence's end keeps the state and
    outputs zeros.  ``start``: the initial ``[h, c]`` names ``[1, B, H]`` (or None: zeros).
    Returns ``(output [T, B, H], [h_n, c_n] each [1, B, H])``."""
    from rnnkit.cells.lstm import LN_EPS

    onnx, dtype = onnx_package(), p["weight_hh"].dtype
    helper, element = onnx.helper, element_type(dtype)
    zeros = graph.constant(torch.zeros(4 * H, dtype=dtype), "zeros")
    ax = graph.node("MatMul", [x, graph.constant(p["weight_ih"].t(), "W")])[0]
    ax = graph.node("LayerNormalization", [ax, graph.constant(p["ln_ih_weight"], "ln_ih"), zeros], axis=-1,
                    epsilon=LN_EPS)[0]
    if start is None:
        batch = graph.node("Slice", [graph.node("Shape", [x])[0], graph.constant([1]), graph.constant([2])])[0]
        shape = graph.node("Concat", [batch, graph.constant([H])], axis=0)[0]
        h0 = c0 = graph.node("ConstantOfShape", [shape], value=helper.make_tensor("zero", element, [1], [0.0]))[0]
    else:
        h0, c0 = (graph.node("Squeeze", [s, graph.constant([0])])[0] for s in start)
    w_hh, ln_hh = graph.constant(p["weight_hh"].t(), "R"), graph.constant(p["ln_hh_weight"], "ln_hh")
    bias = graph.constant(p["bias_ih"] + p["bias_hh"] if "bias_ih" in p else torch.zeros(4 * H, dtype=dtype), "bias")
    ln_c, ln_c_bias = graph.constant(p["ln_cell_weight"], "ln_c"), graph.constant(p["ln_cell_bias"], "ln_c_bias")
    nothing, splits = graph.constant(torch.tensor(0.0, dtype=dtype)), graph.constant([H] * 4)
    body = [
        helper.make_node("MatMul", ["h_in", w_hh], ["ah"]),
        helper.make_node("LayerNormalization", ["ah", ln_hh, zeros], ["ah_norm"], axis=-1, epsilon=LN_EPS),
        helper.make_node("Add", ["ax_t", "ah_norm"], ["a0"]), helper.make_node("Add", ["a0", bias], ["a"]),
        helper.make_node("Split", ["a", splits], ["ai", "af", "ag", "ao"], axis=-1),
        helper.make_node("Sigmoid", ["ai"], ["i"]), helper.make_node("Sigmoid", ["af"], ["f"]),
        helper.make_node("Tanh", ["ag"], ["g"]), helper.make_node("Sigmoid", ["ao"], ["o"]),
        helper.make_node("Mul", ["f", "c_in"], ["fc"]), helper.make_node("Mul", ["i", "g"], ["ig"]),
        helper.make_node("Add", ["fc", "ig"], ["c_new"]),
        helper.make_node("LayerNormalization", ["c_new", ln_c, ln_c_bias], ["c_norm"], axis=-1, epsilon=LN_EPS),
        helper.make_node("Tanh", ["c_norm"], ["tanh_c"]), helper.make_node("Mul", ["o", "tanh_c"], ["h_new"]),
        helper.make_node("Where", ["m_t", "h_new", "h_in"], ["h_out"]),
        helper.make_node("Where", ["m_t", "c_new", "c_in"], ["c_out"]),
        helper.make_node("Where", ["m_t", "h_new", nothing], ["y_t"]),
    ]
    value = lambda name, width, kind=element: helper.make_tensor_value_info(name, kind, ["batch", width])  # noqa: E731
    step = helper.make_graph(body, "layer_norm_lstm_step",
                             [value("h_in", H), value("c_in", H), value("ax_t", 4 * H),
                              value("m_t", 1, element_type(torch.bool))],
                             [value("h_out", H), value("c_out", H), value("y_t", H)])
    h_n, c_n, y = graph.node("Scan", [h0, c0, ax, mask], outputs=3, body=step, num_scan_inputs=2,
                             scan_input_directions=[int(reverse)] * 2, scan_output_directions=[int(reverse)])
    return y, [graph.node("Unsqueeze", [s, graph.constant([0])])[0] for s in (h_n, c_n)]


def export_layer(layer, path=None, *, lengths: bool = True):
    """A recurrent layer on its own as an ONNX model: inputs ``input`` (as the layer takes it:
    ``[T, B, D]``, or ``[B, T, D]`` with ``batch_first``) and, with ``lengths``, ``lengths [B]``
    int64; outputs ``output``, ``h_n`` (and ``c_n``), with dynamic batch and steps.  Written to
    ``path`` when given; the ``onnx.ModelProto`` is returned."""
    dtype = next(layer.parameters()).dtype
    graph = Graph(type(layer).__name__)
    shape = ["batch", "steps", layer.input_size] if layer.batch_first else ["steps", "batch", layer.input_size]
    x = graph.input("input", dtype, shape)
    if layer.batch_first:
        x = graph.node("Transpose", [x], perm=[1, 0, 2])[0]
    y, finals = recurrent(graph, layer, x, graph.input("lengths", torch.int64, ["batch"]) if lengths else None)
    if layer.batch_first:
        y = graph.node("Transpose", [y], perm=[1, 0, 2])[0]
    width = layer.hidden_size * (2 if layer.bidirectional and layer.merge == "concat" else 1)
    graph.output(y, "output", dtype, ["batch", "steps", width] if layer.batch_first else ["steps", "batch", width])
    stacked = layer.num_layers * (2 if layer.bidirectional else 1)
    for final, name in zip(finals, ("h_n", "c_n")):
        graph.output(final, name, dtype, [stacked, "batch", layer.hidden_size])
    if path is not None:
        graph.save(path)
    return graph.model()
