"""The Elman RNN (Elman 1990): ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

``act`` is tanh (the lectures' cell and torch's default) or relu.

Backward, with ``a_t`` the pre-activation:
    da_t = dh_t * act'(a_t)      (tanh: 1 - h_t^2;  relu: [h_t > 0])
    dh_{t-1} = da_t W_hh
"""
from __future__ import annotations

import torch

from rnnkit.cells.base import Cell


class Elman(Cell):
    family = "RNN"
    native = True
    num_gates = 1
    num_states = 1

    def __init__(self, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.name = f"rnn_{nonlinearity}"

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        (h,) = new
        torch.addmm(xg_t, u, w_hh.t(), out=h)
        h.tanh_() if self.nonlinearity == "tanh" else h.relu_()

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        (dh,), (h,) = dnew, new
        if self.nonlinearity == "tanh":
            torch.mul(dh, 1 - h * h, out=dxg_t)
        else:
            torch.mul(dh, h > 0, out=dxg_t)
        return (None,), dxg_t.mm(w_hh)
