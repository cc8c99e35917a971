import math

import pytest
import torch

from rnnkit.decoding import beam_search, filter_logits, generate, sample


class Table(torch.nn.Module):
    """A model whose next-token distribution depends only on the last token: logits[table]."""

    def __init__(self, logits):
        super().__init__()
        self.table = torch.as_tensor(logits, dtype=torch.float)
        self.calls = 0

    def forward(self, tokens, state=None):
        self.calls += 1
        return self.table[tokens], (torch.zeros(1, tokens.shape[1], 2),)

    def step(self, token, state=None):
        logits, state = self(token[None], state)
        return logits[0], state


def test_top_k_and_top_p_filters():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[False, False, True, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.6)).tolist() == [[False, False, True, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.5)).tolist() == [[False, True, True, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.9)).tolist() == [[False, False, False, True]]


def test_greedy_and_seeded_sampling():
    logits = torch.tensor([[0.0, 3.0, 1.0]])
    assert sample(logits, temperature=0).tolist() == [1]
    draws = [int(sample(logits, 1.0, generator=torch.Generator().manual_seed(s))) for s in range(200)]
    assert 0.7 < draws.count(1) / 200 < 0.95
    again = [int(sample(logits, 1.0, generator=torch.Generator().manual_seed(s))) for s in range(200)]
    assert draws == again
    cold = [int(sample(logits, 0.1, generator=torch.Generator().manual_seed(s))) for s in range(50)]
    assert cold.count(1) == 50


def test_generate_reads_the_prime_once_then_steps():
    model = Table([[0, 5, 0], [0, 0, 5], [5, 0, 0]])   # 0 -> 1 -> 2 -> 0
    ids = generate(model, [0, 1, 2, 0], 5, temperature=0)
    assert ids == [1, 2, 0, 1, 2]
    assert model.calls == 1 + 4                        # one call for the prime, one step per new token but the last
    assert generate(model, [0], 10, temperature=0, stop=2) == [1, 2]
    with pytest.raises(ValueError, match="at least one prime token"):
        generate(model, [], 3)


def test_beam_search_finds_the_most_likely_continuations():
    # from 0: 1 (p .6) or 3 (p .4); 1 -> stop 2 (p .5) or 3 (p .5); 3 -> stop 2 (p 1)
    p = torch.tensor([[0, .6, 0, .4], [0, 0, .5, .5], [1, 0, 0, 0], [0, 0, 1, 0]]).clamp_min(1e-9).log()
    results = beam_search(Table(p), [0], k=3, max_length=5, stop={2})
    got = [(ids, round(math.exp(lp), 3)) for ids, lp in results]
    assert sorted(got, key=lambda x: -x[1]) == got
    assert {tuple(ids): prob for ids, prob in got} == {(3, 2): 0.4, (1, 2): 0.3, (1, 3, 2): 0.3}


def test_beam_search_never_produces_banned_tokens_and_merges_stops():
    # from 0: 4 (p .3, banned), 1 (p .3), stop 2 or stop 3 (p .2 each); 1 -> stop 2 or 3 (p .5 each)
    p = torch.tensor([[0, .3, .2, .2, .3], [0, 0, .5, .5, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0],
                      [0, 0, 1, 0, 0]]).clamp_min(1e-9).log()
    results = beam_search(Table(p), [0], k=2, max_length=3, stop={2, 3}, banned={4}, merge_stops=True)
    got = [(ids, round(math.exp(lp), 3)) for ids, lp in results]
    assert got == [([2], 0.4), ([1, 2], 0.3)]          # each way to end is one outcome, probabilities summed
    plain = beam_search(Table(p), [0], k=3, max_length=3, stop={2, 3}, banned={4})
    assert all(4 not in ids for ids, _ in plain) and len(plain) == 3


@torch.no_grad()
def test_generate_states_samples_a_batch_as_each_stream_alone():
    """B streams from their own states at once: greedy equals each stream's greedy loop, a stream
    stops after the stop id while the others go on, and banned ids never appear."""
    from rnnkit.decoding import generate_states
    from rnnkit.models import LanguageModel

    torch.manual_seed(0)
    model = LanguageModel(6, embedding_dim=5, hidden_size=7).eval()
    state = tuple(torch.randn(1, 3, 7) for _ in range(2))
    first = torch.tensor([0, 1, 2])
    batch = generate_states(model, state, first, 8, temperature=0, banned=[5])
    for b in range(3):
        s, token, want = tuple(x[:, b : b + 1] for x in state), first[b : b + 1], []
        for _ in range(8):
            logits, s = model.step(token, s)
            logits[:, 5] = float("-inf")
            token = logits.argmax(-1)
            want.append(int(token))
        assert batch[b] == want
    stop = batch[0][2]
    stopped = generate_states(model, state, first, 8, temperature=0, banned=[5], stop=stop)
    for b in range(3):
        end = batch[b].index(stop) + 1 if stop in batch[b] else 8
        assert stopped[b] == batch[b][:end]
    drawn = generate_states(model, state, first, 20, generator=torch.Generator().manual_seed(1), banned=[5])
    assert all(5 not in d and len(d) == 20 for d in drawn)
