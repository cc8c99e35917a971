"""The LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000) and
the LayerNorm LSTM (Ba, Kiros & Hinton 2016).

Gates in torch's order, from ``a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``:
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Backward, with ``dc`` the total gradient reaching ``c_t``:
    dc   = dc_{t} + dh_t * o * (1 - tanh(c_t)^2)
    da_o = dh_t * tanh(c_t) * o (1 - o)
    da_i = dc * g * i (1 - i)      da_f = dc * c_{t-1} * f (1 - f)      da_g = dc * i * (1 - g^2)
    dc_{t-1} = dc * f              dh_{t-1} = da W_hh

LayerNorm LSTM (Ba et al. 2016, eq. 20-22): the input and recurrent pre-activations are
normalised separately over their 4H units, and the cell before its tanh:
    a_t = LN(W_ih x_t; g_ih) + LN(W_hh h_{t-1}; g_hh) + b
    h_t = o * tanh(LN(c_t; g_c, b_c))
``LN(v; g, b) = g * (v - mean(v)) / sqrt(var(v) + eps) + b``.  The shift ``b`` of the gates
is ``bias_ih + bias_hh`` (the LayerNorm shifts of the two pre-activations would only
duplicate it), so the extra parameters are the gains ``ln_ih_weight``, ``ln_hh_weight``
(4H each) and the cell's ``ln_cell_weight``, ``ln_cell_bias`` (H each).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from rnnkit.cells.base import Cell, flat, sigmoid_grad, tanh_grad

LN_EPS = 1e-5


def activate_gates(a: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """In place: ``a = [a_i, a_f, a_g, a_o] -> [i, f, g, o]``; returns the four views."""
    H = a.shape[-1] // 4
    a[:, : 2 * H].sigmoid_()
    a[:, 2 * H : 3 * H].tanh_()
    a[:, 3 * H :].sigmoid_()
    return a.chunk(4, dim=1)


def gates_backward(gates, dc, dh, tanh_c, c_prev, da):
    """Fill ``da`` (gradient of the 4H pre-activations) from the gradient ``dc`` reaching
    ``c_t`` (already including the path through ``h_t``) and ``dh``; return ``dc_{t-1}``."""
    i, f, g, o = gates.chunk(4, dim=1)
    da_i, da_f, da_g, da_o = da.chunk(4, dim=1)
    torch.mul(dh * tanh_c, sigmoid_grad(o), out=da_o)
    torch.mul(dc * g, sigmoid_grad(i), out=da_i)
    torch.mul(dc * c_prev, sigmoid_grad(f), out=da_f)
    torch.mul(dc * i, tanh_grad(g), out=da_g)
    return dc * f


class LSTM(Cell):
    name = "lstm"
    family = "LSTM"
    native = True
    gate_names = ("i", "f", "g", "o")
    num_gates = 4
    num_states = 2

    def buffers(self, T, B, H, like):
        return {"gates": like.new_empty(T, B, 4 * H), "tanh_c": like.new_empty(T, B, H)}

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        _, c_prev = prev
        h, c = new
        a = torch.addmm(xg_t, u, w_hh.t(), out=buf["gates"][t])
        i, f, g, o = activate_gates(a)
        torch.addcmul(f * c_prev, i, g, out=c)
        tanh_c = torch.tanh(c, out=buf["tanh_c"][t])
        torch.mul(o, tanh_c, out=h)

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        dh, dc = dnew
        gates, tanh_c = buf["gates"][t], buf["tanh_c"][t]
        o = gates[:, 3 * tanh_c.shape[-1] :]
        dc = dc + dh * o * tanh_grad(tanh_c)
        dc_prev = gates_backward(gates, dc, dh, tanh_c, prev[1], dxg_t)
        return (None, dc_prev), dxg_t.mm(w_hh)


def normalize(v: torch.Tensor, vhat: torch.Tensor, rstd: torch.Tensor) -> torch.Tensor:
    """LayerNorm without affine over the last dim: writes ``vhat`` and ``rstd``."""
    var, mean = torch.var_mean(v, dim=-1, keepdim=True, correction=0)
    torch.rsqrt(var + LN_EPS, out=rstd)
    return torch.mul(v - mean, rstd, out=vhat)


def normalize_backward(dvhat: torch.Tensor, vhat: torch.Tensor, rstd: torch.Tensor) -> torch.Tensor:
    """Gradient through ``vhat = (v - mean) * rstd``: ``rstd (dvhat - mean(dvhat) - vhat mean(dvhat vhat))``."""
    return rstd * (dvhat - dvhat.mean(-1, keepdim=True) - vhat * (dvhat * vhat).mean(-1, keepdim=True))


class LayerNormLSTM(LSTM):
    name = "lstm_ln"
    extra_params = ("ln_ih_weight", "ln_hh_weight", "ln_cell_weight", "ln_cell_bias")
    recurrent_extras = ("ln_hh_weight", "ln_cell_weight", "ln_cell_bias")

    def extra_shapes(self, hidden_size):
        H = hidden_size
        return {"ln_ih_weight": (4 * H,), "ln_hh_weight": (4 * H,),
                "ln_cell_weight": (H,), "ln_cell_bias": (H,)}

    def project_input(self, x, p, linear=F.linear):
        bias = p["bias_ih"] + p["bias_hh"] if p.get("bias_ih") is not None else None
        return F.layer_norm(linear(x, p["weight_ih"]), p["ln_ih_weight"].shape, p["ln_ih_weight"], bias, eps=LN_EPS)

    def buffers(self, T, B, H, like):
        return {"gates": like.new_empty(T, B, 4 * H), "tanh_c": like.new_empty(T, B, H),
                "hhat": like.new_empty(T, B, 4 * H), "rstd_h": like.new_empty(T, B, 1),
                "chat": like.new_empty(T, B, H), "rstd_c": like.new_empty(T, B, 1)}

    def backward_buffers(self, T, B, H, like):
        # gradient of the un-normalised recurrent product (for dW_hh) and of LN(c)'s output
        return {"dhg": like.new_empty(T, B, 4 * H), "dcn": like.new_empty(T, B, H)}

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        g_hh, g_c, b_c = extras
        _, c_prev = prev
        h, c = new
        hhat = normalize(u.mm(w_hh.t()), buf["hhat"][t], buf["rstd_h"][t])
        a = torch.addcmul(xg_t, hhat, g_hh, out=buf["gates"][t])
        i, f, g, o = activate_gates(a)
        torch.addcmul(f * c_prev, i, g, out=c)
        chat = normalize(c, buf["chat"][t], buf["rstd_c"][t])
        tanh_c = torch.addcmul(b_c, chat, g_c, out=buf["tanh_c"][t]).tanh_()
        torch.mul(o, tanh_c, out=h)

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        g_hh, g_c, _ = extras
        dh, dc = dnew
        gates, tanh_c = buf["gates"][t], buf["tanh_c"][t]
        o = gates[:, 3 * tanh_c.shape[-1] :]
        dcn = torch.mul(dh * o, tanh_grad(tanh_c), out=bbuf["dcn"][t])
        dc = dc + normalize_backward(dcn * g_c, buf["chat"][t], buf["rstd_c"][t])
        dc_prev = gates_backward(gates, dc, dh, tanh_c, prev[1], dxg_t)
        dhg = bbuf["dhg"][t]
        dhg.copy_(normalize_backward(dxg_t * g_hh, buf["hhat"][t], buf["rstd_h"][t]))
        return (None, dc_prev), dhg.mm(w_hh)

    def param_grads(self, buf, bbuf, dxg, U, b_hh, extras):
        dw_hh = flat(bbuf["dhg"]).t().mm(flat(U))
        dg_hh = (flat(dxg) * flat(buf["hhat"])).sum(0)
        dcn = flat(bbuf["dcn"])
        dg_c = (dcn * flat(buf["chat"])).sum(0)
        return dw_hh, None, (dg_hh, dg_c, dcn.sum(0))
