"""Pooling of a sequence's states: padding never matters, attention weights are a distribution."""
import pytest
import torch

from rnnkit.layers import CharWordEncoder, Pooling

T, B, D = 6, 3, 4
LENGTHS = torch.tensor([6, 2, 4])


@pytest.mark.parametrize("how", ["last", "mean", "max", "attention"])
def test_padded_steps_do_not_change_the_result(how):
    pool = Pooling(how, D)
    states = torch.randn(T, B, D)
    last = torch.randn(B, D)
    noisy = states.clone()
    for b, n in enumerate(LENGTHS.tolist()):
        noisy[n:, b] = torch.randn(T - n, D) * 100
    a, wa = pool(states, LENGTHS, last)
    b_, wb = pool(noisy, LENGTHS, last)
    assert a.shape == (B, D)
    torch.testing.assert_close(a, b_)
    if how == "attention":
        torch.testing.assert_close(wa, wb)


def test_mean_max_last_are_what_they_say():
    states, last = torch.randn(T, B, D), torch.randn(B, D)
    for b, n in enumerate(LENGTHS.tolist()):
        torch.testing.assert_close(Pooling("mean", D)(states, LENGTHS, last)[0][b], states[:n, b].mean(0))
        torch.testing.assert_close(Pooling("max", D)(states, LENGTHS, last)[0][b], states[:n, b].amax(0))
    assert torch.equal(Pooling("last", D)(states, LENGTHS, last)[0], last)


def test_attention_weights_sum_to_one_over_the_real_steps_and_get_gradients():
    pool = Pooling("attention", D)
    states = torch.randn(T, B, D, requires_grad=True)
    pooled, weights = pool(states, LENGTHS, None)
    torch.testing.assert_close(weights.sum(0), torch.ones(B))
    for b, n in enumerate(LENGTHS.tolist()):
        assert torch.all(weights[n:, b] == 0) and torch.all(weights[:n, b] > 0)
        torch.testing.assert_close(pooled[b], (weights[:n, b, None] * states[:n, b]).sum(0))
    pooled.sum().backward()
    assert pool.attention.query.grad.abs().sum() > 0 and states.grad[:2, 1].abs().sum() > 0
    assert torch.all(states.grad[2:, 1] == 0)


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling must be one of"):
        Pooling("first", D)


def test_char_word_encoder_is_the_two_final_states():
    enc = CharWordEncoder(num_chars=10, char_dim=5, hidden_size=3)
    chars = torch.randint(1, 10, (7, 4))
    lengths = torch.tensor([7, 1, 3, 5])
    out = enc(chars, lengths)
    assert out.shape == (4, 6)
    for n, (word, length) in enumerate(zip(chars.t(), lengths.tolist())):
        alone = enc(word[:length, None], torch.tensor([length]))
        torch.testing.assert_close(out[n], alone[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("how", ["mean", "max", "attention"])
def test_gradcheck(how):
    pool = Pooling(how, D).double()
    states = torch.randn(T, B, D, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: pool(s, LENGTHS, None)[0], (states,))
