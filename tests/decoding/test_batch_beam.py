"""Batched beam search over Seq2Seq: greedy equals the argmax loop, a batch equals its sentences
one by one, and a trained model reverses sequences under beam search."""
import torch

from rnnkit.decoding import batch_beam_search
from rnnkit.decoding.batch_beam import length_penalty
from rnnkit.models import Seq2Seq
from tests.models.test_seq2seq import BOS, EOS, toy, trained_reverser


@torch.no_grad()
def greedy_loop(model, src, lengths, max_length):
    state = model.encode(src, lengths)
    token, out, logp = torch.tensor([BOS]), [], 0.0
    for _ in range(max_length):
        logits, state = model.step(token, state)
        token = logits.argmax(-1)
        logp += float(logits.log_softmax(-1)[0, token])
        if int(token) == EOS:
            return out, logp, True
        out.append(int(token))
    return out, logp, False


def test_beam_of_one_is_greedy_and_batches_are_independent():
    torch.manual_seed(3)
    model = Seq2Seq(12, 12, embedding_dim=8, hidden_size=8, attention="additive").eval()
    src, src_ids, lengths, _, _ = toy(5)
    batch = batch_beam_search(model, src_ids, lengths, bos=BOS, eos=EOS, beam_size=1, max_length=8, alpha=0.0)
    for b, hyp in enumerate(batch):
        ids, logp, ended = greedy_loop(model, torch.tensor(src[b])[:, None], lengths[b : b + 1], 8)
        assert hyp.ids == ids
        assert abs(hyp.score - logp) < 1e-4          # alpha = 0: the summed log-probability, [END]'s included
        assert hyp.attention.shape == (len(ids) + ended, src_ids.shape[0])
        torch.testing.assert_close(hyp.attention.sum(-1), torch.ones(len(hyp.attention)))
    wide = batch_beam_search(model, src_ids, lengths, bos=BOS, eos=EOS, beam_size=4, max_length=8)
    for b in range(5):
        alone = batch_beam_search(model, torch.tensor(src[b])[:, None], lengths[b : b + 1], bos=BOS, eos=EOS,
                                  beam_size=4, max_length=8)[0]
        assert alone.ids == wide[b].ids and abs(alone.score - wide[b].score) < 1e-5


def test_length_penalty_is_wu_et_al():
    assert length_penalty(1, 0.0) == 1.0
    assert abs(length_penalty(7, 0.6) - 2 ** 0.6) < 1e-12


def test_trained_model_reverses_under_beam_search():
    src, src_ids, lengths, _, _ = data = toy(64)
    model = trained_reverser(data)
    hyps = batch_beam_search(model, src_ids, lengths, bos=BOS, eos=EOS, beam_size=3, max_length=10)
    exact = sum(h.ids == s[::-1] for h, s in zip(hyps, src))
    assert exact >= 50, exact


@torch.no_grad()
def test_beam_over_model_provided_states_of_any_model_with_step():
    """A language model (no encode, no select_state) from two states of its own: a beam wide enough
    to keep every hypothesis finds the most likely ended sequence that exhaustive search finds."""
    import itertools

    from rnnkit.decoding import beam_search_states
    from rnnkit.models import LanguageModel

    torch.manual_seed(0)
    V, end, steps = 4, 3, 3
    model = LanguageModel(V, embedding_dim=5, hidden_size=6).eval()
    state = tuple(torch.randn(1, 2, 6) for _ in range(2))
    first = torch.tensor([0, 1])
    found = beam_search_states(model, state, first, eos=end, beam_size=V ** steps, max_length=steps, alpha=0.0)
    for b in range(2):
        best = None
        for length in range(1, steps + 1):
            for seq in itertools.product(range(V), repeat=length):
                if end in seq[:-1] or seq[-1] != end:
                    continue
                s, token, logp = tuple(x[:, b : b + 1] for x in state), first[b : b + 1], 0.0
                for y in seq:
                    logits, s = model.step(token, s)
                    logp += float(logits.log_softmax(-1)[0, y])
                    token = torch.tensor([y])
                if best is None or logp > best[1]:
                    best = (list(seq[:-1]), logp)
        assert found[b].ids == best[0]
        assert abs(found[b].score - best[1]) < 1e-5
        assert found[b].attention is None


@torch.no_grad()
def test_banned_tokens_are_never_chosen_and_the_others_keep_their_scores():
    """A model that favours the start token: banned, it never appears, and a hypothesis without it
    scores what it scored before (the probabilities are not renormalised)."""
    torch.manual_seed(1)
    model = Seq2Seq(12, 12, embedding_dim=8, hidden_size=8).eval()
    with torch.no_grad():
        model.output.bias[BOS] = 8.0              # the start token is by far the likeliest next token
    src, src_ids, lengths, _, _ = toy(4)
    free = batch_beam_search(model, src_ids, lengths, bos=BOS, eos=EOS, beam_size=3, max_length=6, alpha=0.0)
    assert any(BOS in h.ids for h in free)
    banned = batch_beam_search(model, src_ids, lengths, bos=BOS, eos=EOS, beam_size=3, max_length=6, alpha=0.0,
                               banned=(0, BOS))
    assert all(BOS not in h.ids and 0 not in h.ids for h in banned)
    for b, hyp in enumerate(banned):
        logp = 0.0
        state, token = model.encode(src_ids[:, b : b + 1], lengths[b : b + 1]), torch.tensor([BOS])
        for y in hyp.ids + ([EOS] if len(hyp.ids) < 6 else []):
            logits, state = model.step(token, state)
            logp += float(logits.log_softmax(-1)[0, y])
            token = torch.tensor([y])
        assert abs(hyp.score - logp) < 1e-4
