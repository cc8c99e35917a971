"""The tagger from Python: its data, ``(sentences, tags)``, each a list of token lists of the same
shape (one UPOS tag per word), written as CoNLL-U; and the trained tagger's ``predict``: the tags
of sentences, as ``rnnkit tag`` gives them."""
from __future__ import annotations

from pathlib import Path

from rnnkit.data import document_from_tokens
from rnnkit.data.conllu import UPOS
from rnnkit.errors import RnnkitError
from rnnkit.models import SequenceTagger
from rnnkit.tasks.python import pair_of_lists, write_file
from rnnkit.tasks.tagging.verbs import VERBS
from rnnkit.tasks.trained import Trained


class TrainedTagger(Trained, SequenceTagger):
    """A trained part-of-speech tagger."""

    def predict(self, inputs, **options) -> list[list[str]]:
        """The UPOS tag of each word (``xpos=True``: the XPOS tag) of each sentence of ``inputs``: a
        list of sentences, each a list of words or a string of words separated by spaces (a string
        alone is one sentence); a list of tag lists, one per sentence (one list for a string alone).
        ``options``: ``batch_size`` and ``xpos``, as for ``rnnkit tag``."""
        s = self.settings(options, VERBS[0], ("batch_size", "xpos"))
        if s.xpos and self.xpos is None:
            raise RnnkitError("xpos=True: the model was trained without XPOS (train with xpos=True)")
        alone = isinstance(inputs, str)
        sentences = [inputs] if alone else inputs
        if isinstance(sentences, (bytes, dict)) or not hasattr(sentences, "__len__") or not len(sentences):
            raise RnnkitError(f"inputs: a list of sentences (each a list of words or a string), got {inputs!r:.80}")
        words = []
        for k, sentence in enumerate(sentences):
            tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
            if not tokens or not all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens):
                raise RnnkitError(f"inputs: sentence {k} is {sentence!r:.80}; a sentence is a non-empty list of words "
                                  "(strings without spaces) or a string of them")
            words.append(tokens)
        upos, xpos = self.tag(words, batch_size=s.batch_size)
        tags = xpos if s.xpos else upos
        return tags[0] if alone else tags


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
