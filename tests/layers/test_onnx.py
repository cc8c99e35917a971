"""Recurrent layers exported to ONNX (``rnnkit.layers.onnx``) and run by onnxruntime: the same
outputs and final states as rnnkit to 1e-5, for every cell with an ONNX operator, one and two
layers, both directions, at three sequence lengths and two batch sizes, padded."""
import pytest
import torch

import rnnkit
from rnnkit.layers.onnx import export_layer

ort = pytest.importorskip("onnxruntime")

D, H = 5, 7
LAYERS = {
    "lstm": lambda **o: rnnkit.LSTM(D, H, **o),
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


def test_the_layer_norm_lstm_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="lstm_ln cell has no ONNX operator"):
        export_layer(rnnkit.LSTM(D, H, layer_norm=True))
