"""Step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``: one time step, drop-in for torch.nn's.

A step is the engine's lean step (``rnnkit.engine.step``), which trains through the
hand-derived backward of the layers.  Extras: ``LSTMCell(layer_norm=True)``,
``GRUCell(reset="before")``.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.cells import make_cell
from rnnkit.engine.step import StepWeights, cached_weights, step
from rnnkit.layers.params import init_cell_parameters, register_cell_parameters


class RNNCellBase(nn.Module):
    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None, **options):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.cell = make_cell(mode, **options)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        register_cell_parameters(self, self.cell, input_size, hidden_size, bias, "", device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch.nn's initialisation (``rnnkit.layers.params.init_cell_parameters``)."""
        init_cell_parameters(dict(self.named_parameters()), self.cell, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s

    def forward(self, input: torch.Tensor, hx=None):
        """``input [B, D]`` or ``[D]``; ``hx`` as torch.nn's cell; returns the new state(s)."""
        kind = type(self).__name__
        if not isinstance(input, torch.Tensor) or input.dim() not in (1, 2):
            shape = list(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
            raise ValueError(f"{kind}: expected input of shape [batch, {self.input_size}] or "
                             f"[{self.input_size}], got {shape}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{kind}: expected input of shape [batch, {self.input_size}], "
                             f"got {list(input.shape)}")
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(f"{kind}: input dtype {input.dtype} does not match the parameters' "
                            f"dtype {self.weight_ih.dtype}")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size)
        n = self.cell.num_states
        if hx is None:
            states = tuple(x.new_zeros(expected) for _ in range(n))
        else:
            states = tuple(hx) if n == 2 else (hx,)
            if len(states) != n:
                raise TypeError(f"{kind}: hx must be a tuple (h, c)")
            states = tuple(s if batched else s.unsqueeze(0) for s in states)
            for s in states:
                if tuple(s.shape) != expected:
                    raise ValueError(f"{kind}: expected hidden state of shape {list(expected)}, "
                                     f"got {list(s.shape) if batched else list(s.shape[1:])}")
        weights = cached_weights(self, lambda: [StepWeights(self.cell, dict(self.named_parameters()))])
        finals = step(x, weights[0], states)
        if not batched:
            finals = tuple(f.squeeze(0) for f in finals)
        return finals if n == 2 else finals[0]


class RNNCell(RNNCellBase):
    """One Elman step; drop-in for torch.nn.RNNCell."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__("RNN", input_size, hidden_size, bias, device, dtype, nonlinearity=nonlinearity)
        self.nonlinearity = nonlinearity


class LSTMCell(RNNCellBase):
    """One LSTM step; drop-in for torch.nn.LSTMCell; ``layer_norm=True`` for Ba et al. 2016."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None, *, layer_norm=False):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype, layer_norm=layer_norm)


class GRUCell(RNNCellBase):
    """One GRU step; drop-in for torch.nn.GRUCell; ``reset="before"`` for Cho et al. 2014."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None, *, reset="after"):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype, reset=reset)
