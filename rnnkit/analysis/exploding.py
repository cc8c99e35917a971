"""Exploding gradients in one unit, and what clipping does: the single-unit recurrent network of
Pascanu, Mikolov & Bengio (2013, "On the difficulty of training recurrent neural networks"),

    x_t = w sigma(x_(t-1)) + b,     x_0 = 0.5,     L(w, b) = (x_T - 0.7)^2,   T = 50,

whose loss surface over (w, b) holds a cliff: where the map gains a second fixed point (a
bifurcation of the dynamical system), x_T jumps between them and the gradient there is huge.
A plain gradient step that lands on the cliff is thrown far away; rescaling the gradient to a
norm of at most ``clip`` ("clipping by norm") keeps the step small while keeping its direction.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

X0, TARGET, STEPS = 0.5, 0.7, 50


def single_unit_loss(w: torch.Tensor, b: torch.Tensor, steps: int = STEPS, x0: float = X0,
                     target: float = TARGET) -> torch.Tensor:
    """``(x_T - target)^2`` for every pair of ``w`` and ``b`` (tensors of one shape; autograd
    sees each step)."""
    x = torch.full_like(w, x0)
    for _ in range(steps):
        x = w * torch.sigmoid(x) + b
    return (x - target) ** 2


def loss_surface(ws: torch.Tensor, bs: torch.Tensor, **options) -> torch.Tensor:
    """``[len(bs), len(ws)]``: the loss on the grid of ``ws`` (columns) and ``bs`` (rows), float64."""
    b, w = torch.meshgrid(bs.double(), ws.double(), indexing="ij")
    return single_unit_loss(w, b, **options)


@dataclass
class Descent:
    """A gradient-descent path: ``points [n + 1, 2]`` (w, b), ``losses [n + 1]`` and the gradient
    norm of each step ``norms [n]``."""
    points: torch.Tensor
    losses: torch.Tensor
    norms: torch.Tensor


def descend(w: float, b: float, lr: float, iterations: int, clip: float | None = None, **options) -> Descent:
    """Plain gradient descent on ``single_unit_loss`` from ``(w, b)``; with ``clip``, every gradient
    of norm above ``clip`` is rescaled to norm ``clip`` first (Pascanu et al.'s Algorithm 1)."""
    theta = torch.tensor([w, b], dtype=torch.float64)
    points, losses, norms = [theta.clone()], [], []
    for _ in range(iterations):
        point = theta.clone().requires_grad_(True)
        loss = single_unit_loss(point[0], point[1], **options)
        (grad,) = torch.autograd.grad(loss, point)
        norm = float(grad.norm())
        if clip is not None and norm > clip:
            grad = grad * (clip / norm)
        theta = theta - lr * grad
        points.append(theta.clone())
        losses.append(float(loss.detach()))
        norms.append(norm)
    losses.append(float(single_unit_loss(theta[0], theta[1], **options)))
    return Descent(torch.stack(points), torch.tensor(losses, dtype=torch.float64),
                   torch.tensor(norms, dtype=torch.float64))
