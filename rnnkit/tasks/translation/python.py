"""Translation's data from Python: ``(sources, targets)``, two lists of sentences, one pair each."""
from __future__ import annotations

from pathlib import Path

from rnnkit.tasks.python import one_line, pair_of_lists, write_file


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
