"""What rnnkit's layers add to torch.nn: recurrent dropout, LayerNorm LSTM, the Cho GRU, sum merge."""
import pytest
import torch

import rnnkit
from rnnkit import engine
from rnnkit.engine import oracle

T, B, D, H = 6, 3, 4, 5


def test_layer_norm_parameters_only_when_asked():
    plain = rnnkit.LSTM(D, H, num_layers=2, bidirectional=True)
    ln = rnnkit.LSTM(D, H, num_layers=2, bidirectional=True, layer_norm=True)
    extra = set(dict(ln.named_parameters())) - set(dict(plain.named_parameters()))
    assert extra == {f"{n}_l{l}{s}" for n in ("ln_ih_weight", "ln_hh_weight", "ln_cell_weight", "ln_cell_bias")
                     for l in (0, 1) for s in ("", "_reverse")}
    assert ln.ln_hh_weight_l1_reverse.shape == (4 * H,) and ln.ln_cell_bias_l0.shape == (H,)
    assert torch.equal(ln.ln_cell_weight_l0, torch.ones(H)) and torch.equal(ln.ln_cell_bias_l0, torch.zeros(H))


@pytest.mark.parametrize("make", [
    lambda: rnnkit.LSTM(D, H, num_layers=2, bidirectional=True, layer_norm=True, dtype=torch.float64),
    lambda: rnnkit.GRU(D, H, num_layers=2, bidirectional=True, reset="before", dtype=torch.float64),
    lambda: rnnkit.GRU(D, H, num_layers=2, bidirectional=True, merge="sum", dtype=torch.float64),
    lambda: rnnkit.RNN(D, H, num_layers=2, bidirectional=True, nonlinearity="relu", bias=False, dtype=torch.float64),
], ids=["lstm_ln", "gru_before", "gru_sum", "rnn_relu_nobias"])
def test_layer_matches_a_stack_of_oracle_loops(make):
    """The layer's stacking, directions and merging, checked against oracle loops composed by hand."""
    layer = make()
    x = torch.randn(T, B, D, dtype=torch.float64)
    lengths = torch.tensor([6, 2, 4])
    out, hn = layer(x, lengths=lengths)
    mask = engine.lengths_to_mask(lengths, T)
    ns = layer.cell.num_states
    inp, finals = x, []
    for l in range(2):
        outs = []
        for d in range(2):
            p = layer.layer_params(2 * l + d)
            s0 = tuple(torch.zeros(B, H, dtype=torch.float64) for _ in range(ns))
            o, f = oracle.run(layer.cell.name, inp, p, s0, mask=mask, reverse=d == 1)
            outs.append(o)
            finals.append(f)
        inp = torch.cat(outs, -1) if layer.merge == "concat" else outs[0] + outs[1]
    torch.testing.assert_close(out, inp, atol=1e-10, rtol=0)
    hn = hn if isinstance(hn, tuple) else (hn,)
    for k in range(ns):
        torch.testing.assert_close(hn[k], torch.stack([f[k] for f in finals]), atol=1e-10, rtol=0)


def test_reset_before_differs_from_after():
    torch.manual_seed(0)
    after = rnnkit.GRU(D, H)
    before = rnnkit.GRU(D, H, reset="before")
    before.load_state_dict(after.state_dict())
    x = torch.randn(T, B, D)
    assert not torch.allclose(after(x)[0], before(x)[0], atol=1e-4)


def test_merge_sum_shapes():
    gru = rnnkit.GRU(D, H, num_layers=2, bidirectional=True, merge="sum")
    assert gru.weight_ih_l1.shape == (3 * H, H)
    out, hn = gru(torch.randn(T, B, D))
    assert out.shape == (T, B, H) and hn.shape == (4, B, H)


def test_recurrent_dropout_is_variational_and_training_only():
    lstm = rnnkit.LSTM(D, H, recurrent_dropout=0.5)
    x = torch.randn(T, B, D)
    lstm.eval()
    torch.testing.assert_close(lstm(x)[0], lstm(x)[0])
    reference = rnnkit.LSTM(D, H)
    reference.load_state_dict(lstm.state_dict())
    reference.eval()
    torch.testing.assert_close(lstm(x)[0], reference(x)[0])
    lstm.train()
    torch.manual_seed(1)
    a = lstm(x)[0]
    torch.manual_seed(2)
    b = lstm(x)[0]
    assert not torch.allclose(a, b)
    # one mask per sequence: reproduce the training forward with an explicit mask
    torch.manual_seed(1)
    keep = torch.empty(B, H).bernoulli_(0.5).div_(0.5)
    want, _ = engine.run(lstm.cell, x, lstm.layer_params(0), (torch.zeros(B, H), torch.zeros(B, H)), drop=keep)
    torch.testing.assert_close(a, want)


def test_auto_picks_the_faster_path():
    x = torch.randn(T, B, D)
    assert rnnkit.LSTM(D, H).uses_torch_kernel(x, None)                 # oneDNN's fused LSTM
    one_step = torch.randn(1, 2, D)
    assert rnnkit.LSTM(D, H).uses_torch_kernel(one_step, None) != engine.native.usable(one_step)
    assert not rnnkit.LSTM(D, H, backend="engine").uses_torch_kernel(x, None)
    assert rnnkit.GRU(D, H, backend="torch").uses_torch_kernel(x, None)
    assert not rnnkit.LSTM(D, H, layer_norm=True).uses_torch_kernel(x, None)
    assert not rnnkit.GRU(D, H, reset="before").uses_torch_kernel(x, None)
    dropped = rnnkit.LSTM(D, H, recurrent_dropout=0.1)
    assert not dropped.uses_torch_kernel(x, None)
    assert dropped.eval().uses_torch_kernel(x, None)                    # no dropout in eval mode
    assert not rnnkit.RNN(D, H, backend="torch").uses_torch_kernel(x, torch.tensor([3, 0, 1]))
    if engine.native.usable(x):                                   # torch's CPU GRU/RNN are op loops
        assert not rnnkit.GRU(D, H).uses_torch_kernel(x, None)
        assert not rnnkit.RNN(D, H).uses_torch_kernel(x, None)


def test_zero_length_sequences_keep_their_initial_state():
    gru = rnnkit.GRU(D, H)
    h0 = torch.randn(1, B, H)
    out, hn = gru(torch.randn(T, B, D), h0, lengths=torch.tensor([0, 6, 0]))
    torch.testing.assert_close(hn[0, [0, 2]], h0[0, [0, 2]])
    assert (out[:, [0, 2]] == 0).all()
