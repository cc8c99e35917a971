"""The reference: each cell as the straightforward per-step autograd loop.

One ``F.linear`` on ``x_t`` and one on ``h_{t-1}`` per step, then the gate equations, with
autograd doing the backward.  Written independently of ``rnnkit.cells`` so that it can judge
the engine: used only by the tests and as the benchmark baseline.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LN_EPS = 1e-5


def _ln(v, weight, bias=None):
    return F.layer_norm(v, v.shape[-1:], weight, bias, eps=LN_EPS)


def _step(name, x_t, u, state, p):
    """One step of cell ``name`` from input ``x_t``, recurrent operand ``u`` and ``state``."""
    h_prev = state[0]
    if name == "lstm_ln":
        a = (_ln(F.linear(x_t, p["weight_ih"]), p["ln_ih_weight"])
             + _ln(F.linear(u, p["weight_hh"]), p["ln_hh_weight"]))
        if p.get("bias_ih") is not None:
            a = a + p["bias_ih"] + p["bias_hh"]
        i, f, g, o = a.chunk(4, -1)
        c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(_ln(c, p["ln_cell_weight"], p["ln_cell_bias"])), c
    xg = F.linear(x_t, p["weight_ih"], p.get("bias_ih"))
    if name == "gru_before":
        H = h_prev.shape[-1]
        w_hh, b_hh = p["weight_hh"], p.get("bias_hh")
        hrz = F.linear(u, w_hh[: 2 * H], None if b_hh is None else b_hh[: 2 * H])
        xr, xz, xn = xg.chunk(3, -1)
        r = torch.sigmoid(xr + hrz[..., :H])
        z = torch.sigmoid(xz + hrz[..., H:])
        n = torch.tanh(xn + F.linear(r * u, w_hh[2 * H :], None if b_hh is None else b_hh[2 * H :]))
        return ((1 - z) * n + z * h_prev,)
    hg = F.linear(u, p["weight_hh"], p.get("bias_hh"))
    if name in ("rnn_tanh", "rnn_relu"):
        a = xg + hg
        return (torch.tanh(a) if name == "rnn_tanh" else torch.relu(a),)
    if name == "lstm":
        i, f, g, o = (xg + hg).chunk(4, -1)
        c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    if name == "gru":
        xr, xz, xn = xg.chunk(3, -1)
        hr, hz, hn = hg.chunk(3, -1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return ((1 - z) * n + z * h_prev,)
    raise ValueError(f"unknown cell {name!r}")


def run(name, x, params, states0, *, mask=None, drop=None, reverse=False):
    """Same contract as ``rnnkit.engine.run``, with the cell named as ``Cell.name``."""
    T = x.shape[0]
    state = tuple(states0)
    outs = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        u = state[0] if drop is None else state[0] * drop
        new = _step(name, x[t], u, state, params)
        if mask is not None:
            outs[t] = new[0] * mask[t]
            new = tuple(torch.where(mask[t], n, s) for n, s in zip(new, state))
        else:
            outs[t] = new[0]
        state = new
    return torch.stack(outs), state


def attention_decoder(name, score, x, params, memory, mask, w_c, feed0, states0, *, w_key=None, b_key=None,
                      w_q=None, v=None, drop=None):
    """The input-feeding attention decoder (``rnnkit.engine.attention``) as the plain autograd loop:
    ``x [T, B, E]`` the (dropped-out) gold embeddings, ``params`` the decoder layer's with
    ``weight_ih [G*H, E + H]`` (embedding, then the fed attentional state); ``w_key``, ``b_key``
    the key projection (general: ``W``; additive: ``U``, ``b``).  Returns ``(h~, alpha)``."""
    keys = memory if score == "dot" else F.linear(memory, w_key, b_key)
    state, feed, outs, weights = tuple(states0), feed0, [], []
    for t in range(x.shape[0]):
        u = state[0] if drop is None else state[0] * drop[t]
        state = _step(name, torch.cat([x[t], feed], -1), u, state, params)
        s = state[0]
        if score == "additive":
            e = (torch.tanh(F.linear(s, w_q)[None] + keys) * v[0]).sum(-1)          # [S, B]
        else:
            e = (s[None] * keys).sum(-1)
        alpha = e.masked_fill(~mask, float("-inf")).softmax(0)
        context = (alpha[..., None] * memory).sum(0)
        feed = torch.tanh(F.linear(torch.cat([context, s], -1), w_c))
        outs.append(feed)
        weights.append(alpha.t())
    return torch.stack(outs), torch.stack(weights)
