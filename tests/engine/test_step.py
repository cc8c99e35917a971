"""The lean step (``rnnkit.engine.step``, ``RNNBase.step``): equal to the layer's forward on one
step, with and without autograd, on both loops; gradients by gradcheck; stale weights noticed."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

import rnnkit
from rnnkit.layers import Recurrent
from rnnkit.engine import native, oracle
from rnnkit.engine.step import StepWeights, step
from rnnkit.models import LanguageModel
from tests.conftest import CELL_CONFIGS, cell_of, dropout_mask, random_params


def _states(cell, B, H, dtype=torch.float64, grad=False):
    return tuple(torch.randn(B, H, dtype=dtype, requires_grad=grad) for _ in range(cell.num_states))


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("B", [1, 3])
@pytest.mark.parametrize("with_drop", [False, True], ids=["nodrop", "recdrop"])
def test_step_without_autograd_equals_the_reference_loop(name, B, with_drop, loop_impl):
    cell = cell_of(name)
    D, H = 5, 6
    p = random_params(cell, D, H)
    x, s0 = torch.randn(B, D, dtype=torch.float64), _states(cell, B, H)
    drop = dropout_mask(B, H) if with_drop else None
    with torch.no_grad():
        got = step(x, StepWeights(cell, p), s0, drop=drop)
        _, want = oracle.run(name, x[None], p, s0, drop=drop)
    assert len(got) == cell.num_states
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("projected", [False, True], ids=["input", "projected"])
def test_step_gradients_by_gradcheck(name, projected, loop_impl):
    cell = cell_of(name)
    B, D, H = 2, 3, 2
    p = {k: v.requires_grad_() for k, v in random_params(cell, D, H).items()}
    weights = StepWeights(cell, p)
    x = torch.randn(B, D, dtype=torch.float64)
    if projected:
        x = cell.project_input(x[None], p)[0].detach()
    x.requires_grad_()
    s0 = _states(cell, B, H, grad=True)
    drop = dropout_mask(B, H)

    def f(x, *rest):
        return step(x, weights, rest[: cell.num_states], projected=projected, drop=drop)

    assert gradcheck(f, (x, *s0, *p.values()))


def _layer_outputs(layer, x, hx, use_step):
    if use_step:
        return layer.step(x, hx)
    out, h = layer(x[None], hx)
    return out[0], h


def flat(result):
    out, h = result
    return [out, *(h if isinstance(h, tuple) else (h,))]


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("shape", [dict(num_layers=2), dict(num_layers=2, bidirectional=True),
                                   dict(bidirectional=True, merge="sum")], ids=["stacked", "bidirectional", "sum"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("B", [1, 4])
def test_layer_step_equals_forward_on_one_step(name, shape, dtype, B):
    torch.manual_seed(0)
    layer = Recurrent(name, 5, 6, dtype=dtype, **shape)
    rows = layer.num_layers * (2 if layer.bidirectional else 1)
    hx = tuple(torch.randn(rows, B, 6, dtype=dtype, requires_grad=True) for _ in range(layer.cell.num_states))
    hx = hx if len(hx) == 2 else hx[0]
    x = torch.randn(B, 5, dtype=dtype, requires_grad=True)
    tol = dict(atol=1e-5, rtol=1e-4) if dtype == torch.float32 else dict(atol=1e-12, rtol=1e-10)
    with torch.no_grad():
        for got, want in zip(flat(_layer_outputs(layer, x, hx, True)), flat(_layer_outputs(layer, x, hx, False))):
            torch.testing.assert_close(got, want, **tol)
    inputs = [x, *(hx if isinstance(hx, tuple) else (hx,)), *layer.parameters()]
    grads = []
    for use_step in (True, False):
        outs = flat(_layer_outputs(layer, x, hx, use_step))
        loss = sum((o * torch.linspace(-1, 1, o.numel(), dtype=dtype).view_as(o)).sum() for o in outs)
        grads.append(torch.autograd.grad(loss, inputs))
    for got, want in zip(*grads):
        torch.testing.assert_close(got, want, **tol)


def test_layer_step_takes_a_projected_input():
    torch.manual_seed(0)
    layer = rnnkit.LSTM(5, 6, bidirectional=True).eval()
    x = torch.randn(3, 5)
    projected = torch.cat([F.linear(x, getattr(layer, f"weight_ih_l0{s}"),
                                    getattr(layer, f"bias_ih_l0{s}") + getattr(layer, f"bias_hh_l0{s}"))
                           for s in ("", "_reverse")], -1)
    with torch.no_grad():
        want = flat(layer.step(x))
        got = flat(layer.step(projected, projected=True))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-4)


def test_layer_step_checks_its_input():
    layer = rnnkit.GRU(5, 6)
    with pytest.raises(ValueError, match=r"expected input of shape \[batch, 5\], got \[3, 4\]"):
        layer.step(torch.randn(3, 4))
    with pytest.raises(ValueError, match=r"\[batch, 18\]"):
        layer.step(torch.randn(3, 5), projected=True)
    with pytest.raises(ValueError, match="h_0 of shape"):
        layer.step(torch.randn(3, 5), torch.zeros(1, 2, 6))


def test_changed_weights_are_noticed():
    """An optimizer step, load_state_dict and .to() all reach the next step without autograd."""
    torch.manual_seed(0)
    layer = rnnkit.LSTM(4, 5, num_layers=2)
    x = torch.randn(2, 4)

    def agree():
        with torch.no_grad():
            for got, want in zip(flat(layer.step(x.to(layer.weight_hh_l0.dtype))),
                                 flat(_layer_outputs(layer, x.to(layer.weight_hh_l0.dtype), None, False))):
                torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)

    agree()
    before = layer.step(x)[0].detach()
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
    layer.step(x)[0].sum().backward()
    optimizer.step()
    agree()
    assert not torch.allclose(layer.step(x)[0].detach(), before)
    layer.load_state_dict({k: torch.randn_like(v) for k, v in layer.state_dict().items()})
    agree()
    with torch.no_grad():
        layer.bias_hh_l1.add_(1.0)      # in place, as an optimizer does
    agree()
    layer.double()
    agree()
    layer.requires_grad_(False)                            # prepared while frozen, then trained again
    with torch.no_grad():
        layer.bias_ih_l0.add_(0.1)
    layer.step(x.double())
    layer.requires_grad_(True)
    layer.zero_grad()
    layer.step(x.double())[0].sum().backward()
    assert layer.weight_ih_l0.grad.abs().sum() > 0


@pytest.mark.parametrize("shape", [(1, 37, 13), (1, 2048, 512), (1, 65, 512), (2, 9, 7)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_one_row_products_match_torch(shape, dtype):
    if native.get() is None:
        pytest.skip("the C++ extension is disabled or could not be built")
    M, N, K = shape
    a, w, b = torch.randn(M, K, dtype=dtype), torch.randn(N, K, dtype=dtype), torch.randn(N, dtype=dtype)
    tol = dict(atol=1e-4, rtol=1e-4) if dtype == torch.float32 else dict(atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(native.get().mm_nt(a, w), a @ w.t(), **tol)
    torch.testing.assert_close(native.get().affine(a, w, b), F.linear(a, w, b), **tol)


@pytest.mark.parametrize("cell", ["lstm", "gru", "lstm_ln"])
def test_language_model_step_equals_forward(cell):
    torch.manual_seed(0)
    model = LanguageModel(11, embedding_dim=6, hidden_size=8, num_layers=2, cell=cell).eval()
    tokens = torch.randint(0, 11, (5, 3))
    with torch.no_grad():
        want, want_state = model(tokens)
        state, got = None, []
        for token in tokens:
            logits, state = model.step(token, state)
            got.append(logits)
        assert model.input_table() is not None
    torch.testing.assert_close(torch.stack(got), want, atol=1e-5, rtol=1e-4)
    for g, w in zip(state if isinstance(state, tuple) else (state,),
                    want_state if isinstance(want_state, tuple) else (want_state,)):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-4)


def test_language_model_table_follows_the_weights():
    torch.manual_seed(0)
    model = LanguageModel(7, embedding_dim=4, hidden_size=5).eval()
    token = torch.tensor([3])
    with torch.no_grad():
        first = model.step(token)[0]
        model.embedding.weight[3].add_(1.0)
        second = model.step(token)[0]
        torch.testing.assert_close(second, model(token[None])[0][0], atol=1e-6, rtol=1e-5)
    assert not torch.allclose(first, second)
    model.train()
    assert model.input_table() is None                 # dropout and gradients need the embedding itself
    logits, _ = model.step(token)
    logits.sum().backward()
    assert model.embedding.weight.grad[3].abs().sum() > 0


def test_initial_state_is_zeros_of_the_layers():
    model = LanguageModel(7, embedding_dim=4, hidden_size=5, num_layers=2)
    h, c = model.initial_state(3)
    assert h.shape == c.shape == (2, 3, 5) and not h.any() and not c.any()
    with torch.no_grad():
        torch.testing.assert_close(model.step(torch.tensor([1, 2, 3]), (h, c))[0],
                                   model.step(torch.tensor([1, 2, 3]))[0])
