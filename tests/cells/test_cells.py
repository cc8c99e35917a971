"""The cell families' own pieces: construction and the LayerNorm backward."""
import pytest
import torch

from rnnkit.cells import GRU, LSTM, Elman, LayerNormLSTM, make_cell
from rnnkit.cells.lstm import normalize, normalize_backward


def test_make_cell_routes_every_form():
    assert isinstance(make_cell("RNN", nonlinearity="relu"), Elman)
    assert type(make_cell("LSTM")) is LSTM
    assert isinstance(make_cell("LSTM", layer_norm=True), LayerNormLSTM)
    assert make_cell("GRU", reset="before").name == "gru_before"
    assert not make_cell("GRU").folds_recurrent_bias and make_cell("GRU", reset="before").folds_recurrent_bias
    with pytest.raises(ValueError, match="unknown recurrent mode"):
        make_cell("TRANSFORMER")


def test_gate_counts_match_weight_blocks():
    assert (Elman().num_gates, LSTM().num_gates, GRU().num_gates) == (1, 4, 3)
    assert LSTM().gate_names == ("i", "f", "g", "o") and GRU().gate_names == ("r", "z", "n")
    assert set(LayerNormLSTM().recurrent_extras) < set(LayerNormLSTM().extra_params)


def test_normalize_backward_matches_autograd():
    v = torch.randn(4, 12, dtype=torch.float64, requires_grad=True)
    vhat, rstd = torch.empty(4, 12, dtype=torch.float64), torch.empty(4, 1, dtype=torch.float64)
    normalize(v.detach(), vhat, rstd)
    torch.testing.assert_close(vhat, torch.nn.functional.layer_norm(v, (12,)).detach(), atol=1e-6, rtol=0)
    g = torch.randn(4, 12, dtype=torch.float64)
    want, = torch.autograd.grad(torch.nn.functional.layer_norm(v, (12,)), v, g)
    torch.testing.assert_close(normalize_backward(g, vhat, rstd), want, atol=1e-6, rtol=0)
