"""The lecture's exercise: a linear autoencoder trained to reconstruct its inputs finds the
principal subspace.

For centred data ``X [N, D]`` with covariance ``C = X^T X / N = U diag(lambda) U^T`` (eigenvalues
falling), the autoencoder ``x_hat = V W x`` (``W [k, D]``, ``V [D, k]``) has the loss

    L(W, V) = (1/N) sum_n ||x_n - V W x_n||^2 = tr(C) - 2 tr(V W C) + tr(V W C W^T V^T).

Its minima (Baldi & Hornik 1989) are the ``W`` whose rows span the top-k eigenvectors ``U_k`` of
C, with ``V W = U_k U_k^T``, the orthogonal projector onto them, and ``L = lambda_(k+1) + ... +
lambda_D``, the variance left out; every other critical point is a saddle, so gradient descent
from a random start gets there.  The gradients, with ``P = V W``:

    dL/dV = 2 (P - I) C W^T,      dL/dW = 2 V^T (P - I) C.

They depend on the data only through C, so full-batch gradient descent runs on C (D x D) at
the same cost for any N.  ``principal_angles`` measures the subspace found against PCA's.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class LinearAutoencoder:
    """A trained ``x_hat = V W x``: ``W [k, D]``, ``V [D, k]``, the gradient-descent ``iterations``
    it took and its final ``loss`` (mean squared reconstruction error per example)."""
    W: torch.Tensor
    V: torch.Tensor
    iterations: int
    loss: float


def covariance(X: torch.Tensor) -> torch.Tensor:
    """``X^T X / N`` of the centred rows of ``X`` (float64)."""
    X = X.double()
    X = X - X.mean(0)
    return X.T @ X / len(X)


def reconstruction_loss(C: torch.Tensor, W: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """``L = tr(C) - 2 tr(V W C) + tr(V W C W^T V^T)``."""
    P = V @ W
    return torch.trace(C) - 2 * torch.trace(P @ C) + torch.trace(P @ C @ P.T)


def gradients(C: torch.Tensor, W: torch.Tensor, V: torch.Tensor):
    """``(dL/dW, dL/dV) = (2 V^T (P - I) C, 2 (P - I) C W^T)`` with ``P = V W``, formed as
    ``(P - I) C = V (W C) - C`` (no D x D x D product)."""
    residual = V @ (W @ C) - C
    return 2 * V.T @ residual, 2 * residual @ W.T


def train_linear_autoencoder(C: torch.Tensor, k: int, seed: int = 0, max_iterations: int = 200_000,
                             tolerance: float = 1e-12, momentum: float = 0.9,
                             init_scale: float = 1e-6) -> LinearAutoencoder:
    """Gradient descent with heavy-ball momentum from a small random start (entries of W and V
    from N(0, (init_scale / sqrt(D))^2)) on the loss of the covariance ``C``, step
    ``0.25 / lambda_max`` (safe for the loss's curvature near the optimum), until the gradient's
    norm is below ``tolerance * tr(C)`` or ``max_iterations``.  The start must be small: the
    gradient of W has no component in directions where the data do not vary (``dL/dW = ... C``),
    so whatever W holds there at the start, it keeps (for the digits: the border pixels that are
    always 0), and it tilts W's rows off the principal subspace by about that much."""
    D = C.shape[0]
    generator = torch.Generator().manual_seed(seed)
    scale = init_scale / D ** 0.5
    W = torch.randn(k, D, generator=generator, dtype=torch.float64) * scale
    V = torch.randn(D, k, generator=generator, dtype=torch.float64) * scale
    step = 0.25 / float(torch.linalg.eigvalsh(C)[-1])
    velocity_W, velocity_V = torch.zeros_like(W), torch.zeros_like(V)
    limit = tolerance * float(torch.trace(C))
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        grad_W, grad_V = gradients(C, W, V)
        if float(torch.sqrt(grad_V.pow(2).sum() + grad_W.pow(2).sum())) < limit:
            break
        velocity_V = momentum * velocity_V - step * grad_V
        velocity_W = momentum * velocity_W - step * grad_W
        V, W = V + velocity_V, W + velocity_W
    return LinearAutoencoder(W, V, iteration, float(reconstruction_loss(C, W, V)))


def principal_angles(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """The principal angles (radians, rising) between the column spaces of ``A [D, k]`` and ``B [D, k]``:
    the arcsines of the singular values of the part of B's orthonormal basis outside A's span
    (accurate for small angles, where arccos of the cosines loses half the digits)."""
    Qa, _ = torch.linalg.qr(A.double())
    Qb, _ = torch.linalg.qr(B.double())
    sines = torch.linalg.svdvals(Qb - Qa @ (Qa.T @ Qb)).clamp(0.0, 1.0)
    return torch.arcsin(sines).flip(0)


@dataclass
class PCAChecks:
    """The three checks of the exercise: the largest principal angle between the rows of W and
    the top-k eigenvectors; ``||V W - U_k U_k^T||_2``; and the relative difference between the
    reconstruction error and the sum of the discarded eigenvalues."""
    largest_angle: float
    projector_error: float
    loss_relative_difference: float


def check_against_pca(C: torch.Tensor, model: LinearAutoencoder) -> PCAChecks:
    eigenvalues, vectors = torch.linalg.eigh(C)                # rising
    k = model.W.shape[0]
    top = vectors[:, -k:]
    discarded = float(eigenvalues[:-k].sum())
    angle = float(principal_angles(model.W.T, top).max())
    projector = float(torch.linalg.matrix_norm(model.V @ model.W - top @ top.T, ord=2))
    return PCAChecks(angle, projector, abs(model.loss - discarded) / discarded)
