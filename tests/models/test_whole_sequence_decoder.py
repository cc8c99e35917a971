"""Teacher-forced decoding as one whole-sequence operation (``Decoder._whole_sequence``) against
the step loop it replaces, in float64 to 1e-10: logits, attention and every parameter's gradient,
for translation models of every score and cell and for captioners (coverage penalty included);
the configurations it does not take run the step loop."""
import pytest
import torch

from rnnkit.models import Captioner, Seq2Seq
from rnnkit.models.decoder import Decoder


def both_ways(model, loss_of, monkeypatch):
    """(outputs, gradients) through the whole-sequence decoder, then through the step loop."""
    results = []
    for whole in (True, False):
        with monkeypatch.context() as m:
            if not whole:
                m.setattr(Decoder, "_whole_sequence", lambda *args: None)
            model.zero_grad()
            outputs = loss_of()
            outputs[0].backward()
            results.append((outputs, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}))
    return results


def assert_same(results):
    (out_a, grads_a), (out_b, grads_b) = results
    for a, b in zip(out_a, out_b):
        if a is not None:
            torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
    assert grads_a.keys() == grads_b.keys() and grads_a
    for name in grads_a:
        torch.testing.assert_close(grads_a[name], grads_b[name], atol=1e-10, rtol=1e-10, msg=lambda m: f"{name}: {m}")


@pytest.mark.parametrize("attention", ["dot", "general", "additive", None])
@pytest.mark.parametrize("cell", ["lstm", "gru", "gru_before", "rnn"])
def test_translation_models_train_the_same(attention, cell, monkeypatch):
    torch.manual_seed(0)
    model = Seq2Seq(12, 11, embedding_dim=6, hidden_size=8, cell=cell, attention=attention).double().train()
    model.dropout.p = 0.0
    src, lengths = torch.randint(1, 12, (7, 4)), torch.tensor([7, 3, 5, 1])
    src[3:, 1] = src[5:, 2] = src[1:, 3] = 0
    tgt_in = torch.randint(1, 11, (5, 4))

    def loss_of():
        logits, weights = model(src, lengths, tgt_in)
        weighted = (logits * torch.linspace(-1, 1, logits.numel(), dtype=logits.dtype).view_as(logits)).sum()
        return weighted, logits, weights

    assert_same(both_ways(model, loss_of, monkeypatch))


def test_captioners_with_coverage_train_the_same(monkeypatch):
    torch.manual_seed(0)
    model = Captioner(9, image_size=(16, 8), embedding_dim=6, hidden_size=10, attention="general", coverage=0.5,
                      cnn_channels=(4,), dropout=0.0).double().train()
    images, tgt_in, tgt_out = torch.rand(3, 1, 8, 16, dtype=torch.float64), torch.randint(1, 9, (5, 3)), \
        torch.randint(0, 9, (5, 3))
    state = torch.get_rng_state()

    def loss_of():
        torch.set_rng_state(state)              # batch norm in train mode: the same batch statistics
        loss, _ = model.loss(images, tgt_in, tgt_out)
        return (loss,)

    assert_same(both_ways(model, loss_of, monkeypatch))


def test_what_it_does_not_take_runs_the_step_loop():
    state = Seq2Seq(12, 11, embedding_dim=6, hidden_size=8, num_layers=2).encode(
        torch.randint(1, 12, (5, 2)), torch.tensor([5, 4]))
    deep = Seq2Seq(12, 11, embedding_dim=6, hidden_size=8, num_layers=2)
    assert deep._whole_sequence(state, torch.zeros(3, 2, 6)) is None
    layer_norm = Seq2Seq(12, 11, embedding_dim=6, hidden_size=8, layer_norm=True)
    state = layer_norm.encode(torch.randint(1, 12, (5, 2)), torch.tensor([5, 4]))
    assert layer_norm._whole_sequence(state, torch.zeros(3, 2, 6)) is None
    plain = Seq2Seq(12, 11, embedding_dim=6, hidden_size=8)
    state = plain.encode(torch.randint(1, 12, (5, 2)), torch.tensor([5, 4]))
    assert plain._whole_sequence(state, torch.zeros(3, 2, 6)) is not None
