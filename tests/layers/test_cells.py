"""Step cells against torch.nn's cells: outputs and every gradient."""
import pytest
import torch

import rnnkit

PAIRS = {
    "rnn_tanh": (rnnkit.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (rnnkit.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (rnnkit.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (rnnkit.GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_step_cell_parity(name, bias, batched, with_hx):
    ours_cls, torch_cls, options = PAIRS[name]
    torch.manual_seed(5)
    ref = torch_cls(6, 4, bias=bias, **options)
    torch.manual_seed(5)
    ours = ours_cls(6, 4, bias=bias, **options)
    for a, b in zip(ours.state_dict().values(), ref.state_dict().values()):
        assert torch.equal(a, b)
    x = torch.randn(3, 6) if batched else torch.randn(6)
    shape = (3, 4) if batched else (4,)
    hx = None
    if with_hx:
        hx = (torch.randn(shape), torch.randn(shape)) if name == "lstm" else torch.randn(shape)
    # two steps, so the state feeds back
    out_o = ours(x, ours(x, hx))
    out_r = ref(x, ref(x, hx))
    out_o, out_r = (out_o if isinstance(out_o, tuple) else (out_o,)), (out_r if isinstance(out_r, tuple) else (out_r,))
    for a, b in zip(out_o, out_r, strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)
    loss_o = sum((a * (k + 1)).sum() for k, a in enumerate(out_o))
    loss_r = sum((a * (k + 1)).sum() for k, a in enumerate(out_r))
    for a, b in zip(torch.autograd.grad(loss_o, list(ours.parameters())),
                    torch.autograd.grad(loss_r, list(ref.parameters()))):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)


def test_cell_extras_match_the_layer():
    """LSTMCell(layer_norm=True) and GRUCell(reset="before") step exactly as their layers."""
    for cell, layer in [(rnnkit.LSTMCell(5, 4, layer_norm=True), rnnkit.LSTM(5, 4, layer_norm=True)),
                        (rnnkit.GRUCell(5, 4, reset="before"), rnnkit.GRU(5, 4, reset="before"))]:
        layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()}, strict=True)
        x = torch.randn(3, 2, 5)
        out, _ = layer(x)
        state = None
        for t in range(3):
            state = cell(x[t], state)
            h = state[0] if isinstance(state, tuple) else state
            torch.testing.assert_close(h, out[t])
