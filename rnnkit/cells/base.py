"""The contract between a cell family and the time loop that runs it (``rnnkit.engine``).

A cell family is stateless maths.  The loop projects every input step at once
(``project_input``), then for each step asks the cell to compute the new state from the
projected input ``xg_t`` and the recurrent operand ``u = h_{t-1}`` (times the recurrent
dropout mask, if any), writing into preallocated ``[T, B, ...]`` buffers.  Backward runs
the steps in reverse: ``step_backward`` turns the gradient of the new state into the
gradient of the projected input ``dxg_t``, of the previous state, and of ``u``.  The
weight gradients are then single products over all steps (``param_grads``).

Names: ``H`` hidden size, ``G`` number of gate blocks, ``B`` batch, ``T`` steps.
Parameters follow torch.nn: ``weight_ih [G*H, D]``, ``weight_hh [G*H, H]``,
``bias_ih``/``bias_hh [G*H]``; a cell may add parameters of its own (``extra_params``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


class Cell:
    """One recurrent cell family: its step, the step's hand-derived backward, its buffers."""

    name: str = ""                        # the registry name (``rnnkit.cells.registry``)
    family: str = ""                      # the torch.nn layer it extends: "RNN", "LSTM" or "GRU"
    native: bool = False                  # the C++ time loop has this cell (else the Python loop runs it)
    gate_names: tuple[str, ...] = ()      # the activated gates trace() exposes, in weight order
    num_gates: int = 1                    # G: blocks of H rows in weight_ih / weight_hh
    num_states: int = 1                   # 1: (h,), 2: (h, c)
    extra_params: tuple[str, ...] = ()    # parameters beyond torch.nn's four, name -> shape rule
    recurrent_extras: tuple[str, ...] = ()  # those of extra_params that the time loop needs
    folds_recurrent_bias: bool = True     # bias_hh simply adds: fold it into xg once

    # -- input side (plain autograd: one product over all steps) -------------------------
    def project_input(self, x: torch.Tensor, p: dict, linear=F.linear) -> torch.Tensor:
        """``xg = x W_ih^T + b_ih (+ b_hh when it folds)`` for all steps at once: ``[T, B, G*H]``.
        ``linear`` computes ``x W^T + b`` (the engine passes its fastest)."""
        bias = p.get("bias_ih")
        if bias is not None and self.folds_recurrent_bias:
            bias = bias + p["bias_hh"]
        return linear(x, p["weight_ih"], bias)

    def extra_shapes(self, hidden_size: int) -> dict[str, tuple[int, ...]]:
        """Shapes of ``extra_params``; empty for the torch.nn-compatible cells."""
        return {}

    # -- the time loop's per-step work ------------------------------------------------------
    def buffers(self, T: int, B: int, H: int, like: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-step storage the forward fills and the backward reads."""
        return {}

    def backward_buffers(self, T: int, B: int, H: int, like: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-step storage the backward fills for ``param_grads``."""
        return {}

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras) -> None:
        """Write the state after step ``t`` into the views ``new`` (same layout as ``prev``)."""
        raise NotImplementedError

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        """Given ``dnew`` (gradient of the new state), fill ``dxg_t`` and return
        ``(dprev_direct, du)``: the gradient reaching each previous state other than through
        the recurrent product (``None`` where there is none) and the gradient of ``u``."""
        raise NotImplementedError

    def param_grads(self, buf, bbuf, dxg, U, b_hh, extras):
        """Gradients of ``weight_hh``, the unfolded ``bias_hh`` (else ``None``) and the
        recurrent extras, each one product or reduction over all steps.  ``U`` is the
        recurrent operand of every step, ``[T, B, H]``."""
        return flat(dxg).t().mm(flat(U)), None, ()

    def gates(self, buf: dict, H: int) -> dict[str, torch.Tensor]:
        """The activated gates, name -> ``[T, B, H]`` view (for ``trace()``)."""
        if not self.gate_names:
            return {}
        return dict(zip(self.gate_names, buf["gates"].split(H, dim=-1)))


def flat(t: torch.Tensor) -> torch.Tensor:
    """``[T, B, N] -> [T*B, N]``."""
    return t.reshape(-1, t.shape[-1])


def sigmoid_grad(y: torch.Tensor) -> torch.Tensor:
    """d sigmoid / d a expressed through the output: ``y (1 - y)``."""
    return y * (1 - y)


def tanh_grad(y: torch.Tensor) -> torch.Tensor:
    """d tanh / d a expressed through the output: ``1 - y^2``."""
    return 1 - y * y
