"""The C++ loop and the engine's matrix products in float32 (oneDNN where torch has it)."""
import os

import pytest
import torch
import torch.nn.functional as F

import rnnkit
from rnnkit import engine
from rnnkit.engine import native, projection
from tests.conftest import CELL_CONFIGS, cell_of, dropout_mask, random_params



@pytest.fixture(autouse=True)
def require_native():
    if os.environ.get("RNNKIT_NATIVE") == "0":
        pytest.skip("RNNKIT_NATIVE=0 disables the C++ loop")
    assert native.get() is not None, "the C++ time loop failed to build"


def _run(cell, x, p, s0, **kw):
    out, finals = engine.run(cell, x, p, s0, **kw)
    grads = torch.autograd.grad(out.pow(2).sum() + sum(f.sum() for f in finals), [x, *p.values(), *s0])
    return [out, *finals, *grads]


@pytest.mark.parametrize("name", CELL_CONFIGS)
@pytest.mark.parametrize("size", [(6, 5, 7, 9), (4, 32, 64, 256)], ids=["tiny", "onednn"])
def test_float32_native_matches_python_loop(name, size):
    T, B, D, H = size
    cell = cell_of(name)
    p = random_params(cell, D, H, dtype=torch.float32, scale=0.2)
    x = torch.randn(T, B, D, requires_grad=True)
    s0 = tuple(torch.randn(B, H, requires_grad=True) for _ in range(cell.num_states))
    kw = dict(mask=engine.lengths_to_mask(torch.randint(0, T + 1, (B,)), T),
              drop=dropout_mask(B, H, dtype=torch.float32), reverse=True)
    got = _run(cell, x, p, s0, **kw)
    with native.disabled():
        want = _run(cell, x, p, s0, **kw)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=5e-5 * max(1.0, w.abs().max().item()), rtol=1e-4)


@pytest.mark.parametrize("shape", [(7, 3, 5), (50, 32, 128)])
def test_projection_matches_f_linear(shape):
    x = torch.randn(*shape, requires_grad=True)
    w = torch.randn(64, shape[-1], requires_grad=True)
    b = torch.randn(64, requires_grad=True)
    y = projection.linear(x, w, b)
    y_ref = F.linear(x, w, b)
    torch.testing.assert_close(y, y_ref, atol=1e-4, rtol=1e-4)
    g = torch.randn_like(y)
    for a, r in zip(torch.autograd.grad(y, [x, w, b], g), torch.autograd.grad(y_ref, [x, w, b], g)):
        torch.testing.assert_close(a, r, atol=1e-3, rtol=1e-4)


def test_failed_build_falls_back_to_the_python_loop(monkeypatch):
    def broken():
        raise RuntimeError("no compiler")
    monkeypatch.setattr(native.LOOP, "_build", broken)
    monkeypatch.setattr(native.LOOP, "module", None)
    monkeypatch.setattr(native.LOOP, "failed", False)
    with pytest.warns(UserWarning, match="could not be built.*no compiler.*Python loop"):
        assert native.get() is None
    x = torch.randn(5, 2, 3)
    assert not native.usable(x)
    lstm = rnnkit.LSTM(3, 4, backend="engine")
    out, _ = lstm(x)
    assert out.shape == (5, 2, 4)
