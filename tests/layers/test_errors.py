"""Wrong shapes, dtypes and options are refused with messages naming expected and actual."""
import pytest
import torch

import rnnkit


def test_wrong_input_size_names_both_shapes():
    lstm = rnnkit.LSTM(10, 20)
    with pytest.raises(ValueError, match=r"expected \[time, batch, 10\].*got \[5, 3, 7\]"):
        lstm(torch.randn(5, 3, 7))


def test_batch_first_layout_in_message():
    gru = rnnkit.GRU(10, 20, batch_first=True)
    with pytest.raises(ValueError, match=r"\[batch, time, 10\].*got \[3, 5, 4\]"):
        gru(torch.randn(3, 5, 4))


def test_wrong_number_of_dimensions():
    with pytest.raises(ValueError, match=r"got \[2, 3, 4, 10\] \(4-D\)"):
        rnnkit.RNN(10, 20)(torch.randn(2, 3, 4, 10))


def test_wrong_dtype():
    with pytest.raises(TypeError, match=r"input dtype torch.float64 does not match the parameters' dtype torch.float32"):
        rnnkit.LSTM(4, 3)(torch.randn(5, 2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="dtype"):
        rnnkit.GRU(4, 3)(torch.randint(0, 3, (5, 2, 4)))


def test_wrong_hidden_shape():
    lstm = rnnkit.LSTM(4, 3, num_layers=2)
    x = torch.randn(5, 2, 4)
    with pytest.raises(ValueError, match=r"expected h_0 of shape \[2, 2, 3\].*got \[1, 2, 3\]"):
        lstm(x, (torch.zeros(1, 2, 3), torch.zeros(2, 2, 3)))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \[2, 2, 3\].*got \[2, 2, 4\]"):
        lstm(x, (torch.zeros(2, 2, 3), torch.zeros(2, 2, 4)))
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        lstm(x, torch.zeros(2, 2, 3))
    with pytest.raises(ValueError, match="unbatched 2-D input, h_0 must be 2-D"):
        rnnkit.GRU(4, 3)(torch.randn(5, 4), torch.zeros(1, 1, 3))


def test_bad_lengths():
    rnn = rnnkit.RNN(4, 3)
    x = torch.randn(5, 2, 4)
    with pytest.raises(ValueError, match=r"expected shape \[2\], got \[3\]"):
        rnn(x, lengths=torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[0, 5\].*max 6"):
        rnn(x, lengths=torch.tensor([6, 2]))
    with pytest.raises(TypeError, match="integer"):
        rnn(x, lengths=torch.tensor([1.0, 2.0]))
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 2]))
    with pytest.raises(ValueError, match="PackedSequence or lengths="):
        rnn(packed, lengths=torch.tensor([5, 2]))


def test_empty_input():
    with pytest.raises(ValueError, match="empty"):
        rnnkit.LSTM(4, 3)(torch.randn(0, 2, 4))


@pytest.mark.parametrize("kwargs,match", [
    (dict(dropout=1.5), "dropout must be a probability"),
    (dict(recurrent_dropout=1.0), "recurrent_dropout must be a probability"),
    (dict(merge="avg"), "merge must be one of"),
    (dict(backend="cuda"), "backend must be one of"),
    (dict(num_layers=0), "num_layers must be a positive int"),
    (dict(layer_norm=True, backend="torch"), "backend='torch'.*lstm_ln"),
    (dict(recurrent_dropout=0.2, backend="torch"), "backend='torch'.*recurrent_dropout"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rnnkit.LSTM(4, 3, **kwargs)


def test_bad_cell_options():
    with pytest.raises(ValueError, match="reset must be 'after' or 'before'"):
        rnnkit.GRU(4, 3, reset="middle")
    with pytest.raises(ValueError, match="nonlinearity"):
        rnnkit.RNN(4, 3, nonlinearity="sigmoid")


def test_step_cell_errors():
    cell = rnnkit.LSTMCell(4, 3)
    with pytest.raises(ValueError, match=r"expected input of shape \[batch, 4\], got \[2, 5\]"):
        cell(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"expected hidden state of shape \[2, 3\], got \[2, 4\]"):
        cell(torch.randn(2, 4), (torch.zeros(2, 4), torch.zeros(2, 4)))
    with pytest.raises(TypeError, match="dtype"):
        cell(torch.randn(2, 4, dtype=torch.float64))


def test_the_old_name_of_the_torch_backend_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="backend='native' is now backend='torch'"):
        layer = rnnkit.GRU(3, 4, backend="native")
    assert layer.backend == "torch" and layer.uses_torch_kernel(torch.randn(5, 2, 3), None)
