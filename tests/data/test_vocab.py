import pytest

from rnnkit.data import EOS, PAD, UNK, CharTokenizer, Vocab, WordTokenizer
from rnnkit.errors import DataError


def test_specials_first_and_frequency_order():
    v = Vocab.build("b a c a b a".split())
    assert v.tokens[:4] == [PAD, UNK, "<bos>", EOS]
    assert v.tokens[4:] == ["a", "b", "c"]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)


def test_min_freq_max_size_and_unknown_tokens():
    v = Vocab.build("a a a b b c".split(), min_freq=2)
    assert "c" not in v and v.encode(["c", "a"]) == [v.unk_id, v.index["a"]]
    assert len(Vocab.build("a a a b b c".split(), max_size=1)) == 5
    assert v.unknown(["a", "z", "y", "z"]) == ["z", "y"]


def test_literal_unk_in_data_is_the_vocabularys_unk():
    tokens = WordTokenizer().tokenize("the <unk> sat\n")
    v = Vocab.build(tokens)
    assert v.tokens.count(UNK) == 1
    assert v.encode(tokens)[1] == v.unk_id


def test_save_and_load_round_trip(tmp_path):
    v = Vocab.build(list("hello world"))
    v.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json").tokens == v.tokens
    (tmp_path / "broken.json").write_text("{nope")
    with pytest.raises(DataError, match="not a vocabulary file"):
        Vocab.load(tmp_path / "broken.json")


def test_tokenizers_round_trip():
    w = WordTokenizer()
    tokens = w.tokenize(" the cat \n sat  down\n")
    assert tokens == ["the", "cat", EOS, "sat", "down", EOS]
    assert w.detokenize(tokens) == "the cat\nsat down\n"
    assert w.tokenize("no newline") == ["no", "newline"]
    assert w.count_chars(" the cat \n sat  down\n") == len("the cat\nsat down\n")
    c = CharTokenizer()
    assert c.detokenize(c.tokenize("ab\nc")) == "ab\nc"
