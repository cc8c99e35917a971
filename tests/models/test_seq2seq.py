"""Seq2Seq: shapes, source padding, teacher forcing, and that it learns to reverse a sequence."""
import pytest
import torch

from rnnkit.data import pad_batch
from rnnkit.models import Seq2Seq

BOS, EOS = 2, 3


def toy(n, seed=0):
    """Source: random tokens 4..11, length 2..6; target: the source reversed, then <eos>."""
    g = torch.Generator().manual_seed(seed)
    src = [torch.randint(4, 12, (int(torch.randint(2, 7, (1,), generator=g)),), generator=g).tolist() for _ in range(n)]
    tgt = [s[::-1] + [EOS] for s in src]
    src_ids, src_lengths = pad_batch(src, 0)
    tgt_in, _ = pad_batch([[BOS] + t[:-1] for t in tgt], 0)
    tgt_out, _ = pad_batch(tgt, 0)
    return src, src_ids, src_lengths, tgt_in, tgt_out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("attention", ["dot", "general", "additive", None])
def test_shapes_and_source_padding(cell, attention):
    model = Seq2Seq(12, 12, embedding_dim=8, hidden_size=8, num_layers=2, cell=cell, attention=attention).eval()
    src, src_ids, lengths, tgt_in, _ = toy(4)
    logits, weights = model(src_ids, lengths, tgt_in)
    assert logits.shape == (tgt_in.shape[0], 4, 12)
    if attention is None:
        assert weights is None
    else:
        assert weights.shape == (tgt_in.shape[0], 4, src_ids.shape[0])
        torch.testing.assert_close(weights.sum(-1), torch.ones(tgt_in.shape[0], 4))
        padding = torch.arange(src_ids.shape[0])[None, :] >= lengths[:, None]      # [B, S]
        assert torch.all(weights[:, padding] == 0)
    padded = torch.cat([src_ids, torch.full((3, 4), 0)])
    torch.testing.assert_close(model(padded, lengths, tgt_in)[0], logits, atol=1e-5, rtol=1e-4)
    for b in range(4):
        alone, _ = model(torch.tensor(src[b])[:, None], lengths[b : b + 1], tgt_in[:, b : b + 1])
        torch.testing.assert_close(alone[:, 0], logits[:, b], atol=1e-5, rtol=1e-4)


def test_without_teacher_forcing_only_the_first_input_matters():
    model = Seq2Seq(12, 12, embedding_dim=8, hidden_size=8).eval()
    _, src_ids, lengths, tgt_in, _ = toy(4)
    free, _ = model(src_ids, lengths, tgt_in, teacher_forcing=0.0)
    other = tgt_in.clone()
    other[1:] = torch.randint(4, 12, other[1:].shape)
    torch.testing.assert_close(model(src_ids, lengths, other, teacher_forcing=0.0)[0], free)
    assert not torch.allclose(model(src_ids, lengths, other)[0], model(src_ids, lengths, tgt_in)[0])


def test_without_attention_the_source_reaches_the_decoder_through_the_bridge():
    model = Seq2Seq(12, 12, embedding_dim=8, hidden_size=8, attention=None).eval()
    _, src_ids, lengths, tgt_in, _ = toy(4)
    changed = src_ids.clone()
    changed[0] = torch.where(changed[0] == 4, 5, 4)
    assert not torch.allclose(model(changed, lengths, tgt_in)[0], model(src_ids, lengths, tgt_in)[0])


def trained_reverser(data):
    """A small attention model trained for 150 full-batch steps on ``data = toy(n)``."""
    torch.manual_seed(0)
    model = Seq2Seq(12, 12, embedding_dim=16, hidden_size=32, attention="general", dropout=0.0)
    _, src_ids, lengths, tgt_in, tgt_out = data
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        nats, n = model.loss(src_ids, lengths, tgt_in, tgt_out)
        opt.zero_grad()
        (nats / n).backward()
        opt.step()
    return model.eval()


def test_learns_to_reverse_with_attention():
    _, src_ids, lengths, tgt_in, tgt_out = data = toy(64)
    model = trained_reverser(data)
    with torch.no_grad():
        logits, _ = model(src_ids, lengths, tgt_in, teacher_forcing=0.0)
    real = tgt_out != 0
    accuracy = (logits.argmax(-1) == tgt_out)[real].float().mean()
    assert accuracy > 0.9, accuracy


def test_tied_output_embedding_is_one_matrix_and_survives_safetensors(tmp_path):
    from safetensors.torch import load_model, save_model

    torch.manual_seed(0)
    tied = Seq2Seq(12, 12, embedding_dim=6, hidden_size=8, tie_embeddings=True).eval()
    untied = Seq2Seq(12, 12, embedding_dim=6, hidden_size=8).eval()
    assert tied.output.weight is tied.tgt_embedding.weight and tied.readout.weight.shape == (6, 8)
    assert sum(p.numel() for p in tied.parameters()) < sum(p.numel() for p in untied.parameters())
    _, src_ids, lengths, tgt_in, tgt_out = toy(4)
    logits, _ = tied(src_ids, lengths, tgt_in)
    assert logits.shape == (tgt_in.shape[0], 4, 12)
    save_model(tied, str(tmp_path / "m.safetensors"))
    again = Seq2Seq(12, 12, embedding_dim=6, hidden_size=8, tie_embeddings=True).eval()
    load_model(again, str(tmp_path / "m.safetensors"))
    assert again.output.weight is again.tgt_embedding.weight
    torch.testing.assert_close(again(src_ids, lengths, tgt_in)[0], logits)
    nats, _ = tied.loss(src_ids, lengths, tgt_in, tgt_out)
    nats.backward()
    assert tied.tgt_embedding.weight.grad is not None and tied.readout.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("cell", ["lstm", "gru", "lstm_ln"])
@pytest.mark.parametrize("attention", ["general", "additive", None])
def test_teacher_forced_forward_equals_the_step_loop(cell, attention):
    """Training projects every gold input at once (linear cells) and keeps the attention's keys:
    the same logits and gradients as feeding the gold tokens to step() one at a time."""
    torch.manual_seed(0)
    model = Seq2Seq(12, 12, embedding_dim=6, hidden_size=8, num_layers=2, cell=cell, attention=attention).double()
    model.eval()
    _, src_ids, lengths, tgt_in, _ = toy(4)
    weights = torch.randn(tgt_in.shape[0], 4, 12, dtype=torch.float64)
    logits, _ = model(src_ids, lengths, tgt_in)
    grads = torch.autograd.grad((logits * weights).sum(), list(model.parameters()), allow_unused=True)
    state, stepped = model.encode(src_ids, lengths), []
    for token in tgt_in:
        step_logits, state = model.step(token, state)
        stepped.append(step_logits)
    stepped = torch.stack(stepped)
    want = torch.autograd.grad((stepped * weights).sum(), list(model.parameters()), allow_unused=True)
    torch.testing.assert_close(logits, stepped, atol=1e-12, rtol=1e-10)
    for g, w in zip(grads, want):
        assert (g is None) == (w is None)
        if g is not None:
            torch.testing.assert_close(g, w, atol=1e-12, rtol=1e-10)


def test_select_state_keeps_the_memory_per_sentence_and_gathers_it_when_rows_move():
    torch.manual_seed(0)
    model = Seq2Seq(12, 12, embedding_dim=6, hidden_size=8).eval()
    _, src_ids, lengths, _, _ = toy(3)
    state = model.encode(src_ids, lengths)
    K = 2
    beams = model.select_state(state, torch.arange(3).repeat_interleave(K))
    assert beams.memory.states is state.memory.states                 # per sentence, not repeated
    reordered = model.select_state(beams, torch.tensor([1, 0, 2, 2, 5, 4]))
    assert reordered.memory.states is state.memory.states
    moved = model.select_state(beams, torch.tensor([4, 0]))            # rows 4 and 0: sentences 2 and 0
    torch.testing.assert_close(moved.memory.states, state.memory.states[:, [2, 0]])
    token = torch.tensor([BOS, BOS])
    with torch.no_grad():
        got, _ = model.step(token, moved)
        want, _ = model.step(token, model.select_state(state, torch.tensor([2, 0])))
    torch.testing.assert_close(got, want)


def test_select_state_drops_whole_sentences_from_the_memory():
    torch.manual_seed(0)
    model = Seq2Seq(12, 12, embedding_dim=6, hidden_size=8).eval()
    _, src_ids, lengths, _, _ = toy(3)
    state = model.encode(src_ids, lengths)
    beams = model.select_state(state, torch.arange(3).repeat_interleave(2))
    kept = model.select_state(beams, torch.tensor([0, 1, 4, 5]))        # sentences 0 and 2, two rows each
    torch.testing.assert_close(kept.memory.states, state.memory.states[:, [0, 2]])
    token = torch.full((4,), BOS)
    with torch.no_grad():
        got, _ = model.step(token, kept)
        want, _ = model.step(token, model.select_state(state, torch.tensor([0, 0, 2, 2])))
    torch.testing.assert_close(got, want)
