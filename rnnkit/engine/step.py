"""The lean step: one time step of one layer in one direction, without a layer's per-call work.

Generation, beam search and a decoder's training loop call a layer one step at a time, thousands
of times.  A layer's ``forward`` on one step checks its arguments, chooses a backend and runs a
whole-sequence Function of length one; the lean step only runs the step:

    xg  = x W_ih^T + b          (the cell's ``project_input``; or the caller's own projection)
    s_t = cell(xg, s_{t-1})     (the cell's step, as the engine's time loop runs it)

Without autograd (``torch.no_grad()``, or nothing that needs a gradient) it is one call into the
C++ extension (``native/loop.cpp``'s ``step``: the product with the bias folded in, then the
cell's fused step), or the engine's Python loop where that cannot run.  With autograd it is the
engine's own Functions on a sequence of one step (``rnnkit.engine.run``), so scheduled sampling
and teacher-forced decoders train through the hand-derived backward.

What a step reuses is prepared once (``StepWeights``: the summed input bias, the recurrent
extras) and made again when a parameter changes: every call compares the parameters' storage
and version counters, which an optimizer step, ``load_state_dict`` or ``.to()`` change.
"""
from __future__ import annotations

import torch

from rnnkit.cells.base import Cell
from rnnkit.engine import loop, native, projection
from rnnkit.engine.function import run_projected
from rnnkit.engine.tracing import tracing


class StepWeights:
    """One layer-direction's parameters (torch.nn's names and the cell's extras, as
    ``engine.run`` takes them) and what the step derives from them."""

    def __init__(self, cell: Cell, params: dict[str, torch.Tensor]):
        self.cell, self.params = cell, params
        self.key = None if tracing() else version_key(params.values())   # a traced tensor has no storage
        with torch.no_grad():
            bias = params.get("bias_ih")
            if bias is not None and cell.folds_recurrent_bias:
                bias = bias + params["bias_hh"]
        self.bias = bias                                             # the input side's bias
        self.bias_hh = None if cell.folds_recurrent_bias else params.get("bias_hh")
        self.extras = [params[name] for name in cell.recurrent_extras]
        self.linear_input = type(cell).project_input is Cell.project_input   # x W_ih^T + b, nothing else

    def current(self) -> bool:
        """Whether no parameter changed since these were made."""
        return self.key == version_key(self.params.values())


def version_key(tensors) -> tuple:
    """What changes when a tensor's values may have changed: its storage and version counter."""
    return tuple((t.data_ptr(), t._version) for t in tensors)


def step(x: torch.Tensor, weights: StepWeights, states: tuple[torch.Tensor, ...], *, projected: bool = False,
         drop: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
    """The states after one step from ``states`` (``(h,)`` or ``(h, c)``, ``[B, H]`` each) on the
    input ``x [B, D]``, or, with ``projected``, on ``x`` already the input projection ``[B, G*H]``
    (what ``cell.project_input`` gives, bias included).  ``drop [B, H]``: a recurrent dropout
    mask on ``h_{t-1}``."""
    cell, p = weights.cell, weights.params
    if tracing() or (torch.is_grad_enabled() and any(t.requires_grad for t in (x, *states, *p.values()))):
        xg = x if projected else cell.project_input(x, p, linear=projection.linear)
        return run_projected(cell, xg[None], p, states, drop=drop)[1]
    if native.usable(x, cell):
        fused = not projected and weights.linear_input        # the C++ step makes the input product itself
        xg = x if projected or fused else cell.project_input(x, p, linear=projection.linear)
        return tuple(native.get().step(native.CELL_IDS[cell.name], xg, p["weight_ih"] if fused else None,
                                       weights.bias if fused else None, p["weight_hh"], weights.bias_hh,
                                       list(states), drop, weights.extras))
    xg = x if projected else cell.project_input(x, p)
    _, new, _ = loop.forward(cell, xg[None], p["weight_hh"], weights.bias_hh, states, None, drop, False,
                             weights.extras)
    return tuple(s[0] for s in new)


def cached_weights(owner, make) -> list[StepWeights]:
    """``owner``'s step weights, ``make()`` once and again whenever one of their parameters has
    changed; kept on ``owner`` outside its state_dict."""
    if tracing():
        return make()
    weights = owner.__dict__.get("_lean")
    if weights is None or not all(w.current() for w in weights):
        weights = owner.__dict__["_lean"] = make()
    return weights
