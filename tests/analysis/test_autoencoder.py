"""The linear autoencoder exercise: its loss and hand-derived gradients against autograd, and
gradient descent from a random start landing on PCA's subspace, projector and error."""
import math

import torch

from rnnkit.analysis.autoencoder import (check_against_pca, covariance, gradients, principal_angles,
                                         reconstruction_loss, train_linear_autoencoder)


def data(n=400, d=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    scales = torch.tensor([5.0, 4.0, 3.0, 1.5, 1.0, 0.7, 0.5, 0.3], dtype=torch.float64)[:d]
    return torch.randn(n, d, generator=generator, dtype=torch.float64) * scales + 3.0


def test_the_loss_and_its_gradients():
    X = data()
    C = covariance(X)
    W, V = torch.randn(3, 8, dtype=torch.float64, requires_grad=True), torch.randn(8, 3, dtype=torch.float64,
                                                                                     requires_grad=True)
    centred = X - X.mean(0)
    direct = (centred - centred @ W.T @ V.T).pow(2).sum(1).mean()
    loss = reconstruction_loss(C, W, V)
    torch.testing.assert_close(loss, direct)
    grad_W, grad_V = torch.autograd.grad(loss, (W, V))
    mine_W, mine_V = gradients(C, W.detach(), V.detach())
    torch.testing.assert_close(mine_W, grad_W)
    torch.testing.assert_close(mine_V, grad_V)


def test_principal_angles():
    theta = 0.3
    a = torch.tensor([[1.0], [0.0], [0.0]], dtype=torch.float64)
    b = torch.tensor([[math.cos(theta)], [math.sin(theta)], [0.0]], dtype=torch.float64)
    assert math.isclose(float(principal_angles(a, b)[0]), theta, rel_tol=1e-9)
    assert float(principal_angles(torch.eye(3)[:, :2], torch.eye(3)[:, [1, 0]]).max()) < 1e-12
    assert math.isclose(float(principal_angles(a, a + torch.tensor([[0.0], [1e-9], [0.0]]))[0]), 1e-9, rel_tol=1e-6)


def test_gradient_descent_finds_the_principal_subspace():
    C = covariance(data())
    model = train_linear_autoencoder(C, k=3, seed=1)
    checks = check_against_pca(C, model)
    assert model.iterations > 10                        # it did descend, from a random start
    assert checks.largest_angle < 1e-6 and checks.projector_error < 1e-6 and checks.loss_relative_difference < 1e-8
