"""Recurrent layers exported to ONNX (``rnnkit.layers.onnx``) and run by onnxruntime: the same
outputs and final states as rnnkit to 1e-5, for every cell (the LayerNorm LSTM, which has no ONNX
operator, as a Scan over the steps), one and two layers, both directions, at three sequence
lengths and two batch sizes, padded."""
import pytest
import torch

import rnnkit
from rnnkit.layers.onnx import export_layer

ort = pytest.importorskip("onnxruntime")

D, H = 5, 7
LAYERS = {
    "lstm": lambda **o: rnnkit.LSTM(D, H, **o),
    "lstm_ln": lambda **o: rnnkit.LSTM(D, H, layer_norm=True, **o),
    "gru": lambda **o: rnnkit.GRU(D, H, **o),
    "gru_before": lambda **o: rnnkit.GRU(D, H, reset="before", **o),
    "rnn_tanh": lambda **o: rnnkit.RNN(D, H, **o),
    "rnn_relu": lambda **o: rnnkit.RNN(D, H, nonlinearity="relu", **o),
}


def run_onnx(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {k: v.numpy() for k, v in feeds.items()})


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)], ids=["1-forward", "2-bidirectional"])
def test_onnxruntime_gives_rnnkit_outputs_with_padding(name, num_layers, bidirectional, tmp_path):
    torch.manual_seed(0)
    layer = LAYERS[name](num_layers=num_layers, bidirectional=bidirectional).eval()
    model = export_layer(layer, tmp_path / "layer.onnx")
    assert (tmp_path / "layer.onnx").stat().st_size > 0
    for T in (1, 6, 11):
        for B in (1, 4):
            x = torch.randn(T, B, D)
            lengths = torch.tensor([T, max(1, T - 3), max(1, T // 2), 1][:B])
            with torch.no_grad():
                out, finals = layer(x, lengths=lengths)
            finals = finals if isinstance(finals, tuple) else (finals,)
            got = run_onnx(model, {"input": x, "lengths": lengths})
            for ours, theirs in zip((out, *finals), got):
                torch.testing.assert_close(torch.from_numpy(theirs), ours, atol=1e-5, rtol=1e-5)


def test_batch_first_no_bias_and_summed_directions(tmp_path):
    torch.manual_seed(1)
    layer = rnnkit.GRU(D, H, num_layers=2, bidirectional=True, batch_first=True, bias=False, merge="sum").eval()
    x, lengths = torch.randn(3, 8, D), torch.tensor([8, 2, 5])
    with torch.no_grad():
        out, h_n = layer(x, lengths=lengths)
    got_out, got_h = run_onnx(export_layer(layer), {"input": x, "lengths": lengths})
    torch.testing.assert_close(torch.from_numpy(got_out), out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(torch.from_numpy(got_h), h_n, atol=1e-5, rtol=1e-5)
    whole = export_layer(layer, lengths=False)                      # no lengths input: every sequence whole
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(run_onnx(whole, {"input": x})[0]), layer(x)[0], atol=1e-5,
                                   rtol=1e-5)


def test_the_layer_norm_lstm_loop_takes_initial_states_and_sums_directions(tmp_path):
    """No ONNX operator: a Scan over the steps, here from given states, with merge="sum"."""
    from rnnkit.layers.onnx import Graph, recurrent

    torch.manual_seed(2)
    layer = rnnkit.LSTM(D, H, num_layers=2, bidirectional=True, layer_norm=True, merge="sum").eval()
    x, lengths = torch.randn(7, 3, D), torch.tensor([7, 1, 4])
    h0, c0 = torch.randn(4, 3, H), torch.randn(4, 3, H)
    with torch.no_grad():
        out, (h_n, c_n) = layer(x, (h0, c0), lengths=lengths)
    g = Graph("loop")
    names = [g.input(n, dtype, shape) for n, dtype, shape in (("x", torch.float32, ["steps", "batch", D]),
                                                              ("lengths", torch.int32, ["batch"]),
                                                              ("h0", torch.float32, [4, "batch", H]),
                                                              ("c0", torch.float32, [4, "batch", H]))]
    y, finals = recurrent(g, layer, names[0], names[1], (names[2], names[3]))
    g.output(y, "out", torch.float32, ["steps", "batch", H])
    for final, name in zip(finals, ("h_n", "c_n")):
        g.output(final, name, torch.float32, [4, "batch", H])
    got = run_onnx(g.model(), {"x": x, "lengths": lengths.int(), "h0": h0, "c0": c0})
    for ours, theirs in zip((out, h_n, c_n), got):
        torch.testing.assert_close(torch.from_numpy(theirs), ours, atol=1e-5, rtol=1e-5)
