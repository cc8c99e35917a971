"""Whole-sequence BPTT as one autograd Function per call, with the cell's hand-derived backward.

``run`` is the entry point: it projects all input steps at once with plain autograd
(``xg = x W_ih^T + b``, whose backward is the single products ``dW_ih = dxg^T x`` and
``dx = dxg W_ih``), then runs ``Recurrence``, which owns the time loop and returns the
gradients of ``xg``, ``W_hh``, the unfolded ``b_hh``, the initial states and the cell's
recurrent extras.
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from rnnkit.engine import loop, native, projection


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
    xg, b_hh, extras = _loop_inputs(cell, x, params)
    out, *finals = Recurrence.apply(cell, reverse, xg, params["weight_hh"], b_hh, mask, drop,
                                    *states0, *extras)
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
