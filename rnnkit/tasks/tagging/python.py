"""The tagger's data from Python: ``(sentences, tags)``, each a list of token lists of the same
shape (one UPOS tag per word), written as CoNLL-U."""
from __future__ import annotations

from pathlib import Path

from rnnkit.data import document_from_tokens
from rnnkit.data.conllu import UPOS
from rnnkit.errors import RnnkitError
from rnnkit.tasks.python import pair_of_lists, write_file


def data_files(data, valid, folder: Path) -> dict:
    """``train.conllu`` and ``valid.conllu`` in ``folder``: the options ``train`` and ``valid``."""
    options = {}
    for role, given, option in (("data", data, "train"), ("valid", valid, "valid")):
        if given is not None:
            options[option] = write_file(folder, f"{option}.conllu", conllu(given, role))
    return options


def conllu(given, role: str) -> str:
    sentences, tags = pair_of_lists(given, "sentences", "tag lists", role)
    for k, (words, sentence_tags) in enumerate(zip(sentences, tags)):
        if isinstance(words, str) or isinstance(sentence_tags, str):
            raise RnnkitError(f"{role}: sentence {k} is a string; give each sentence as a list of words and its "
                              "tags as a list of tags")
        words, sentence_tags = list(words), list(sentence_tags)
        if len(words) != len(sentence_tags) or not words:
            raise RnnkitError(f"{role}: sentence {k} has {len(words)} word(s) and {len(sentence_tags)} tag(s); "
                              "give one tag per word, and at least one word")
        for j, token in enumerate([*words, *sentence_tags]):
            if not isinstance(token, str) or not token or any(c.isspace() for c in token):
                raise RnnkitError(f"{role}: sentence {k}, item {j % len(words)}: {token!r} is not a word or tag "
                                  "(a non-empty string without spaces)")
    document = document_from_tokens([list(words) for words in sentences])
    document.set_tags(UPOS, [list(t) for t in tags])
    return document.text()
