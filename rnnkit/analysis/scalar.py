"""The lectures' scalar example of vanishing and exploding gradients.

With one unit, no input and no nonlinearity, ``h_t = w h_(t-1)``, so ``h_T = w^T h_0`` and

    dh_T/dw = T w^(T-1) h_0

which dies out geometrically for |w| < 1, grows only linearly in T for |w| = 1, and blows up
geometrically for |w| > 1: the same product of T factors of the recurrent weight that, in many
dimensions, becomes the product of the step Jacobians.
"""
from __future__ import annotations

import torch


def unrolled(w: torch.Tensor, T: int, h0: float = 1.0) -> torch.Tensor:
    """``h_T`` by running the recurrence ``h_t = w h_(t-1)`` for T steps (autograd sees each step)."""
    h = torch.full_like(w, h0)
    for _ in range(T):
        h = w * h
    return h


def closed_form_gradient(w: float, T: int, h0: float = 1.0) -> float:
    """``dh_T/dw = T w^(T-1) h_0``."""
    return T * w ** (T - 1) * h0


def autograd_gradient(w: float, T: int, h0: float = 1.0) -> float:
    """``dh_T/dw`` by backpropagation through the T steps, in float64."""
    weight = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(unrolled(weight, T, h0), weight)
    return float(grad)
