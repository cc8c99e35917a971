"""The time loop as the registered operator ``torch.ops.rnnkit.recurrence``: torch's own operator
checks (schema, fake implementation, autograd, tracing), gradients through it, and
``torch.export`` seeing one operator per layer and direction."""
import pytest
import torch

import rnnkit
from rnnkit.engine import function
from tests.conftest import CELL_CONFIGS, cell_of, dropout_mask, random_params

T, B, D, H = 5, 3, 4, 6


def operator_args(name, bias=True, masked=False, dropped=False):
    cell = cell_of(name)
    p = random_params(cell, D, H, bias=bias)
    x = torch.randn(T, B, D, dtype=torch.float64)
    with torch.no_grad():
        xg, b_hh, extras = function._loop_inputs(cell, x, p)
    mask = None
    if masked:
        mask = torch.ones(T, B, 1, dtype=torch.bool)
        mask[3:, 1] = False
    drop = dropout_mask(B, H) if dropped else None
    states0 = [torch.randn(B, H, dtype=torch.float64, requires_grad=True) for _ in range(cell.num_states)]
    extras = [e.detach().requires_grad_() for e in extras]
    return (name, False, xg.requires_grad_(), p["weight_hh"].detach().requires_grad_(),
            None if b_hh is None else b_hh.detach().requires_grad_(), mask, drop, states0, extras)


@pytest.mark.parametrize("name", list(CELL_CONFIGS))
@pytest.mark.parametrize("masked,dropped", [(False, False), (True, True)], ids=["plain", "masked_dropped"])
def test_torch_operator_checks(name, masked, dropped):
    torch.library.opcheck(torch.ops.rnnkit.recurrence.default, operator_args(name, masked=masked, dropped=dropped))


@pytest.mark.parametrize("name", ["lstm_ln", "gru"])
def test_gradcheck_through_the_operator(name):
    args = operator_args(name, masked=True)
    head, tensors = args[:2], args[2:]

    def f(xg, w_hh, b_hh, *states_and_extras):
        n = len(args[7])
        out, finals = function.recurrence(*head, xg, w_hh, b_hh, args[5], args[6], list(states_and_extras[:n]),
                                          list(states_and_extras[n:]))
        return (out, *finals)

    inputs = (tensors[0], tensors[1], tensors[2], *tensors[5], *tensors[6])
    assert torch.autograd.gradcheck(f, inputs)


def test_under_a_tracer_the_layer_runs_the_operator_with_the_same_results(monkeypatch):
    torch.manual_seed(0)
    layer = rnnkit.GRU(D, H, num_layers=2, bidirectional=True, reset="before")
    x = torch.randn(T, B, D, requires_grad=True)
    lengths = torch.tensor([5, 2, 4])
    eager, h_eager = layer(x, lengths=lengths)
    eager_grads = torch.autograd.grad(eager.sum() + h_eager.sum(), [x, *layer.parameters()])
    calls = []
    real = function.recurrence
    monkeypatch.setattr(function, "recurrence", lambda *a: calls.append(a[0]) or real(*a))
    monkeypatch.setattr(function, "tracing", lambda: True)
    traced, h_traced = layer(x, lengths=lengths)
    traced_grads = torch.autograd.grad(traced.sum() + h_traced.sum(), [x, *layer.parameters()])
    assert calls == ["gru_before"] * 4
    assert torch.equal(eager, traced) and torch.equal(h_eager, h_traced)
    for a, b in zip(eager_grads, traced_grads, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_export_sees_one_operator_per_layer_and_direction():
    class Tagger(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnnkit.LSTM(D, H, num_layers=2, bidirectional=True, layer_norm=True)

        def forward(self, x):
            return self.rnn(x)[0]

    torch.manual_seed(0)
    model = Tagger().eval()
    x = torch.randn(T, B, D)
    program = torch.export.export(model, (x,))
    ops = [n.target for n in program.graph.nodes if n.op == "call_function" and "rnnkit" in str(n.target)]
    assert ops == [torch.ops.rnnkit.recurrence.default] * 4
    torch.testing.assert_close(program.module()(x), model(x))


@pytest.mark.parametrize("make", [
    lambda: rnnkit.LSTM(D, H, num_layers=2, bidirectional=True), lambda: rnnkit.LSTM(D, H, layer_norm=True),
    lambda: rnnkit.GRU(D, H), lambda: rnnkit.GRU(D, H, reset="before", batch_first=True),
    lambda: rnnkit.RNN(D, H, nonlinearity="relu")], ids=["lstm", "lstm_ln", "gru", "gru_before", "rnn_relu"])
def test_export_with_dynamic_batch_steps_and_lengths(make):
    """One program for every batch size and length: padded batches, checked lengths skipped only
    while tracing."""
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = make()

        def forward(self, x, lengths):
            return self.rnn(x, lengths=lengths)

    torch.manual_seed(0)
    model = Model().eval()
    first = model.rnn.batch_first
    steps, batch = torch.export.Dim("steps", min=2, max=512), torch.export.Dim("batch", min=2, max=512)
    shape = {1: steps, 0: batch} if first else {0: steps, 1: batch}
    example = torch.randn(3, 6, D) if first else torch.randn(6, 3, D)
    program = torch.export.export(model, (example, torch.tensor([6, 2, 4])),
                                  dynamic_shapes={"x": shape, "lengths": {0: batch}})
    for T_, lengths in ((9, [9, 3, 1, 5, 2]), (2, [2, 1])):
        x = torch.randn(len(lengths), T_, D) if first else torch.randn(T_, len(lengths), D)
        lengths = torch.tensor(lengths)
        ours, theirs = program.module()(x, lengths), model(x, lengths)
        for a, b in zip(torch.utils._pytree.tree_leaves(ours), torch.utils._pytree.tree_leaves(theirs)):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
