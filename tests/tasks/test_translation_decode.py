"""rnnkit.tasks.translation.decode.translate: text in, text out, order kept, empty lines empty, long sources
truncated with one warning."""
import warnings

import pytest

from rnnkit.data import ReversibleWordTokenizer, Vocab
from rnnkit.tasks.translation.decode import translate
from tests.models.test_seq2seq import toy, trained_reverser

LETTERS = "abcdefgh"     # token ids 4..11 of the toy data


@pytest.fixture(scope="module")
def reverser():
    data = toy(64)
    model = trained_reverser(data)
    vocab = Vocab(list(LETTERS))
    model.src_vocab = model.tgt_vocab = vocab
    model.src_tokenizer = model.tgt_tokenizer = ReversibleWordTokenizer()
    model.max_length = 10
    return model, data[0]


def text(ids):
    return " ".join(LETTERS[i - 4] for i in ids)


def test_translates_in_order_and_keeps_empty_lines(reverser):
    model, sources = reverser
    lines = [text(s) for s in sources[:20]]
    lines.insert(3, "")
    results = translate(model, lines, beam_size=3, batch_size=7)
    assert len(results) == len(lines)
    assert results[3].text == "" and results[3].tokens == [] and results[3].attention is None
    kept = [r for i, r in enumerate(results) if i != 3]
    right = sum(r.text == " ".join(reversed(line.split())) for r, line in zip(kept, lines[:3] + lines[4:]))
    assert right >= 16, [r.text for r in kept]
    first = results[0]
    assert first.source == lines[0].split()
    assert first.attention.shape == (len(first.tokens) + 1, len(first.source))


def test_batching_and_beam_one_agree_with_one_by_one(reverser):
    model, sources = reverser
    lines = [text(s) for s in sources[:10]]
    together = translate(model, lines, beam_size=1, batch_size=4)
    alone = [translate(model, [line], beam_size=1)[0] for line in lines]
    assert [r.text for r in together] == [r.text for r in alone]


def test_long_sources_are_truncated_with_one_warning(reverser):
    model, _ = reverser
    model.max_length = 3
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = translate(model, ["a b c d e", "a b c d", "a b"], beam_size=2)
    finally:
        model.max_length = 10
    assert len(caught) == 1 and "2 source sentence(s) longer than 3 tokens were truncated" in str(caught[0].message)
    assert results[0].source == ["a", "b", "c"] and results[2].source == ["a", "b"]
