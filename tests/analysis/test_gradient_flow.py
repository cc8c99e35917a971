"""Gradient flow over time against the plain autograd loop of the same equations and against
hand-computed cases; the step Jacobians and their bound; the scalar example."""
import math

import pytest
import torch

from rnnkit.analysis import (autograd_gradient, closed_form_gradient, elman_bound, gradient_flow, jacobian_norms,
                             last_state_loss, step_jacobians)
from rnnkit.analysis.gradient_flow import fresh_inputs, fresh_layer
from rnnkit.engine.oracle import _step
from rnnkit.layers import Recurrent

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_ln", "gru", "gru_before"]


@pytest.mark.parametrize("w", [0.5, 0.9, 1.0, 1.1, -1.2])
@pytest.mark.parametrize("T", [1, 5, 30])
def test_the_scalar_example_matches_autograd(w, T):
    assert math.isclose(autograd_gradient(w, T, h0=0.7), closed_form_gradient(w, T, h0=0.7), rel_tol=1e-12)


def reference_state_gradients(layer, x, lengths=None):
    """dL/dh_k of every layer and direction by the plain per-step autograd loop (engine.oracle's
    equations), each state retained."""
    T, B = x.shape[:2]
    mask = None if lengths is None else (torch.arange(T)[:, None] < lengths[None, :])[..., None]
    directions = 2 if layer.bidirectional else 1
    kept, inputs = [], x
    for number in range(layer.num_layers):
        outs = []
        for d in range(directions):
            params = layer.layer_params(number * directions + d)
            state = tuple(x.new_zeros(B, layer.hidden_size) for _ in range(layer.cell.num_states))
            row = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                new = _step(layer.cell.name, inputs[t], state[0], state, params)
                if mask is not None:
                    new = tuple(torch.where(mask[t], n, s) for n, s in zip(new, state))
                new[0].retain_grad()
                state, row[t] = new, new[0]
            kept.append(row)
            outs.append(torch.stack([h if mask is None else h * mask[t] for t, h in enumerate(row)]))
        inputs = outs[0] if directions == 1 else torch.cat(outs, -1)
    last_state_loss(inputs, lengths).backward()
    return torch.stack([torch.stack([h.grad.norm(dim=-1).mean() for h in row]) for row in kept])


@pytest.mark.parametrize("cell", CELLS)
def test_gradient_flow_equals_the_plain_autograd_loop(cell):
    torch.manual_seed(0)
    layer = Recurrent(cell, 3, 5, num_layers=2, bidirectional=True, dtype=torch.float64)
    x = torch.randn(7, 4, 3, dtype=torch.float64)
    lengths = torch.tensor([7, 5, 2, 7])
    flow = gradient_flow(layer, x, lengths=lengths)
    assert flow.rows == ["layer 1 forward", "layer 1 backward", "layer 2 forward", "layer 2 backward"]
    torch.testing.assert_close(flow.norms, reference_state_gradients(layer, x, lengths), rtol=1e-10, atol=1e-12)
    assert flow.top_forward == 2


def test_a_one_unit_tanh_rnn_by_hand():
    """h_t = tanh(w h_(t-1) + u x_t): dL/dh_k = h_T prod_(j=k+1..T) (1 - h_j^2) w, with L = h_T^2 / 2."""
    layer = Recurrent("rnn_tanh", 1, 1, bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight_hh_l0.fill_(0.8)
        layer.weight_ih_l0.fill_(0.5)
    x = torch.tensor([0.3, -1.0, 2.0, 0.1, 0.7], dtype=torch.float64).view(5, 1, 1)
    h, states = 0.0, []
    for v in x.flatten().tolist():
        h = math.tanh(0.8 * h + 0.5 * v)
        states.append(h)
    expected = [states[-1] * math.prod((1 - states[j] ** 2) * 0.8 for j in range(k + 1, 5)) for k in range(5)]
    flow = gradient_flow(layer, x)
    torch.testing.assert_close(flow.norms[0], torch.tensor(expected, dtype=torch.float64).abs(), rtol=1e-12, atol=0)
    assert math.isclose(flow.ratio(), abs(expected[0] / expected[-1]))


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru_before"])
def test_step_jacobians_are_the_autograd_jacobians_of_one_step(cell):
    torch.manual_seed(1)
    layer = Recurrent(cell, 3, 4, dtype=torch.float64)
    x = torch.randn(3, 2, 3, dtype=torch.float64)
    J = step_jacobians(layer, x)
    params, n = layer.layer_params(0), layer.cell.num_states
    state = tuple(torch.zeros(2, 4, dtype=torch.float64) for _ in range(n))
    for t in range(3):
        for b in range(2):
            def step(flat, t=t, b=b):
                parts = tuple(p[None] for p in flat.split(4))
                return torch.cat(_step(cell, x[t, b : b + 1], parts[0], parts, params), -1)[0]
            expected = torch.autograd.functional.jacobian(step, torch.cat([s[b] for s in state]))
            torch.testing.assert_close(J[t, b], expected, rtol=1e-10, atol=1e-12)
        state = _step(cell, x[t], state[0], state, params)


def test_the_jacobian_product_keeps_under_the_lecture_bound_and_tanh_matches_its_formula():
    layer = fresh_layer("rnn", seed=0, hidden=16, inputs=4)
    x = fresh_inputs(12, seed=0, batch=3, inputs=4)
    norms, bound = jacobian_norms(layer, x), elman_bound(layer, 12)
    assert norms[-1] == pytest.approx(1.0) and bound[-1] == 1.0
    assert bool((norms <= bound * (1 + 1e-9)).all())
    J = step_jacobians(layer, x)
    w = layer.weight_hh_l0.detach()
    out, _ = layer(x)
    torch.testing.assert_close(J[5, 1], (1 - out[5, 1] ** 2)[:, None] * w)   # diag(1 - h_t^2) W_hh
    assert elman_bound(fresh_layer("gru", hidden=4, inputs=4), 3) is None


def test_fresh_cells_follow_the_documented_set_up():
    irnn, lstm = fresh_layer("irnn"), fresh_layer("lstm")
    assert irnn.cell.name == "rnn_relu" and torch.equal(irnn.weight_hh_l0, torch.eye(128, dtype=torch.float64))
    assert irnn.bias_ih_l0.abs().sum() == 0 and irnn.weight_ih_l0.dtype == torch.float64
    forget = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[128:256]
    assert torch.equal(forget, torch.ones(128, dtype=torch.float64))
    assert fresh_inputs(5).shape == (5, 32, 32) and torch.equal(fresh_inputs(5, seed=3), fresh_inputs(5, seed=3))
    # the lecture's picture: a tanh RNN forgets far faster than an LSTM with its forget bias at 1
    tanh_ratio = gradient_flow(fresh_layer("rnn"), fresh_inputs(60)).ratio()
    lstm_ratio = gradient_flow(lstm, fresh_inputs(60)).ratio()
    assert tanh_ratio < 1e-3 * lstm_ratio
