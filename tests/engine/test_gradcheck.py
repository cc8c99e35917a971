"""Finite-difference checks (float64) of the hand-derived BPTT of every cell family."""
import pytest
import torch
from torch.autograd import gradcheck

from rnnkit import engine
from rnnkit.engine import Recurrence
from tests.conftest import CELL_CONFIGS, cell_of, dropout_mask, random_params

T, B, D, H = 4, 3, 3, 2
LENGTHS = torch.tensor([4, 2, 0])


def _inputs(name, with_mask, with_drop, with_h0):
    cell = cell_of(name)
    p = random_params(cell, D, H)
    x = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    states0 = tuple((torch.randn(B, H, dtype=torch.float64) if with_h0 else torch.zeros(B, H, dtype=torch.float64))
                    .requires_grad_(with_h0) for _ in range(cell.num_states))
    mask = engine.lengths_to_mask(LENGTHS, T) if with_mask else None
    drop = dropout_mask(B, H) if with_drop else None
    return cell, p, x, states0, mask, drop


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("with_mask", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("with_drop", [False, True], ids=["nodrop", "recdrop"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_recurrence_function(name, with_mask, with_drop, reverse, loop_impl):
    """The autograd Function itself: gradients of xg, W_hh, b_hh, initial states, extras."""
    cell, p, x, states0, mask, drop = _inputs(name, with_mask, with_drop, with_h0=True)
    with torch.no_grad():
        xg = cell.project_input(x, p)
    xg.requires_grad_()
    b_hh = None if cell.folds_recurrent_bias else p["bias_hh"]
    extras = [p[n] for n in cell.recurrent_extras]

    def f(xg, w_hh, *rest):
        return Recurrence.apply(cell, reverse, xg, w_hh, b_hh, mask, drop, *rest)

    assert gradcheck(f, (xg, p["weight_hh"], *states0, *extras), eps=1e-6, atol=1e-7)
    if b_hh is not None:
        assert gradcheck(lambda b: Recurrence.apply(cell, reverse, xg, p["weight_hh"], b, mask, drop, *states0, *extras),
                         (b_hh,), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("with_mask", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["zero_h0", "h0"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_run_all_parameters(name, with_mask, with_h0, bias, loop_impl):
    """engine.run end to end: input, every parameter (torch.nn's and the cell's extras), h0."""
    cell, p, x, states0, mask, drop = _inputs(name, with_mask, False, with_h0)
    if not bias:
        p = {k: v for k, v in p.items() if not k.startswith("bias_")}
    names = list(p)
    leaves = [x, *p.values(), *(s for s in states0 if s.requires_grad)]

    def f(x, *rest):
        params = dict(zip(names, rest[: len(names)]))
        s0 = rest[len(names):] or states0
        out, finals = engine.run(cell, x, params, s0, mask=mask)
        return (out, *finals)

    assert gradcheck(f, tuple(leaves), eps=1e-6, atol=1e-7)
