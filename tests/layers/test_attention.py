"""Attention: the three scores against their formulas, masking, batched steps, gradcheck, errors."""
import pytest
import torch

from rnnkit.layers import Attention

S, B, H = 5, 3, 4
LENGTHS = torch.tensor([5, 2, 3])
MASK = torch.arange(S)[:, None] < LENGTHS[None, :]


def reference(att, query, keys, mask):
    """The formulas, one sequence and one source position at a time."""
    contexts, weights = [], []
    for b in range(keys.shape[1]):
        n = int(mask[:, b].sum())
        s = query[b]
        if att.score == "dot":
            scores = torch.stack([s @ keys[i, b] for i in range(n)])
        elif att.score == "general":
            scores = torch.stack([s @ (att.key_proj.weight @ keys[i, b]) for i in range(n)])
        else:
            scores = torch.stack([att.v.weight[0] @ torch.tanh(att.query_proj.weight @ s + att.key_proj(keys[i, b]))
                                  for i in range(n)])
        alpha = scores.softmax(0)
        contexts.append((alpha[:, None] * keys[:n, b]).sum(0))
        weights.append(torch.cat([alpha, alpha.new_zeros(S - n)]))
    return torch.stack(contexts), torch.stack(weights)


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
def test_matches_the_formulas_and_ignores_padding(score):
    att = Attention(H, H, score)
    query, keys = torch.randn(B, H), torch.randn(S, B, H)
    context, weights = att(query, keys, MASK)
    ref_context, ref_weights = reference(att, query, keys, MASK)
    torch.testing.assert_close(context, ref_context)
    torch.testing.assert_close(weights, ref_weights)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B))
    noisy = keys.clone()
    noisy[~MASK] = 1e3
    torch.testing.assert_close(att(query, noisy, MASK)[0], context)


@pytest.mark.parametrize("score", ["general", "additive"])
def test_query_and_key_sizes_may_differ(score):
    att = Attention(3, 7, score, attention_size=6)
    context, weights = att(torch.randn(B, 3), torch.randn(S, B, 7), MASK)
    assert context.shape == (B, 7) and weights.shape == (B, S)


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
def test_all_steps_at_once_equal_step_by_step(score):
    att = Attention(H, H, score)
    queries, keys = torch.randn(6, B, H), torch.randn(S, B, H)
    context, weights = att(queries, keys, MASK)
    assert context.shape == (6, B, H) and weights.shape == (6, B, S)
    for t in range(6):
        c, w = att(queries[t], keys, MASK)
        torch.testing.assert_close(context[t], c)
        torch.testing.assert_close(weights[t], w)


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
def test_gradcheck(score):
    att = Attention(H, H, score).double()
    query = torch.randn(B, H, dtype=torch.float64, requires_grad=True)
    keys = torch.randn(S, B, H, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda q, k: att(q, k, MASK), (query, keys))


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
def test_queries_in_groups_read_their_source_without_repeating_it(score):
    """Beam search: G hypotheses per source, rows b*G..b*G+G-1 of the query reading source b."""
    torch.manual_seed(0)
    att, G = Attention(H, H, score), 3
    keys = torch.randn(S, B, H)
    query = torch.randn(2, B * G, H)                             # two steps at once, too
    context, weights = att(query, keys, MASK, projected=att.project(keys))
    rows = torch.arange(B).repeat_interleave(G)
    want_context, want_weights = att(query, keys[:, rows], MASK[:, rows])
    torch.testing.assert_close(context, want_context)
    torch.testing.assert_close(weights, want_weights)


def test_errors_say_what_was_expected():
    att = Attention(H, H)
    keys = torch.randn(S, B, H)
    with pytest.raises(ValueError, match=r"keys must be \[source length, batch, 4\], got \[5, 3\]"):
        att(torch.randn(B, H), keys[..., 0])
    with pytest.raises(ValueError, match=r"query must be \[batch, 4\].* with batch 3 as in keys \(or a multiple of it\), got \[2, 4\]"):
        att(torch.randn(2, H), keys)
    with pytest.raises(ValueError, match=r"mask must be bool \[5, 3\]"):
        att(torch.randn(B, H), keys, MASK.long())
    with pytest.raises(ValueError, match="at least one real source position"):
        att(torch.randn(B, H), keys, MASK & (torch.arange(B) != 1))
    with pytest.raises(ValueError, match="dot attention needs query_size == key_size"):
        Attention(3, 4, "dot")
    with pytest.raises(ValueError, match="score must be one of"):
        Attention(4, 4, "cosine")
