"""The time loop in eager PyTorch: forward over all steps, then backpropagation through time.

Shared by every cell family (``rnnkit.cells``); the cell supplies the per-step maths, this
module supplies the order of the steps, variable lengths, recurrent dropout, the buffers of
states, and the single large weight-gradient products after the loop.

Variable lengths: ``mask[t, b]`` is true while ``t < length[b]``.  A masked step keeps the
previous state and emits zeros, so padded batches need neither sorting nor packing; run in
reverse, a sequence starts at its own last step because its state stays at ``h_0`` until then.
"""
from __future__ import annotations

import torch


def time_steps(T: int, reverse: bool) -> range:
    return range(T - 1, -1, -1) if reverse else range(T)


def forward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras):
    """Run ``cell`` over ``xg [T, B, G*H]``; returns ``(out, states, buf)`` where ``states[k][t]``
    is state ``k`` after step ``t`` and ``buf`` is what the cell kept for backward."""
    T, B = xg.shape[:2]
    H = w_hh.shape[1]
    buf = cell.buffers(T, B, H, xg)
    states = [xg.new_empty(T, B, H) for _ in states0]
    out = states[0] if mask is None else xg.new_empty(T, B, H)
    prev = tuple(states0)
    for t in time_steps(T, reverse):
        new = tuple(s[t] for s in states)
        u = prev[0] if drop is None else prev[0] * drop
        cell.step(buf, t, xg[t], u, prev, new, w_hh, b_hh, extras)
        if mask is not None:
            m = mask[t]
            torch.mul(new[0], m, out=out[t])
            for s_new, s_prev in zip(new, prev):
                torch.where(m, s_new, s_prev, out=s_new)
        prev = new
    return out, states, buf


def previous_states(states, states0, reverse):
    """``[T, B, H]`` per state: the state each step started from."""
    return [torch.cat([s[1:], s0[None]]) if reverse else torch.cat([s0[None], s[:-1]])
            for s, s0 in zip(states, states0)]


def backward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras, states, buf, dout, dfinal):
    """BPTT: returns ``(dxg, dw_hh, db_hh, dstates0, dextras)``."""
    T, B = xg.shape[:2]
    H = w_hh.shape[1]
    bbuf = cell.backward_buffers(T, B, H, xg)
    dxg = torch.empty_like(xg)
    prevs = previous_states(states, states0, reverse)
    d = list(dfinal)
    for t in reversed(time_steps(T, reverse)):
        prev = tuple(p[t] for p in prevs)
        new = tuple(s[t] for s in states)
        u = prev[0] if drop is None else prev[0] * drop
        dnew = [d[0] + dout[t]] + d[1:]
        if mask is not None:
            m = mask[t]
            carry = [torch.where(m, 0, g) for g in d]       # masked step: state passes through
            dnew = [torch.where(m, g, 0) for g in dnew]
        direct, du = cell.step_backward(buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg[t])
        d = [du if drop is None else du * drop] + [None] * (len(d) - 1)
        for k, g in enumerate(direct):
            if g is not None:
                d[k] = g if d[k] is None else d[k] + g
        if mask is not None:
            d = [c + g for c, g in zip(carry, d)]
    U = prevs[0] if drop is None else prevs[0] * drop
    dw_hh, db_hh, dextras = cell.param_grads(buf, bbuf, dxg, U, b_hh, extras)
    return dxg, dw_hh, (db_hh if b_hh is not None else None), d, dextras
