"""rnnkit.RNN/LSTM/GRU on the engine path against torch.nn: outputs, final states and every
parameter gradient, float32 (atol 2e-5, rtol 1e-4)."""
import itertools

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnkit

TOL = dict(atol=2e-5, rtol=1e-4)
LAYERS = {  # name -> (rnnkit class, torch class, options)
    "rnn_tanh": (rnnkit.RNN, torch.nn.RNN, {}),
    "rnn_relu": (rnnkit.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (rnnkit.LSTM, torch.nn.LSTM, {}),
    "gru": (rnnkit.GRU, torch.nn.GRU, {}),
}
T, B, D, H = 6, 4, 5, 8
LENGTHS = torch.tensor([6, 2, 5, 1])


def make_pair(name, **kw):
    ours_cls, torch_cls, options = LAYERS[name]
    torch.manual_seed(3)
    ref = torch_cls(D, H, **options, **kw)
    ours = ours_cls(D, H, **options, **kw, backend="engine")
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def as_tuple(h):
    return h if isinstance(h, tuple) else (h,)


def check(ours, ref, run_ours, run_ref):
    out_o, h_o = run_ours(ours)
    out_r, h_r = run_ref(ref)
    torch.testing.assert_close(out_o, out_r, **TOL)
    for a, b in zip(as_tuple(h_o), as_tuple(h_r), strict=True):
        torch.testing.assert_close(a, b, **TOL)
    gen = torch.Generator().manual_seed(7)
    w_out = torch.randn(out_r.shape, generator=gen)
    w_h = [torch.randn(h.shape, generator=gen) for h in as_tuple(h_r)]

    def loss(out, h):
        return (out * w_out).sum() + sum((a * w).sum() for a, w in zip(as_tuple(h), w_h))

    grads_o = torch.autograd.grad(loss(out_o, h_o), list(ours.parameters()))
    grads_r = torch.autograd.grad(loss(out_r, h_r), list(ref.parameters()))
    for (n, _), a, b in zip(ours.named_parameters(), grads_o, grads_r):
        torch.testing.assert_close(a, b, **TOL, msg=lambda m: f"gradient of {n}: {m}")


CASES = list(itertools.product(LAYERS, [1, 2, 3], [True, False], [False, True], [False, True]))


@pytest.mark.parametrize("name,num_layers,bias,bidirectional,batch_first", CASES)
@pytest.mark.parametrize("feed", ["padded", "lengths", "packed", "hx"])
def test_parity(name, num_layers, bias, bidirectional, batch_first, feed):
    ours, ref = make_pair(name, num_layers=num_layers, bias=bias, bidirectional=bidirectional,
                          batch_first=batch_first)
    x = torch.randn(B, T, D) if batch_first else torch.randn(T, B, D)
    rows = num_layers * (2 if bidirectional else 1)
    hx = tuple(torch.randn(rows, B, H) for _ in range(2 if name == "lstm" else 1))
    hx = hx if name == "lstm" else hx[0]
    if feed == "padded":
        check(ours, ref, lambda m: m(x), lambda m: m(x))
    elif feed == "hx":
        check(ours, ref, lambda m: m(x, hx), lambda m: m(x, hx))
    elif feed == "lengths":
        def run_ref(m):
            packed = pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False)
            out, h = m(packed, hx)
            return pad_packed_sequence(out, batch_first=batch_first, total_length=T)[0], h
        check(ours, ref, lambda m: m(x, hx, lengths=LENGTHS), run_ref)
    else:
        packed = pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False)

        def run(m):
            out, h = m(packed, hx)
            assert isinstance(out, torch.nn.utils.rnn.PackedSequence)
            return out.data, h
        check(ours, ref, run, run)


@pytest.mark.parametrize("name", LAYERS)
def test_unbatched(name):
    ours, ref = make_pair(name, num_layers=2, bidirectional=True)
    x = torch.randn(T, D)
    hx = tuple(torch.randn(4, H) for _ in range(2 if name == "lstm" else 1))
    hx = hx if name == "lstm" else hx[0]
    check(ours, ref, lambda m: m(x), lambda m: m(x))
    check(ours, ref, lambda m: m(x, hx), lambda m: m(x, hx))


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("backend", ["torch", "auto"])
def test_torch_kernel_backends_match_torch(name, backend):
    ours, ref = make_pair(name, num_layers=2, bidirectional=True)
    ours.backend = backend
    x = torch.randn(T, B, D)
    check(ours, ref, lambda m: m(x), lambda m: m(x))

    def run_ref(m):
        out, h = m(pack_padded_sequence(x, LENGTHS, enforce_sorted=False))
        return pad_packed_sequence(out, total_length=T)[0], h
    check(ours, ref, lambda m: m(x, lengths=LENGTHS), run_ref)


@pytest.mark.parametrize("name", LAYERS)
def test_state_dict_both_ways_and_same_init(name):
    ours_cls, torch_cls, options = LAYERS[name]
    kw = dict(num_layers=2, bidirectional=True, bias=True)
    torch.manual_seed(11)
    ref = torch_cls(D, H, **options, **kw)
    torch.manual_seed(11)
    ours = ours_cls(D, H, **options, **kw)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert not list(ours.buffers())
    for (n, a), (m, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
        assert n == m and torch.equal(a, b), n
    ref.load_state_dict(ours.state_dict(), strict=True)


def test_proj_size_is_refused():
    with pytest.raises(ValueError, match="proj_size"):
        rnnkit.LSTM(D, H, proj_size=4)


@pytest.mark.parametrize("name", LAYERS)
def test_float64(name):
    ours, ref = make_pair(name, num_layers=2, bidirectional=True)
    ours.double(), ref.double()
    x = torch.randn(T, B, D, dtype=torch.float64)
    out_o, _ = ours(x)
    out_r, _ = ref(x)
    assert out_o.dtype == torch.float64
    torch.testing.assert_close(out_o, out_r, atol=1e-12, rtol=0)
