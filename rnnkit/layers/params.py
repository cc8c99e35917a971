"""Parameters of one cell, registered on a module under torch.nn's names."""
from __future__ import annotations

import math

import torch
from torch import nn


def register_cell_parameters(module: nn.Module, cell, input_size: int, hidden_size: int,
                             bias: bool, suffix: str = "", device=None, dtype=None) -> dict[str, str]:
    """Register ``weight_ih``, ``weight_hh``, (``bias_ih``, ``bias_hh``) and the cell's extras,
    each name followed by ``suffix``; return generic name -> attribute name."""
    G, H = cell.num_gates, hidden_size
    shapes = {"weight_ih": (G * H, input_size), "weight_hh": (G * H, H)}
    if bias:
        shapes.update(bias_ih=(G * H,), bias_hh=(G * H,))
    shapes.update(cell.extra_shapes(H))
    names = {}
    for name, shape in shapes.items():
        names[name] = name + suffix
        module.register_parameter(name + suffix, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
    return names


@torch.no_grad()
def init_cell_parameters(params: dict[str, torch.Tensor], cell, hidden_size: int) -> None:
    """torch.nn's initialisation, uniform in ``±1/sqrt(hidden_size)`` for every weight and
    bias; the cell's extras (LayerNorm) start as the identity: gains 1, shifts 0."""
    stdv = 1.0 / math.sqrt(hidden_size)
    for name, p in params.items():
        if name not in cell.extra_params:
            p.uniform_(-stdv, stdv)
        else:
            p.fill_(1.0 if name.endswith("_weight") else 0.0)
