"""The GRU (Cho et al. 2014) in its two forms.

Gates in torch's order ``[r, z, n]``; the state update is the same in both forms:
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    h_t = (1 - z) * n + z * h_{t-1}

``GRU`` ("gru", torch/cuDNN):                n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
``GRUResetBefore`` ("gru_before", Cho et al.): n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)

Backward, common part:
    da_z = dh_t * (h_{t-1} - n) * z (1 - z)      da_n = dh_t * (1 - z) * (1 - n^2)
    dh_{t-1} = dh_t * z + (gradient through the recurrent products)
"gru":           da_r = da_n * (W_hn h + b_hn) * r (1 - r); the recurrent product's
                 gradient is ``[da_r, da_z, da_n * r]``
"gru_before":    dv = da_n W_hn with ``v = r * h``; da_r = dv * h * r (1 - r);
                 dh_{t-1} += dv * r + [da_r, da_z] W_h{r,z}
"""
from __future__ import annotations

import torch

from rnnkit.cells.base import Cell, flat, sigmoid_grad, tanh_grad


class _GRU(Cell):
    """What both forms share: gates ``[r, z, n]`` and the state update."""
    family = "GRU"
    native = True
    gate_names = ("r", "z", "n")
    num_gates = 3
    num_states = 1

    def buffers(self, T, B, H, like):
        return {"gates": like.new_empty(T, B, 3 * H), "hn_or_v": like.new_empty(T, B, H)}

    @staticmethod
    def _update(a, h_prev, h, H):
        """``h_t = (1 - z) * n + z * h_{t-1}`` into ``h``."""
        n, z = a[:, 2 * H :], a[:, H : 2 * H]
        torch.addcmul(n, z, h_prev - n, out=h)

    @staticmethod
    def _update_backward(buf, t, dh, h_prev, dxg_t):
        """``da_z``, ``da_n`` into ``dxg_t``; the gates ``r, z, n`` and ``da_n`` for the rest."""
        r, z, n = buf["gates"][t].chunk(3, dim=1)
        _, da_z, da_n = dxg_t.chunk(3, dim=1)
        torch.mul(dh * (h_prev - n), sigmoid_grad(z), out=da_z)
        torch.mul(dh * (1 - z), tanh_grad(n), out=da_n)
        return r, z, da_n


class GRU(_GRU):
    """Reset after the recurrent product (torch/cuDNN): ``n = tanh(x_n + r * (W_hn h + b_hn))``.
    ``b_hn`` is multiplied by ``r``, so ``bias_hh`` stays inside the step."""
    name = "gru"
    folds_recurrent_bias = False

    def backward_buffers(self, T, B, H, like):
        return {"dhg": like.new_empty(T, B, 3 * H)}   # the gradient of W_hh h + b_hh

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        (h_prev,), (h,) = prev, new
        H = h.shape[-1]
        a = buf["gates"][t]
        hg = u.mm(w_hh.t()) if b_hh is None else torch.addmm(b_hh, u, w_hh.t())
        torch.add(xg_t[:, : 2 * H], hg[:, : 2 * H], out=a[:, : 2 * H]).sigmoid_()
        hn = buf["hn_or_v"][t]
        hn.copy_(hg[:, 2 * H :])
        torch.addcmul(xg_t[:, 2 * H :], a[:, :H], hn, out=a[:, 2 * H :]).tanh_()
        self._update(a, h_prev, h, H)

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        (dh,), (h_prev,) = dnew, prev
        H = dh.shape[-1]
        r, z, da_n = self._update_backward(buf, t, dh, h_prev, dxg_t)
        torch.mul(da_n * buf["hn_or_v"][t], sigmoid_grad(r), out=dxg_t[:, :H])
        dhg = bbuf["dhg"][t]
        dhg[:, : 2 * H].copy_(dxg_t[:, : 2 * H])
        torch.mul(da_n, r, out=dhg[:, 2 * H :])
        return (dh * z,), dhg.mm(w_hh)

    def param_grads(self, buf, bbuf, dxg, U, b_hh, extras):
        dhg = flat(bbuf["dhg"])
        return dhg.t().mm(flat(U)), dhg.sum(0), ()


class GRUResetBefore(_GRU):
    """Reset before the recurrent product (Cho et al. 2014): ``n = tanh(x_n + W_hn (r * h) + b_hn)``;
    a second product per step, after ``r`` is known."""
    name = "gru_before"

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        (h_prev,), (h,) = prev, new
        H = h.shape[-1]
        a = buf["gates"][t]
        torch.addmm(xg_t[:, : 2 * H], u, w_hh[: 2 * H].t(), out=a[:, : 2 * H]).sigmoid_()
        v = torch.mul(a[:, :H], u, out=buf["hn_or_v"][t])
        torch.addmm(xg_t[:, 2 * H :], v, w_hh[2 * H :].t(), out=a[:, 2 * H :]).tanh_()
        self._update(a, h_prev, h, H)

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        (dh,), (h_prev,) = dnew, prev
        H = dh.shape[-1]
        r, z, da_n = self._update_backward(buf, t, dh, h_prev, dxg_t)
        dv = da_n.mm(w_hh[2 * H :])
        torch.mul(dv * u, sigmoid_grad(r), out=dxg_t[:, :H])
        return (dh * z,), torch.addmm(dv * r, dxg_t[:, : 2 * H], w_hh[: 2 * H])

    def param_grads(self, buf, bbuf, dxg, U, b_hh, extras):
        H = U.shape[-1]
        dxg = flat(dxg)
        dw_rz = dxg[:, : 2 * H].t().mm(flat(U))
        dw_n = dxg[:, 2 * H :].t().mm(flat(buf["hn_or_v"]))
        return torch.cat([dw_rz, dw_n]), None, ()
