"""The GRU (Cho et al. 2014) in its two forms.

Gates in torch's order ``[r, z, n]``; the state update is the same in both forms:
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    h_t = (1 - z) * n + z * h_{t-1}

``reset="after"`` (torch/cuDNN):   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
``reset="before"`` (Cho et al.):   n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)

Backward, common part:
    da_z = dh_t * (h_{t-1} - n) * z (1 - z)      da_n = dh_t * (1 - z) * (1 - n^2)
    dh_{t-1} = dh_t * z + (gradient through the recurrent products)
reset="after":   da_r = da_n * (W_hn h + b_hn) * r (1 - r); the recurrent product's
                 gradient is ``[da_r, da_z, da_n * r]``
reset="before":  dv = da_n W_hn with ``v = r * h``; da_r = dv * h * r (1 - r);
                 dh_{t-1} += dv * r + [da_r, da_z] W_h{r,z}
"""
from __future__ import annotations

import torch

from rnnkit.cells.base import Cell, _flat, sigmoid_grad, tanh_grad

RESETS = ("after", "before")


class GRU(Cell):
    gate_names = ("r", "z", "n")
    num_gates = 3
    num_states = 1

    def __init__(self, reset: str = "after"):
        if reset not in RESETS:
            raise ValueError(f"reset must be 'after' or 'before', got {reset!r}")
        self.reset = reset
        self.name = f"gru_{reset}"
        # reset="after" multiplies b_hn by r, so bias_hh stays inside the step
        self.folds_recurrent_bias = reset == "before"

    def buffers(self, T, B, H, like):
        # "after": the recurrent product of the n block, W_hn h + b_hn;  "before": v = r * h
        return {"gates": like.new_empty(T, B, 3 * H), "hn_or_v": like.new_empty(T, B, H)}

    def backward_buffers(self, T, B, H, like):
        # "after": the gradient of the whole recurrent product [W_hh h + b_hh]
        return {"dhg": like.new_empty(T, B, 3 * H)} if self.reset == "after" else {}

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        (h_prev,), (h,) = prev, new
        H = h.shape[-1]
        a = buf["gates"][t]
        rz, n = a[:, : 2 * H], a[:, 2 * H :]
        if self.reset == "after":
            hg = u.mm(w_hh.t()) if b_hh is None else torch.addmm(b_hh, u, w_hh.t())
            torch.add(xg_t[:, : 2 * H], hg[:, : 2 * H], out=rz).sigmoid_()
            hn = buf["hn_or_v"][t]
            hn.copy_(hg[:, 2 * H :])
            torch.addcmul(xg_t[:, 2 * H :], a[:, :H], hn, out=n).tanh_()
        else:
            torch.addmm(xg_t[:, : 2 * H], u, w_hh[: 2 * H].t(), out=rz).sigmoid_()
            v = torch.mul(a[:, :H], u, out=buf["hn_or_v"][t])
            torch.addmm(xg_t[:, 2 * H :], v, w_hh[2 * H :].t(), out=n).tanh_()
        z = a[:, H : 2 * H]
        torch.addcmul(n, z, h_prev - n, out=h)

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        (dh,), (h_prev,) = dnew, prev
        H = dh.shape[-1]
        r, z, n = buf["gates"][t].chunk(3, dim=1)
        da_r, da_z, da_n = dxg_t.chunk(3, dim=1)
        torch.mul(dh * (h_prev - n), sigmoid_grad(z), out=da_z)
        torch.mul(dh * (1 - z), tanh_grad(n), out=da_n)
        if self.reset == "after":
            torch.mul(da_n * buf["hn_or_v"][t], sigmoid_grad(r), out=da_r)
            dhg = bbuf["dhg"][t]
            dhg[:, : 2 * H].copy_(dxg_t[:, : 2 * H])
            torch.mul(da_n, r, out=dhg[:, 2 * H :])
            du = dhg.mm(w_hh)
        else:
            dv = da_n.mm(w_hh[2 * H :])
            torch.mul(dv * u, sigmoid_grad(r), out=da_r)
            du = torch.addmm(dv * r, dxg_t[:, : 2 * H], w_hh[: 2 * H])
        return (dh * z,), du

    def param_grads(self, buf, bbuf, dxg, U, b_hh, extras):
        if self.reset == "after":
            dhg = _flat(bbuf["dhg"])
            return dhg.t().mm(_flat(U)), dhg.sum(0), ()
        H = U.shape[-1]
        dxg = _flat(dxg)
        dw_rz = dxg[:, : 2 * H].t().mm(_flat(U))
        dw_n = dxg[:, 2 * H :].t().mm(_flat(buf["hn_or_v"]))
        return torch.cat([dw_rz, dw_n]), None, ()
