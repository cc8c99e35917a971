"""SequenceClassifier and SequenceTagger: shapes, masking, and that they learn a toy task."""
import numpy as np
import torch

from rnnkit.data import Vocab, pad_batch
from rnnkit.models import SequenceClassifier, SequenceTagger


def toy_sentences(n=64, seed=0):
    """Label 1 iff the token 5 occurs; lengths 1..8."""
    g = torch.Generator().manual_seed(seed)
    sentences = [torch.randint(4, 12, (int(torch.randint(1, 9, (1,), generator=g)),), generator=g).tolist()
                 for _ in range(n)]
    return sentences, torch.tensor([int(5 in s) for s in sentences])


def test_classifier_shapes_and_padding_invariance():
    model = SequenceClassifier(12, 3, embedding_dim=8, hidden_size=6, pooling="attention", dropout=0.0).eval()
    sentences, _ = toy_sentences(5)
    tokens, lengths = pad_batch(sentences, 0)
    logits, weights = model(tokens, lengths)
    assert logits.shape == (5, 3) and weights.shape == tokens.shape
    longer = torch.cat([tokens, torch.full((3, 5), 7)])       # more padding, non-pad ids in it
    logits2, _ = model(longer, lengths)
    torch.testing.assert_close(logits, logits2, atol=1e-6, rtol=1e-5)
    for b, s in enumerate(sentences):
        alone, _ = model(torch.tensor(s)[:, None], torch.tensor([len(s)]))
        torch.testing.assert_close(alone[0], logits[b], atol=1e-5, rtol=1e-4)


def test_classifier_learns_a_toy_task_with_every_pooling():
    sentences, labels = toy_sentences(128)
    tokens, lengths = pad_batch(sentences, 0)
    for how in ("last", "mean", "max", "attention"):
        torch.manual_seed(0)
        model = SequenceClassifier(12, 2, embedding_dim=16, hidden_size=16, pooling=how, dropout=0.0)
        opt = torch.optim.Adam(model.parameters(), lr=0.03)
        for _ in range(60):
            nats, n = model.loss(tokens, lengths, labels)
            opt.zero_grad()
            (nats / n).backward()
            opt.step()
        accuracy = (model(tokens, lengths)[0].argmax(-1) == labels).float().mean()
        assert accuracy > 0.95, (how, accuracy)


def test_classifier_predict_uses_attached_vocabulary_and_labels():
    from rnnkit.data import tokenizer_for
    from rnnkit.tasks.classification.python import TrainedClassifier

    model = TrainedClassifier(10, 2, embedding_dim=4, hidden_size=4)
    model.vocab, model.tokenizer, model.labels = Vocab(["good", "bad"]), tokenizer_for("text", True), ["neg", "pos"]
    out = model.predict(["Good film!", "bad"], explain=True)
    assert list(out) == ["label", "probability", "probabilities", "explanation"] and out["probabilities"].shape == (2, 2)
    assert all(label in ("neg", "pos") for label in out["label"]) and ((0.5 <= out["probability"]) &
                                                                     (out["probability"] <= 1)).all()
    assert np.allclose(out["probabilities"].sum(1), 1) and np.allclose(out["probabilities"].max(1), out["probability"])
    assert [w for w, _ in out["explanation"][0]] == ["good", "film", "!"]
    assert abs(sum(a for _, a in out["explanation"][0]) - 1) < 1e-5


def tagger_data():
    words = ["the", "a", "cat", "dog", "runs", "sleeps"]
    tags = {"the": 0, "a": 0, "cat": 1, "dog": 1, "runs": 2, "sleeps": 2}
    g = torch.Generator().manual_seed(0)
    sentences = []
    for _ in range(64):
        n = int(torch.randint(1, 4, (1,), generator=g))
        sentences.append([w for _ in range(n) for w in (words[int(torch.randint(0, 2, (1,), generator=g))],
                                                         words[int(torch.randint(2, 4, (1,), generator=g))],
                                                         words[int(torch.randint(4, 6, (1,), generator=g))])])
    return sentences, [[tags[w] for w in s] for s in sentences], Vocab(words), Vocab(sorted(set("".join(words))))


def test_tagger_loss_ignores_padding_and_word_dropout_is_training_only():
    sentences, tags, vocab, chars = tagger_data()
    model = SequenceTagger(len(vocab), len(chars), 3, embedding_dim=8, char_dim=4, char_hidden=4, hidden_size=8,
                           num_layers=1, dropout=0.0, word_dropout=0.5)
    batch = model.encode(sentences[:4], vocab, chars, tags[:4])
    assert batch.words.shape == batch.upos.shape == batch.form_index.shape
    assert int((batch.upos != -100).sum()) == sum(len(s) for s in sentences[:4])
    model.eval()
    with torch.no_grad():
        nats, n = model.loss(batch)
        assert n == sum(len(s) for s in sentences[:4])
        one = sum(float(model.loss(model.encode([s], vocab, chars, [t]))[0]) for s, t in zip(sentences[:4], tags[:4]))
        assert abs(float(nats) - one) < 1e-3
        assert float(model.loss(batch)[0]) == float(nats)       # eval: no word dropout
        model.train()
        varied = {float(model.loss(batch)[0]) for _ in range(3)}
    assert len(varied) > 1                                       # training: words dropped at random


def test_tagger_learns_and_tags_unseen_words_by_their_spelling():
    sentences, tags, vocab, chars = tagger_data()
    torch.manual_seed(0)
    model = SequenceTagger(len(vocab), len(chars), 3, embedding_dim=8, char_dim=8, char_hidden=8, hidden_size=16,
                           num_layers=1, dropout=0.0, word_dropout=0.2)
    batch = model.encode(sentences, vocab, chars, tags)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(60):
        nats, n = model.loss(batch)
        opt.zero_grad()
        (nats / n).backward()
        opt.step()
    model.vocab, model.char_vocab, model.labels = vocab, chars, {"upos": ["DET", "NOUN", "VERB"]}
    upos, xpos = model.tag([["the", "cat", "sleeps"], ["a", "dog", "runs"]])
    assert upos == [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"]] and xpos is None


def test_tagger_validation_loss_is_the_loss_it_trains_xpos_included():
    """The validation loss of `rnnkit train tag --xpos` adds the XPOS cross-entropy, as training does."""
    from rnnkit.tasks.tagging.task import score

    sentences, tags, vocab, chars = tagger_data()
    xpos = [[(t + 1) % 3 for t in s] for s in tags]
    torch.manual_seed(0)
    model = SequenceTagger(len(vocab), len(chars), 3, num_xpos=3, embedding_dim=8, char_dim=4, char_hidden=4,
                           hidden_size=8, num_layers=1, dropout=0.0, word_dropout=0.0, vocab=vocab, char_vocab=chars,
                           labels={"upos": ["A", "B", "C"], "xpos": ["a", "b", "c"]}).train()
    data = list(zip(sentences[:8], tags[:8], xpos[:8]))
    metrics, _ = score(model, data)
    with torch.no_grad():
        nats, n = model.eval().loss(model.encode(sentences[:8], vocab, chars, tags[:8], xpos[:8]))
    assert abs(metrics["loss"] - float(nats) / n) < 1e-5


def test_tagger_gradients_are_the_same_on_every_run_with_two_threads():
    """The character features reach the words by an embedding lookup, whose backward sums in a fixed
    order; plain indexing's backward (index_put_ with accumulate) did not with two threads, so the
    same --seed gave different taggers."""
    sentences, tags, vocab, chars = tagger_data()
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model = SequenceTagger(len(vocab), len(chars), 3, embedding_dim=8, char_dim=4, char_hidden=64,
                               hidden_size=8, num_layers=1, dropout=0.0, word_dropout=0.0)
        batch = model.encode(sentences * 8, vocab, chars, tags * 8)   # every form many times over
        grads = set()
        for _ in range(6):
            model.zero_grad()
            model.loss(batch)[0].backward()
            grads.add(model.chars.embedding.weight.grad.numpy().tobytes())
    finally:
        torch.set_num_threads(threads)
    assert len(grads) == 1
