"""The translation tokenizers: SentencePiece subwords and reversible words, both giving back the
exact text."""
import random

import pytest

from rnnkit.data import ReversibleWordTokenizer, SubwordTokenizer
from rnnkit.errors import DataError

WORDS = ["Hund", "Katze", "läuft", "über", "die", "Straße", "schnell", "rot", "Männer", "spielen", "Fußball"]


def sentences(n, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))) + rng.choice([".", "!", " ?"])
            for _ in range(n)]


def test_subword_round_trip_save_and_load(tmp_path):
    text = sentences(300)
    tokenizer = SubwordTokenizer.train(text, vocab_size=40)
    pieces = tokenizer.tokenize("Männer spielen Fußball.")
    assert len(pieces) >= 3 and all(isinstance(p, str) for p in pieces)
    for s in text[:50] + ["Die Katze läuft schnell über die Straße!"]:
        assert tokenizer.detokenize(tokenizer.tokenize(s)) == s
    tokenizer.save(tmp_path / "m.model")
    again = SubwordTokenizer.load(tmp_path / "m.model")
    assert again.tokenize(text[3]) == tokenizer.tokenize(text[3])
    assert len({p for s in text for p in tokenizer.tokenize(s)}) <= 40


def test_subword_vocab_size_is_a_ceiling_on_small_text():
    tokenizer = SubwordTokenizer.train(["ein Hund", "eine Katze"], vocab_size=8000)
    assert tokenizer.detokenize(tokenizer.tokenize("ein Hund")) == "ein Hund"


def test_not_a_subword_model(tmp_path):
    (tmp_path / "bad.model").write_bytes(b"not a model")
    with pytest.raises(DataError, match="bad.model: not a SentencePiece model"):
        SubwordTokenizer.load(tmp_path / "bad.model")


def test_reversible_words_mark_what_was_joined():
    tokenizer = ReversibleWordTokenizer()
    text = 'Ein Mann, der (sehr) "schnell" läuft. Don\'t!'
    tokens = tokenizer.tokenize(text)
    assert tokens == ["Ein", "Mann", "￭,", "der", "(", "￭sehr", "￭)", '"', "￭schnell", '￭"', "läuft", "￭.", "Do",
                      "￭n't", "￭!"]
    assert tokenizer.detokenize(tokens) == text
    assert tokenizer.detokenize(["￭.", "A", "dog", "￭."]) == ". A dog."   # a joiner first is dropped
    assert tokenizer.tokenize("  ") == []
