"""trace() agrees with forward() and with the cell equations."""
import pytest
import torch

import rnnkit

T, B, D, H = 7, 3, 4, 5
LENGTHS = torch.tensor([7, 3, 5])


def layers():
    return {
        "lstm": rnnkit.LSTM(D, H, num_layers=2, bidirectional=True),
        "lstm_ln": rnnkit.LSTM(D, H, num_layers=2, bidirectional=True, layer_norm=True),
        "gru": rnnkit.GRU(D, H, num_layers=2, bidirectional=True),
        "gru_before": rnnkit.GRU(D, H, num_layers=2, bidirectional=True, reset="before"),
        "rnn": rnnkit.RNN(D, H, num_layers=2, bidirectional=True),
    }


@pytest.mark.parametrize("name", ["lstm", "lstm_ln", "gru", "gru_before", "rnn"])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_trace_matches_forward(name, with_lengths):
    layer = layers()[name]
    x = torch.randn(T, B, D)
    lengths = LENGTHS if with_lengths else None
    out, hn = layer(x, lengths=lengths)
    tr = layer.trace(x, lengths=lengths)
    assert tr.h.shape == (4, T, B, H)
    # the last layer's two directions, concatenated, are the output
    torch.testing.assert_close(torch.cat([tr.h[2], tr.h[3]], -1), out.detach())
    h_n = hn[0] if isinstance(hn, tuple) else hn
    last = (LENGTHS - 1) if with_lengths else torch.full((B,), T - 1)
    for k in range(4):
        step = last if k % 2 == 0 else torch.zeros(B, dtype=torch.long)
        torch.testing.assert_close(tr.h[k][step, torch.arange(B)], h_n[k].detach())
    expected_gates = {"lstm": "ifgo", "lstm_ln": "ifgo", "gru": "rzn", "gru_before": "rzn", "rnn": ""}[name]
    assert tuple(tr.gates) == tuple(expected_gates)
    for g in tr.gates.values():
        assert g.shape == tr.h.shape
    if with_lengths:
        pad = torch.arange(T)[:, None] >= LENGTHS[None, :]
        for t in [tr.h, *tr.gates.values()] + ([tr.c] if tr.c is not None else []):
            assert (t[:, pad] == 0).all()


def test_lstm_trace_obeys_the_cell_equations():
    layer = rnnkit.LSTM(D, H)
    x = torch.randn(T, B, D)
    tr = layer.trace(x)
    i, f, g, o = (tr.gates[k][0] for k in "ifgo")
    c, h = tr.c[0], tr.h[0]
    c_prev = torch.cat([torch.zeros(1, B, H), c[:-1]])
    torch.testing.assert_close(c, f * c_prev + i * g)
    torch.testing.assert_close(h, o * torch.tanh(c))
    assert ((i > 0) & (i < 1) & (f > 0) & (f < 1) & (o > 0) & (o < 1)).all()
    assert (g.abs() < 1).all()


@pytest.mark.parametrize("reset", ["after", "before"])
def test_gru_trace_obeys_the_update(reset):
    layer = rnnkit.GRU(D, H, reset=reset)
    x = torch.randn(T, B, D)
    h0 = torch.randn(1, B, H)
    tr = layer.trace(x, h0)
    z, n, h = tr.gates["z"][0], tr.gates["n"][0], tr.h[0]
    h_prev = torch.cat([h0, h[:-1]])
    torch.testing.assert_close(h, (1 - z) * n + z * h_prev)


def test_trace_unbatched_and_no_autograd():
    layer = rnnkit.LSTM(D, H, num_layers=2)
    tr = layer.trace(torch.randn(T, D))
    assert tr.h.shape == (2, T, H) and tr.c.shape == (2, T, H) and tr.gates["f"].shape == (2, T, H)
    assert not tr.h.requires_grad
    assert "gates: i, f, g, o" in repr(tr)
