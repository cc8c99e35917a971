"""Translation from Python: its data, ``(sources, targets)``, two lists of sentences, one pair
each; and the trained model's ``predict``: translations, as ``rnnkit translate`` gives them."""
from __future__ import annotations

from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.models import Seq2Seq
from rnnkit.tasks.python import one_line, pair_of_lists, write_file
from rnnkit.tasks.trained import Trained
from rnnkit.tasks.translation.decode import translate
from rnnkit.tasks.translation.verbs import VERBS


class TrainedTranslator(Trained, Seq2Seq):
    """A trained translation model."""

    def predict(self, inputs, **options):
        """The translation of each sentence of ``inputs`` (a list of strings; a string alone gives
        its translation), detokenised (an empty sentence gives an empty translation).  ``options``:
        ``beam``, ``alpha`` and ``batch_size``, as for ``rnnkit translate``."""
        s = self.settings(options, VERBS[0], ("beam", "alpha", "batch_size"))
        sentences = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(sentences, (list, tuple)) or not sentences:
            raise RnnkitError(f"inputs: a sentence or a non-empty list of them, got {inputs!r:.80}")
        lines = [one_line(sentence, "inputs: sentence", k) for k, sentence in enumerate(sentences)]
        texts = [r.text for r in translate(self, lines, beam_size=s.beam, alpha=s.alpha, batch_size=s.batch_size)]
        return texts[0] if isinstance(inputs, str) else texts


def data_files(data, valid, folder: Path) -> dict:
    """``train.src``, ``train.tgt`` (and ``valid.*``) in ``folder``: the options ``src``, ``tgt``,
    ``valid_src`` and ``valid_tgt``."""
    options = {}
    for role, given, prefix in (("data", data, ""), ("valid", valid, "valid_")):
        if given is None:
            continue
        sources, targets = pair_of_lists(given, "sources", "targets", role)
        part = "train" if role == "data" else "valid"
        for side, sentences in (("src", sources), ("tgt", targets)):
            lines = [one_line(s, f"{role}: {side} sentence", k) for k, s in enumerate(sentences)]
            options[prefix + side] = write_file(folder, f"{part}.{side}", "".join(line + "\n" for line in lines))
    return options
