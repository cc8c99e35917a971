"""The engine's device-agnostic path on a CUDA GPU (these run only where one is present; the
development machines and CI have none, so they are skipped there and run on a lent GPU machine):
every cell form on the GPU against the same layer on the CPU in float64 (outputs, final states,
all gradients), against torch.nn's cuDNN layers in float32, with lengths and recurrent dropout,
and a language model's training step and generation on the GPU."""
import pytest
import torch

import rnnkit
from rnnkit.decoding import generate
from rnnkit.layers import Recurrent
from rnnkit.models import LanguageModel

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

FORMS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_ln", "gru", "gru_before"]
T, B, D, H = 7, 5, 6, 9
LENGTHS = torch.tensor([7, 3, 5, 1, 6])


def grads(layer, x, lengths):
    layer.zero_grad()
    x = x.detach().clone().requires_grad_()
    out, h_n = layer(x) if lengths is None else layer(x, lengths=lengths)
    states = h_n if isinstance(h_n, tuple) else (h_n,)
    loss = (out * torch.linspace(-1, 1, out.shape[-1], device=out.device, dtype=out.dtype)).sum()
    loss = loss + sum((s ** 2).sum() for s in states)
    loss.backward()
    return [out, *states, x.grad, *(p.grad for p in layer.parameters())]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("form", FORMS)
def test_every_form_on_the_gpu_equals_the_cpu(form, bidirectional):
    torch.manual_seed(0)
    cpu = Recurrent(form, D, H, num_layers=2, bidirectional=bidirectional, dtype=torch.float64, backend="engine")
    gpu = Recurrent(form, D, H, num_layers=2, bidirectional=bidirectional, dtype=torch.float64,
                    backend="engine").cuda()
    gpu.load_state_dict(cpu.state_dict())
    x = torch.randn(T, B, D, dtype=torch.float64)
    for lengths in (None, LENGTHS):
        a = grads(cpu, x, lengths)
        b = grads(gpu, x.cuda(), None if lengths is None else lengths.cuda())
        for u, v in zip(a, b, strict=True):
            torch.testing.assert_close(v.cpu(), u, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("form,layer,torch_layer,options", [
    ("lstm", rnnkit.LSTM, torch.nn.LSTM, {}), ("gru", rnnkit.GRU, torch.nn.GRU, {}),
    ("rnn_tanh", rnnkit.RNN, torch.nn.RNN, {}), ("rnn_relu", rnnkit.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
])
def test_engine_on_the_gpu_equals_cudnn(form, layer, torch_layer, options):
    torch.manual_seed(0)
    ref = torch_layer(D, H, num_layers=2, **options).cuda()
    ours = layer(D, H, num_layers=2, **options, backend="engine").cuda()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, D, device="cuda")
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    for a, b in zip(grads(ours, x, None), grads(ref, x, None), strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)


def test_recurrent_dropout_and_auto_backend_on_the_gpu():
    torch.manual_seed(0)
    layer = rnnkit.LSTM(D, H, recurrent_dropout=0.3).cuda().train()
    out, _ = layer(torch.randn(T, B, D, device="cuda"), lengths=LENGTHS.cuda())
    out.sum().backward()
    assert out.is_cuda and torch.isfinite(layer.weight_hh_l0.grad).all()
    assert (out[3:, 1] == 0).all()                                   # past its length: zeros
    auto = rnnkit.GRU(D, H).cuda()                                    # auto: cuDNN for the standard GRU
    assert auto(torch.randn(T, B, D, device="cuda"))[0].is_cuda


def test_a_language_model_trains_and_generates_on_the_gpu():
    torch.manual_seed(0)
    model = LanguageModel(12, embedding_dim=8, hidden_size=16, num_layers=2, dropout=0.1,
                          cell="lstm", recurrent_dropout=0.1).cuda()
    data = torch.tensor([i % 7 + 1 for i in range(161)], device="cuda")
    tokens, targets = data[:-1].view(40, 4), data[1:].view(40, 4)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(80):
        nats, count, _ = model.loss(tokens, targets)
        optimizer.zero_grad()
        (nats / count).backward()
        optimizer.step()
        first = first if first is not None else float(nats.detach()) / count
    assert float(nats.detach()) / count < 0.5 * first
    model.eval()
    ids = generate(model, [1, 2, 3], 20, temperature=0, banned={0})
    assert len(ids) == 20 and 0 not in ids
    trace = model.rnn.trace(model.embedding(tokens[:, :2]))
    assert trace.gates["f"].is_cuda
