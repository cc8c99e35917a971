"""The single-unit network of Pascanu et al. 2013: its loss, its cliff, and clipping by norm."""
import math

import torch

from rnnkit.analysis.exploding import descend, loss_surface, single_unit_loss


def by_hand(w, b, steps=50, x=0.5, target=0.7):
    for _ in range(steps):
        x = w / (1 + math.exp(-x)) + b
    return (x - target) ** 2


def test_the_loss_and_its_surface():
    assert math.isclose(float(single_unit_loss(torch.tensor(3.0, dtype=torch.float64),
                                               torch.tensor(-1.5, dtype=torch.float64))), by_hand(3.0, -1.5),
                        rel_tol=1e-12)
    ws, bs = torch.linspace(0, 4, 5), torch.linspace(-2, 1, 4)
    surface = loss_surface(ws, bs)
    assert surface.shape == (4, 5)
    assert math.isclose(float(surface[1, 3]), by_hand(float(ws[3]), float(bs[1])), rel_tol=1e-9)


def test_a_step_onto_the_cliff_throws_plain_descent_away_and_clipping_keeps_it_short():
    plain = descend(10.0, -5.0, lr=0.05, iterations=40)
    steps = (plain.points[1:] - plain.points[:-1]).norm(dim=1)
    assert float(plain.norms.max()) > 500 and float(steps.max()) > 20          # the cliff
    clipped = descend(10.0, -5.0, lr=0.05, iterations=200, clip=5.0)
    steps = (clipped.points[1:] - clipped.points[:-1]).norm(dim=1)
    assert float(steps.max()) <= 0.05 * 5.0 + 1e-12                            # never longer than lr * clip
    assert float(clipped.losses[-1]) < 0.01 < float(clipped.losses[0])
