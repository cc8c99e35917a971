"""The language model's data from Python: a text, or a list of texts read one after the other
(one per line of the file it becomes)."""
from __future__ import annotations

from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.tasks.python import write_file


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
