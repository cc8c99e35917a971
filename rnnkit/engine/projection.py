"""The input projection of all steps at once, ``x W^T + b``, on the engine's matrix products.

Same maths as ``F.linear``; for float32 on the CPU the products (``x W^T``, ``dy W`` and
``dy^T x``) go through the C++ module's oneDNN path, about twice as fast as torch's default
matmul on AMD CPUs.  Everywhere else, and under torch.export or torch.compile (which cannot see
into the C++ module), it is ``F.linear``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from rnnkit.engine import native
from rnnkit.engine.tracing import tracing


class _Linear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = native.get().mm_nt(x.reshape(-1, x.shape[-1]), weight)
        if bias is not None:
            y += bias
        return y.view(*x.shape[:-1], weight.shape[0])

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        m = native.get()
        dy = dy.reshape(-1, dy.shape[-1])
        dx = m.mm_nt(dy, weight.t()).view(x.shape) if ctx.needs_input_grad[0] else None
        dw = m.mm_tn(dy, x.reshape(-1, x.shape[-1])) if ctx.needs_input_grad[1] else None
        db = dy.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return dx, dw, db


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``F.linear`` on the engine's matrix products where they are faster."""
    if x.dtype == torch.float32 and native.usable(x) and not tracing():
        if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, weight, bias)):
            return _Linear.apply(x, weight, bias)
        y = native.get().affine(x.reshape(-1, x.shape[-1]), weight, bias)   # no autograd: one call
        return y.view(*x.shape[:-1], weight.shape[0])
    return F.linear(x, weight, bias)
