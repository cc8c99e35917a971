"""The teacher-forced attention decoder as one whole-sequence operation, with its hand-derived
backward (Luong et al. 2015, input feeding; Bahdanau et al. 2015 for the additive score).

In training with teacher forcing every decoder input is known in advance, so the decoder runs
as one Function over all target steps instead of a loop of autograd steps.  From the gold
inputs' projection ``P_t`` (the first layer's ``x_t W_x^T + b``, made at once outside):

    xg_t    = P_t + W_f h~_{t-1}                    (input feeding; h~_0 given)
    s_t     = cell(xg_t, s_{t-1})                   (any engine cell; recurrent dropout drop_t on s_{t-1})
    e_ti    = s_t . k_i                             (dot: k = m; general: k = W m, made outside)
            = v . tanh(W_q s_t + k_i)               (additive: k = U m + b, made outside)
    alpha_t = softmax_i(e_t) over the unmasked i;   a_t = sum_i alpha_ti m_i
    h~_t    = tanh(W_c [a_t; s_t])

and returns ``h~ [T, B, H]`` and ``alpha [T, B, S]``.  The backward runs the steps in reverse
(the cell's own ``step_backward``), keeps per step only what the next step back needs, and
makes every weight gradient one product over all ``T * B`` rows after the loop:

    dz_t = dh~_t (1 - h~_t^2);   [da_t; ds_t] = dz_t W_c;   dalpha_ti = da_t . m_i
    de_t = alpha_t (dalpha_t - alpha_t . dalpha_t);         ds_t += sum_i de_ti k_i      (dot, general)
    dW_c = sum_t dz_t^T [a_t; s_t];  dm_i = sum_t alpha_ti da_t;  dk_i = sum_t de_ti s_t
    dh~_{t-1} += dxg_t W_f;          dW_f = sum_t dxg_t^T h~_{t-1}

``rnnkit.engine.oracle.attention_decoder`` is the plain autograd loop of the same equations.  The
same Function is also the operator ``torch.ops.rnnkit.attention_decoder`` (with a fake
implementation, and a backward operator that runs it again with autograd), which ``decode``
calls under torch.export and torch.compile, so that a traced model holds one operator for its
decoder whatever the number of target steps.
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from rnnkit.cells.base import flat
from rnnkit.cells import get_cell
from rnnkit.engine import native
from rnnkit.engine.loop import previous_states
from rnnkit.engine.tracing import tracing

SCORES = ("dot", "general", "additive")


class AttentionDecoding(torch.autograd.Function):
    """``(cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, *states0, *extras)
    -> (h~ [T, B, H], alpha [T, B, S])``.

    ``P [T, B, G*H]``; ``w_feed [G*H, H]``; ``w_hh``, ``b_hh`` (None where the cell folds it
    into ``P``) and ``extras`` as the engine's ``Recurrence`` takes them; ``drop [T, B, H]`` or
    None: each step's recurrent dropout mask; ``memory [S, B, D]``; ``keys [S, B, K]`` (None for
    the dot score, which reads ``memory``); ``mask [S, B]`` bool, true on real positions;
    ``w_c [H, D + H]``; ``w_q [A, H]`` and ``v [1, A]`` for the additive score (else None);
    ``feed0 [B, H]`` the initial attentional state; ``states0`` the cell's initial states.
    The steps run in C++ (``native/attention.h``) where the engine's loop is built, else in
    Python (``forward`` and ``backward`` below, the reference).
    """

    @staticmethod
    def forward(ctx, cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, *rest):
        states0, extras = rest[: cell.num_states], rest[cell.num_states :]
        ctx.cell, ctx.score, ctx.num_extras = cell, score, len(extras)
        ctx.native = native.usable(P, cell)
        if ctx.native:
            kept = native.attention_forward(cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v,
                                            feed0, states0, extras)
            ctx.buf = ctx.hidden = None
        else:
            feeds, alpha, combined, states, ctx.buf, ctx.hidden = forward(
                cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, states0, extras)
            kept = [feeds, alpha, combined, *states]
        ctx.save_for_backward(w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, *states0, *extras, *kept)
        return kept[0][1:], kept[1]

    @staticmethod
    @once_differentiable
    def backward(ctx, dfeeds, dalpha):
        cell, ns, ne = ctx.cell, ctx.cell.num_states, ctx.num_extras
        w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, *rest = ctx.saved_tensors
        states0, extras, kept = rest[:ns], rest[ns : ns + ne], rest[ns + ne :]
        if ctx.native:
            grads = native.attention_backward(cell, ctx.score, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q,
                                              v, states0, extras, kept, dfeeds, dalpha)
        else:
            feeds, alpha, combined, *states = kept
            grads = backward(cell, ctx.score, w_feed, w_hh, b_hh, drop, memory, keys, w_c, w_q, v, feeds, alpha,
                             combined, states0, extras, states, ctx.buf, ctx.hidden, dfeeds, dalpha)
        dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0, dstates0, dextras = grads
        return (None, None, dP, dw_feed, dw_hh, db_hh, None, dmemory, dkeys, None, dw_c, dw_q, dv, dfeed0,
                *dstates0, *dextras)


def forward(cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, states0, extras):
    """The steps: ``(feeds [T+1, B, H] (h~_0 first), alpha, combined [T, B, D+H] ([a_t; s_t]),
    states, the cell's buffers, the additive score's tanh [T, B, S, A] or None)``."""
    T, B = P.shape[:2]
    H, D, S = w_hh.shape[1], memory.shape[2], memory.shape[0]
    buf = cell.buffers(T, B, H, P)
    states = [P.new_empty(T, B, H) for _ in states0]
    feeds, alpha, combined = P.new_empty(T + 1, B, H), P.new_empty(T, B, S), P.new_empty(T, B, D + H)
    xg = torch.empty_like(P)
    feeds[0] = feed0
    values = memory.transpose(0, 1)                                    # [B, S, D]
    keys_b = values if keys is None else keys.transpose(0, 1)          # [B, S, K]
    padding = ~mask.t()                                                # [B, S]
    hidden = P.new_empty(T, B, S, w_q.shape[0]) if score == "additive" else None
    prev = tuple(states0)
    for t in range(T):
        new = tuple(s[t] for s in states)
        torch.addmm(P[t], feeds[t], w_feed.t(), out=xg[t])
        u = prev[0] if drop is None else prev[0] * drop[t]
        cell.step(buf, t, xg[t], u, prev, new, w_hh, b_hh, extras)
        s = new[0]
        if score == "additive":
            torch.tanh(torch.mm(s, w_q.t())[:, None] + keys_b, out=hidden[t])
            e = torch.matmul(hidden[t], v[0])                          # [B, S]
        else:
            e = torch.bmm(keys_b, s[:, :, None]).squeeze(-1)
        alpha[t] = torch.softmax(e.masked_fill_(padding, float("-inf")), -1)
        combined[t, :, :D] = torch.bmm(alpha[t][:, None], values).squeeze(1)
        combined[t, :, D:] = s
        torch.tanh(torch.mm(combined[t], w_c.t()), out=feeds[t + 1])
        prev = new
    return feeds, alpha, combined, states, buf, hidden


def backward(cell, score, w_feed, w_hh, b_hh, drop, memory, keys, w_c, w_q, v, feeds, alpha, combined, states0,
             extras, states, buf, hidden, dfeeds, dalpha_out):
    """BPTT through the steps: ``(dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0,
    dstates0, dextras)``."""
    T, B, H = feeds.shape[0] - 1, feeds.shape[1], feeds.shape[2]
    D = memory.shape[2]
    bbuf = cell.backward_buffers(T, B, H, feeds)
    dxg = feeds.new_empty(T, B, w_hh.shape[0])
    dz, da, de = torch.empty_like(dfeeds), feeds.new_empty(T, B, D), torch.empty_like(alpha)
    dhidden = torch.empty_like(hidden) if hidden is not None else None
    values = memory.transpose(0, 1)
    keys_b = values if keys is None else keys.transpose(0, 1)
    prevs = previous_states(states, states0, False)
    d = [torch.zeros_like(s) for s in states0]
    dfeed = torch.zeros_like(feeds[0])                       # reaching h~_t through step t+1's input
    for t in range(T - 1, -1, -1):
        torch.mul(dfeeds[t] + dfeed, 1 - feeds[t + 1] * feeds[t + 1], out=dz[t])
        dcombined = torch.mm(dz[t], w_c)
        da[t] = dcombined[:, :D]
        ds = dcombined[:, D:]
        dalpha = torch.bmm(values, da[t][:, :, None]).squeeze(-1) + dalpha_out[t]
        a = alpha[t]
        torch.mul(a, dalpha - (a * dalpha).sum(-1, keepdim=True), out=de[t])
        if score == "additive":
            torch.mul(de[t][..., None] * v[0], 1 - hidden[t] * hidden[t], out=dhidden[t])
            ds = ds + torch.mm(dhidden[t].sum(1), w_q)
        else:
            ds = ds + torch.bmm(de[t][:, None], keys_b).squeeze(1)
        prev = tuple(p[t] for p in prevs)
        new = tuple(s[t] for s in states)
        u = prev[0] if drop is None else prev[0] * drop[t]
        dnew = [d[0] + ds] + d[1:]
        direct, du = cell.step_backward(buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg[t])
        d = [du if drop is None else du * drop[t]] + [None] * (len(d) - 1)
        for k, g in enumerate(direct):
            if g is not None:
                d[k] = g if d[k] is None else d[k] + g
        dfeed = torch.mm(dxg[t], w_feed)
    U = prevs[0] if drop is None else prevs[0] * drop
    dw_hh, db_hh, dextras = cell.param_grads(buf, bbuf, dxg, U, b_hh, extras)
    dw_feed = flat(dxg).t().mm(flat(feeds[:-1]))
    dw_c = flat(dz).t().mm(flat(combined))
    dmemory = torch.einsum("tbs,tbd->sbd", alpha, da)
    s_all = states[0]
    dw_q = dv = None
    if score == "additive":
        dkeys = dhidden.sum(0).transpose(0, 1)                                  # [S, B, A]
        dw_q = torch.einsum("tbsa,tbh->ah", dhidden, s_all)
        dv = torch.einsum("tbs,tbsa->a", de, hidden)[None]
    else:
        dkeys = torch.einsum("tbs,tbk->sbk", de, s_all)
        if keys is None:
            dmemory, dkeys = dmemory + dkeys, None
    return (dxg, dw_feed, dw_hh, (db_hh if b_hh is not None else None), dmemory, dkeys, dw_c, dw_q, dv, dfeed, d,
            dextras)


def decode(cell, score, P, w_feed, params, memory, keys, mask, w_c, feed0, states0, *, w_q=None, v=None,
           drop=None):
    """The decoder over all target steps; ``params`` the decoder layer's (torch.nn names and the
    cell's extras) for ``w_hh``, the unfolded ``b_hh`` and the extras.  Returns ``(h~, alpha)``.
    Under torch.export or torch.compile it runs as the operator ``torch.ops.rnnkit.attention_decoder``."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    b_hh = None if cell.folds_recurrent_bias else params.get("bias_hh")
    extras = [params[name] for name in cell.recurrent_extras]
    args = (P, w_feed, params["weight_hh"], b_hh, drop, memory, None if score == "dot" else keys, mask, w_c, w_q, v,
            feed0)
    if tracing():
        return attention_decoder(cell.name, score, *args, list(states0), list(extras))
    return AttentionDecoding.apply(cell, score, *args, *states0, *extras)


@torch.library.custom_op("rnnkit::attention_decoder", mutates_args=())
def attention_decoder(cell: str, score: str, P: torch.Tensor, w_feed: torch.Tensor, w_hh: torch.Tensor,
                      b_hh: torch.Tensor | None, drop: torch.Tensor | None, memory: torch.Tensor,
                      keys: torch.Tensor | None, mask: torch.Tensor, w_c: torch.Tensor, w_q: torch.Tensor | None,
                      v: torch.Tensor | None, feed0: torch.Tensor, states0: list[torch.Tensor],
                      extras: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``AttentionDecoding`` as one operator that tracers see: ``(h~ [T, B, H], alpha [T, B, S])``."""
    with torch.no_grad():
        feeds, alpha = AttentionDecoding.apply(get_cell(cell), score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask,
                                               w_c, w_q, v, feed0, *states0, *extras)
    return feeds.clone(), alpha                                  # a fresh tensor, not a view of the step buffer


@attention_decoder.register_fake
def _(cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, states0, extras):
    T, B, H = P.shape[0], P.shape[1], w_hh.shape[1]
    return P.new_empty(T, B, H), P.new_empty(T, B, memory.shape[0])


@torch.library.custom_op("rnnkit::attention_decoder_backward", mutates_args=())
def attention_decoder_backward(cell: str, score: str, P: torch.Tensor, w_feed: torch.Tensor, w_hh: torch.Tensor,
                               b_hh: torch.Tensor | None, drop: torch.Tensor | None, memory: torch.Tensor,
                               keys: torch.Tensor | None, mask: torch.Tensor, w_c: torch.Tensor,
                               w_q: torch.Tensor | None, v: torch.Tensor | None, feed0: torch.Tensor,
                               states0: list[torch.Tensor], extras: list[torch.Tensor], dfeeds: torch.Tensor,
                               dalpha: torch.Tensor) -> list[torch.Tensor]:
    """The operator's gradients, its forward run again through ``AttentionDecoding`` with autograd:
    one for each tensor input that is present (``P, w_feed, w_hh, b_hh, memory, keys, w_c, w_q, v,
    feed0`` in that order), then the states' and the extras'."""
    inputs = [t for t in (P, w_feed, w_hh, b_hh, memory, keys, w_c, w_q, v, feed0, *states0, *extras) if t is not None]
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_() for t in inputs]
        grown = iter(leaves)
        again = [next(grown) if t is not None else None for t in (P, w_feed, w_hh, b_hh, memory, keys, w_c, w_q, v,
                                                                   feed0)]
        rest = list(grown)
        P_, w_feed_, w_hh_, b_hh_, memory_, keys_, w_c_, w_q_, v_, feed0_ = again
        out = AttentionDecoding.apply(get_cell(cell), score, P_, w_feed_, w_hh_, b_hh_, drop, memory_, keys_, mask,
                                      w_c_, w_q_, v_, feed0_, *rest)
        grads = torch.autograd.grad(out, leaves, [dfeeds, dalpha], allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for g, t in zip(grads, inputs)]


@attention_decoder_backward.register_fake
def _(cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, states0, extras, dfeeds,
      dalpha):
    return [torch.empty_like(t) for t in (P, w_feed, w_hh, b_hh, memory, keys, w_c, w_q, v, feed0, *states0, *extras)
            if t is not None]


def _save(ctx, inputs, output):
    cell, score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c, w_q, v, feed0, states0, extras = inputs
    ctx.cell, ctx.score, ctx.num_states = cell, score, len(states0)
    ctx.present = [t is not None for t in (b_hh, drop, keys, w_q, v)]
    ctx.save_for_backward(P, w_feed, w_hh, memory, mask, w_c, feed0, *(t for t in (b_hh, drop, keys, w_q, v)
                                                                         if t is not None), *states0, *extras)


def _backward(ctx, dfeeds, dalpha):
    P, w_feed, w_hh, memory, mask, w_c, feed0, *rest = ctx.saved_tensors
    b_hh, drop, keys, w_q, v = (rest.pop(0) if present else None for present in ctx.present)
    states0, extras = rest[: ctx.num_states], rest[ctx.num_states :]
    grads = iter(attention_decoder_backward(ctx.cell, ctx.score, P, w_feed, w_hh, b_hh, drop, memory, keys, mask, w_c,
                                            w_q, v, feed0, states0, extras, dfeeds, dalpha))
    dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0 = (
        next(grads) if t is not None else None for t in (P, w_feed, w_hh, b_hh, memory, keys, w_c, w_q, v, feed0))
    dstates = [next(grads) for _ in states0]
    return (None, None, dP, dw_feed, dw_hh, db_hh, None, dmemory, dkeys, None, dw_c, dw_q, dv, dfeed0, dstates,
            list(grads))


attention_decoder.register_autograd(_backward, setup_context=_save)
