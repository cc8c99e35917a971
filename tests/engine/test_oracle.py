"""The engine against the plain per-step autograd loop of the same equations (float64, 1e-10)."""
import pytest
import torch

from rnnkit import engine
from rnnkit.engine import oracle
from tests.conftest import CELL_CONFIGS, cell_of, dropout_mask, random_params

T, B, D, H = 9, 5, 6, 7
TOL = 1e-10


def _loss_and_grads(runner, x, p, states0, **kw):
    out, finals = runner(x, p, states0, **kw)
    gen = torch.Generator().manual_seed(1)
    weights = [torch.randn(out.shape, generator=gen, dtype=out.dtype)] + \
              [torch.randn(f.shape, generator=gen, dtype=f.dtype) for f in finals]
    loss = (out * weights[0]).sum() + sum((f * w).sum() for f, w in zip(finals, weights[1:]))
    leaves = [x, *p.values(), *states0]
    return (out, *finals), torch.autograd.grad(loss, leaves)


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("with_mask", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("with_drop", [False, True], ids=["nodrop", "recdrop"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_engine_matches_oracle(name, with_mask, with_drop, reverse, loop_impl):
    cell = cell_of(name)
    p = random_params(cell, D, H)
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    states0 = tuple(torch.randn(B, H, dtype=torch.float64, requires_grad=True) for _ in range(cell.num_states))
    kw = dict(mask=engine.lengths_to_mask(torch.tensor([9, 4, 1, 0, 7]), T) if with_mask else None,
              drop=dropout_mask(B, H) if with_drop else None, reverse=reverse)
    got, got_grads = _loss_and_grads(lambda *a, **k: engine.run(cell, *a, **k), x, p, states0, **kw)
    want, want_grads = _loss_and_grads(lambda *a, **k: oracle.run(name, *a, **k), x, p, states0, **kw)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=TOL, rtol=0)
    names = ["x", *p, *[f"state0_{i}" for i in range(len(states0))]]
    for n, g, w in zip(names, got_grads, want_grads):
        torch.testing.assert_close(g, w, atol=TOL, rtol=0, msg=lambda m: f"gradient of {n}: {m}")


@pytest.mark.parametrize("name", CELL_CONFIGS)
def test_padding_does_not_leak(name, loop_impl):
    """Whatever sits in the padded steps changes neither the outputs nor h_n nor any gradient."""
    cell = cell_of(name)
    p = random_params(cell, D, H)
    lengths = torch.tensor([9, 3, 5, 1, 6])
    mask = engine.lengths_to_mask(lengths, T)
    x1 = torch.randn(T, B, D, dtype=torch.float64)
    x2 = torch.where(mask, x1, torch.randn_like(x1) * 100)
    results = []
    for x in (x1, x2):
        x = x.clone().requires_grad_()
        out, finals = engine.run(cell, x, p, tuple(torch.zeros(B, H, dtype=torch.float64) for _ in range(cell.num_states)),
                                 mask=mask, reverse=True)
        grads = torch.autograd.grad(out.sum() + sum(f.sum() for f in finals), [x, *p.values()])
        results.append((out, *finals, grads[0] * mask, *grads[1:]))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, atol=TOL, rtol=0)
    assert (results[0][0] * ~mask == 0).all()
