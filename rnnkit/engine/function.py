"""Whole-sequence BPTT as one autograd Function per call, with the cell's hand-derived backward.

``run`` is the entry point: it projects all input steps at once with plain autograd
(``xg = x W_ih^T + b``, whose backward is the single products ``dW_ih = dxg^T x`` and
``dx = dxg W_ih``), then runs ``Recurrence``, which owns the time loop and returns the
gradients of ``xg``, ``W_hh``, the unfolded ``b_hh``, the initial states and the cell's
recurrent extras.

The same time loop is also the operator ``torch.ops.rnnkit.recurrence`` (a
``torch.library.custom_op`` with a fake implementation), so that tracing tools
(``torch.export``, ``torch.compile``) see one operator, not a Python loop.  ``run`` calls it under
those tracers (in eager mode ``Recurrence`` runs directly: the operator's dispatch would add
about 0.1 ms to every call, which step-by-step decoding feels); its backward recomputes the
forward through ``Recurrence``, so a traced graph can be differentiated too.
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from rnnkit.cells import get_cell
from rnnkit.engine import loop, native, projection
from rnnkit.engine.tracing import tracing


class Recurrence(torch.autograd.Function):
    """``(cell, reverse, xg, w_hh, b_hh, mask, drop, *states0, *extras) -> (out, *final_states)``.

    The time loop runs in C++ (``rnnkit.engine.native``) where it is built, else in Python
    (``rnnkit.engine.loop``); both implement the same steps.  ``mask`` ``[T, B, 1]`` bool (or None) marks the steps inside each sequence; ``drop``
    ``[B, H]`` (or None) is the recurrent dropout mask, drawn by the caller so that the
    backward (and gradcheck) sees the same one.
    """

    @staticmethod
    def forward(ctx, cell, reverse, xg, w_hh, b_hh, mask, drop, *rest):
        states0, extras = rest[: cell.num_states], rest[cell.num_states :]
        ctx.cell, ctx.reverse, ctx.num_extras = cell, reverse, len(extras)
        ctx.native = native.usable(xg, cell)
        if ctx.native:
            out, finals, saved = native.forward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras)
            ctx.buf = None
        else:
            out, saved, ctx.buf = loop.forward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras)
            last = 0 if reverse else xg.shape[0] - 1
            finals = [s[last].clone() for s in saved]
        ctx.save_for_backward(xg, w_hh, b_hh, mask, drop, *states0, *extras, *saved)
        return (out, *finals)

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, *dfinal):
        cell = ctx.cell
        xg, w_hh, b_hh, mask, drop, *rest = ctx.saved_tensors
        ns, ne = cell.num_states, ctx.num_extras
        states0, extras, saved = rest[:ns], rest[ns : ns + ne], rest[ns + ne :]
        args = (cell, xg, w_hh, b_hh, states0, mask, drop, ctx.reverse, extras)
        if ctx.native:
            dxg, dw_hh, db_hh, dstates0, dextras = native.backward(*args, saved, dout, dfinal)
        else:
            dxg, dw_hh, db_hh, dstates0, dextras = loop.backward(*args, saved, ctx.buf, dout, dfinal)
        return (None, None, dxg, dw_hh, db_hh, None, None, *dstates0, *dextras)


@torch.library.custom_op("rnnkit::recurrence", mutates_args=())
def recurrence(cell: str, reverse: bool, xg: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor | None,
               mask: torch.Tensor | None, drop: torch.Tensor | None, states0: list[torch.Tensor],
               extras: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The registered cell ``cell`` over ``xg [T, B, G*H]``: ``(out [T, B, H], final states [B, H])``."""
    with torch.no_grad():
        out, *finals = Recurrence.apply(get_cell(cell), reverse, xg, w_hh, b_hh, mask, drop, *states0, *extras)
    return out, finals


@recurrence.register_fake
def _(cell, reverse, xg, w_hh, b_hh, mask, drop, states0, extras):
    T, B, H = xg.shape[0], xg.shape[1], w_hh.shape[1]
    return xg.new_empty(T, B, H), [s.new_empty(B, H) for s in states0]


@torch.library.custom_op("rnnkit::recurrence_backward", mutates_args=())
def recurrence_backward(cell: str, reverse: bool, xg: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor | None,
                        mask: torch.Tensor | None, drop: torch.Tensor | None, states0: list[torch.Tensor],
                        extras: list[torch.Tensor], dout: torch.Tensor, dfinals: list[torch.Tensor]
                        ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """The gradients of ``recurrence`` (the forward recomputed through ``Recurrence``):
    ``(dxg, dw_hh, [db_hh] or [], dstates0, dextras)``."""
    inputs = [xg, w_hh, *([b_hh] if b_hh is not None else []), *states0, *extras]
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in inputs]
        xg_, w_hh_, *rest = leaves
        b_hh_ = rest.pop(0) if b_hh is not None else None
        out, *finals = Recurrence.apply(get_cell(cell), reverse, xg_, w_hh_, b_hh_, mask, drop, *rest)
        grads = torch.autograd.grad([out, *finals], leaves, [dout, *dfinals], allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, inputs)]
    dxg, dw_hh, *rest = grads
    db_hh = [rest.pop(0)] if b_hh is not None else []
    return dxg, dw_hh, db_hh, rest[: len(states0)], rest[len(states0):]


@recurrence_backward.register_fake
def _(cell, reverse, xg, w_hh, b_hh, mask, drop, states0, extras, dout, dfinals):
    like = [torch.empty_like(t) for t in (xg, w_hh)]
    return (*like, [torch.empty_like(b_hh)] if b_hh is not None else [], [torch.empty_like(s) for s in states0],
            [torch.empty_like(e) for e in extras])


def _save_inputs(ctx, inputs, output):
    ctx.cell, ctx.reverse, xg, w_hh, b_hh, mask, drop, states0, extras = inputs
    ctx.has_bias, ctx.has_mask, ctx.has_drop = b_hh is not None, mask is not None, drop is not None
    ctx.num_states = len(states0)
    ctx.save_for_backward(xg, w_hh, *(t for t in (b_hh, mask, drop) if t is not None), *states0, *extras)


def _recurrence_backward(ctx, dout, dfinals):
    saved = list(ctx.saved_tensors)
    xg, w_hh = saved[:2]
    rest = saved[2:]
    b_hh, mask, drop = (rest.pop(0) if present else None for present in (ctx.has_bias, ctx.has_mask, ctx.has_drop))
    states0, extras = rest[: ctx.num_states], rest[ctx.num_states :]
    dout = torch.zeros_like(xg[..., : w_hh.shape[1]]) if dout is None else dout
    dfinals = [torch.zeros_like(s) if d is None else d for d, s in zip(dfinals, states0)]
    dxg, dw_hh, db_hh, dstates0, dextras = recurrence_backward(ctx.cell, ctx.reverse, xg, w_hh, b_hh, mask, drop,
                                                               states0, extras, dout, dfinals)
    return None, None, dxg, dw_hh, (db_hh[0] if db_hh else None), None, None, dstates0, dextras


recurrence.register_autograd(_recurrence_backward, setup_context=_save_inputs)


def lengths_to_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """``[T, B, 1]`` bool, true where ``t < lengths[b]``."""
    return (torch.arange(T, device=lengths.device)[:, None] < lengths[None, :])[..., None]


def _loop_inputs(cell, x, params):
    """The projected inputs, the recurrent bias the step still needs, the recurrent extras."""
    xg = cell.project_input(x, params, linear=projection.linear)
    b_hh = None if cell.folds_recurrent_bias else params.get("bias_hh")
    return xg, b_hh, [params[name] for name in cell.recurrent_extras]


def run(cell, x, params, states0, *, mask=None, drop=None, reverse=False):
    """One layer, one direction.  ``x [T, B, D]``; ``params`` maps torch.nn's names
    (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) and the cell's extras to tensors;
    ``states0`` is ``(h0,)`` or ``(h0, c0)``.  Returns ``(out [T, B, H], final_states)``."""
    return run_projected(cell, cell.project_input(x, params, linear=projection.linear), params, states0,
                         mask=mask, drop=drop, reverse=reverse)


def run_projected(cell, xg, params, states0, *, mask=None, drop=None, reverse=False):
    """``run`` from the input projection ``xg [T, B, G*H]`` (``cell.project_input``'s)."""
    b_hh = None if cell.folds_recurrent_bias else params.get("bias_hh")
    extras = [params[name] for name in cell.recurrent_extras]
    w_hh = params["weight_hh"]
    if tracing():
        out, finals = recurrence(cell.name, reverse, xg, w_hh, b_hh, mask, drop, list(states0), list(extras))
    else:
        out, *finals = Recurrence.apply(cell, reverse, xg, w_hh, b_hh, mask, drop, *states0, *extras)
    return out, tuple(finals)


@torch.no_grad()
def run_traced(cell, x, params, states0, *, mask=None, drop=None, reverse=False):
    """As ``run`` without autograd, also returning every state and the activated gates (steps
    past a sequence's end are zero): ``(out, final_states, states [T, B, H] each, gates)``."""
    xg, b_hh, extras = _loop_inputs(cell, x, params)
    out, states, buf = loop.forward(cell, xg, params["weight_hh"], b_hh, states0, mask, drop,
                                    reverse, extras)
    finals = tuple(s[0 if reverse else -1] for s in states)
    gates = cell.gates(buf, params["weight_hh"].shape[1])
    if mask is not None:
        states = [s * mask for s in states]
        gates = {k: g * mask for k, g in gates.items()}
    return out, finals, states, gates
