"""The language model from Python: its data, a text or a list of texts read one after the other
(one per line of the file it becomes), and the trained model's ``predict``: text sampled after
each prompt, as ``rnnkit generate`` samples it."""
from __future__ import annotations

from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.models import LanguageModel
from rnnkit.tasks.language_model.generate import sample_text
from rnnkit.tasks.language_model.verbs import GENERATE
from rnnkit.tasks.python import write_file
from rnnkit.tasks.trained import Trained


class TrainedLanguageModel(Trained, LanguageModel):
    """A trained language model."""

    def predict(self, inputs, **options):
        """``inputs`` (a prompt, or a list of prompts) each followed by sampled text, as ``rnnkit
        generate --prime PROMPT`` prints it: a string for a string, a list for a list.
        ``options``: ``length``, ``temperature``, ``top_k``, ``top_p`` and ``seed``, as for ``rnnkit
        generate``."""
        s = self.settings(options, GENERATE, ("length", "temperature", "top_k", "top_p", "seed"))
        prompts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(prompts, (list, tuple)) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise RnnkitError(f"inputs: a prompt (a string) or a non-empty list of them, got {inputs!r:.80}")
        texts = [sample_text(self, p, s.length, temperature=s.temperature, top_k=s.top_k, top_p=s.top_p, seed=s.seed)
                 for p in prompts]
        return texts[0] if isinstance(inputs, str) else texts


def data_files(data, valid, folder: Path) -> dict:
    """``train.txt`` and ``valid.txt`` in ``folder``: the options ``text`` and ``valid``."""
    options = {}
    for role, given, option, name in (("data", data, "text", "train.txt"), ("valid", valid, "valid", "valid.txt")):
        if given is not None:
            options[option] = write_file(folder, name, text_of(given, role))
    return options


def text_of(given, role: str) -> str:
    if isinstance(given, str):
        text = given
    elif isinstance(given, (list, tuple)) and all(isinstance(t, str) for t in given):
        text = "\n".join(given)
    else:
        raise RnnkitError(f"{role}: a language model reads a string or a list of strings, got "
                          f"{type(given).__name__}")
    if not text.strip():
        raise RnnkitError(f"{role}: the text is empty")
    return text
