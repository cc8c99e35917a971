"""The classifier from Python: its data, ``(examples, labels)``, where the examples are texts (a
list of strings, written as TSV), recordings (an array ``[cases, steps, channels]``, or a list of
``[steps, channels]`` arrays of different lengths; NaN where a value is missing; written as a
long-form CSV) or clips (an array ``[clips, frames, height, width(, channels)]`` or a list of
``[frames, height, width(, channels)]`` arrays, bytes or values in [0, 1]; written as ``.npy``
files with a labels file); labels are anything with a string form.  And the trained classifier's
``predict`` on the same kinds of examples."""
from __future__ import annotations

import csv
import io
import math
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import torch

from rnnkit.data import pad_batch
from rnnkit.data.clips import pad_clips
from rnnkit.data.recordings import pad_cases
from rnnkit.errors import RnnkitError
from rnnkit.models import SequenceClassifier
from rnnkit.tasks.classification import clips
from rnnkit.tasks.classification.verbs import CLASSIFY
from rnnkit.tasks.python import examples_of, one_line, pair_of_lists, write_clips, write_file
from rnnkit.tasks.trained import Trained


class TrainedClassifier(Trained, SequenceClassifier):
    """A trained classifier of texts, recordings or clips."""

    def predict(self, inputs, **options) -> dict:
        """The label of each input: ``{"label": [N], "probability": [N], "probabilities": [N,
        classes]}`` as NumPy arrays, the classes in the order of ``self.labels``.  ``inputs``: texts
        (a string or a list of strings), recordings (as for training) or clips (as for training).
        ``options``: ``batch_size``, and ``explain`` (attention pooling only: ``"explanation"``, each
        text's words with their attention weights), as for ``rnnkit classify``."""
        s = self.settings(options, CLASSIFY, ("batch_size", "explain"))
        if s.explain and (self.features or self.clips or self.pooling.how != "attention"):
            raise RnnkitError("explain=True: needs a classifier of text trained with pooling='attention'")
        if self.clips:
            items, pad = clips_of(self, inputs), pad_clips
        elif self.features:
            items, pad = [recording(x, "inputs", k) for k, x in enumerate(examples_of(inputs, "inputs"))], pad_cases
            for k, x in enumerate(items):
                if x.shape[1] != self.features:
                    raise RnnkitError(f"inputs: recording {k} has {x.shape[1]} channel(s), the model was trained on "
                                      f"{self.features}")
        else:
            words = self._tokens(inputs)
            items = [self.vocab.encode(w) for w in words]
            pad = partial(pad_batch, pad_id=self.vocab.pad_id)
        probabilities, weights = self.classify(items, pad, s.batch_size)
        p, best = probabilities.max(-1)
        out = {"label": np.array([self.labels[int(k)] for k in best]), "probability": p.numpy(),
               "probabilities": probabilities.numpy()}
        if s.explain:
            out["explanation"] = [list(zip(w, a.tolist())) for w, a in zip(words, weights)]
        return out

    def _tokens(self, texts) -> list[list[str]]:
        texts = [texts] if isinstance(texts, str) else examples_of(texts, "inputs")
        tokens = []
        for k, text in enumerate(texts):
            if not isinstance(text, str):
                raise RnnkitError(f"inputs: a classifier of text reads strings; input {k} is {type(text).__name__}")
            tokens.append(self.tokenizer.tokenize(text))
            if not tokens[-1]:
                raise RnnkitError(f"inputs: text {k} ({text!r}) has no words to classify")
        return tokens


def is_clip(example) -> bool:
    """A clip is ``[frames, height, width(, channels)]``; a recording has at most two dimensions."""
    return not isinstance(example, str) and np.ndim(example) >= 3


def clips_of(model, inputs) -> list[torch.Tensor]:
    """Clips in memory, read as the model reads its clip files (letterboxed, its channels)."""
    given = examples_of(inputs, "inputs")
    with tempfile.TemporaryDirectory(prefix="rnnkit-clips-") as folder:
        names = write_clips(Path(folder), given, "", "inputs")
        reader = clips.folder_of(model, folder)
        return [reader.read(name) for name in names]


def data_files(data, valid, folder: Path) -> dict:
    """``train.tsv`` (text, then label), ``train.csv`` or ``clips/`` with ``labels.tsv`` (and
    ``valid.*``) in ``folder``: the options ``train`` and ``valid``, or ``clips``, ``labels`` and
    ``valid_labels``."""
    options = {}
    for role, given, option in (("data", data, "train"), ("valid", valid, "valid")):
        if given is None:
            continue
        examples, labels = pair_of_lists(given, "examples", "labels", role)
        if all(isinstance(x, str) for x in examples):
            options[option] = write_file(folder, f"{option}.tsv", tsv(examples, labels, role))
        elif is_clip(examples[0]):
            names = write_clips(folder / "clips", examples, "" if role == "data" else "valid-", role)
            rows = "".join(f"{name}\t{label_text(y, role, k)}\n" for k, (name, y) in enumerate(zip(names, labels)))
            key = "labels" if role == "data" else "valid_labels"
            options.update({"clips": str(folder / "clips"), key: write_file(folder, f"{option}-labels.tsv", rows)})
        else:
            options[option] = write_file(folder, f"{option}.csv", long_csv(examples, labels, role))
    return options


def label_text(label, role: str, k: int) -> str:
    text = str(label)
    if isinstance(label, float) and math.isnan(label) or label is None:
        raise RnnkitError(f"{role}: label {k} is missing ({label!r}); every example needs its label")
    if not text.strip() or "\n" in text or "\r" in text or "\t" in text:
        raise RnnkitError(f"{role}: label {k} is {label!r}; a label is a non-empty string (or a number) on one line")
    return text.strip()


def test_files(model, data, folder: Path) -> dict:
    """``model.evaluate((examples, labels))``: the examples written as validation data, read as
    test data; a TSV by column number (the run's own columns may be named)."""
    written = data_files(None, data, folder)
    options = {{"valid": "test", "valid_labels": "labels"}.get(name, name): value for name, value in written.items()}
    if str(options.get("test", "")).endswith(".tsv"):
        options.update(text_column="0", label_column="1")
    return options


def tsv(texts: list[str], labels: list, role: str) -> str:
    rows = [f"{one_line(t, f'{role}: text', k)}\t{label_text(y, role, k)}" for k, (t, y) in
             enumerate(zip(texts, labels))]
    return "".join(row + "\n" for row in rows)


def recording(case, role: str, k: int) -> torch.Tensor:
    """One case as ``float64 [steps, channels]``."""
    if isinstance(case, str):
        raise RnnkitError(f"{role}: example {k} is a string among recordings; give all texts or all arrays")
    if is_clip(case):
        raise RnnkitError(f"{role}: example {k} has {np.ndim(case)} dimensions among recordings ([steps, channels]); "
                          "give all recordings or all clips")
    try:
        x = torch.as_tensor(case, dtype=torch.float64)
    except (TypeError, ValueError) as e:
        raise RnnkitError(f"{role}: recording {k} is not an array of numbers ({e})") from None
    if x.dim() == 1:
        x = x[:, None]
    if x.dim() != 2 or not len(x) or not x.shape[1]:
        raise RnnkitError(f"{role}: recording {k} has shape {list(x.shape)}; expected [steps, channels] (the data as "
                          "a whole [cases, steps, channels]), with at least one step")
    if torch.isinf(x).any():
        raise RnnkitError(f"{role}: recording {k} holds an infinite value (NaN marks a missing one)")
    return x


def long_csv(cases, labels: list, role: str) -> str:
    arrays = [recording(case, role, k) for k, case in enumerate(cases)]
    channels = arrays[0].shape[1]
    for k, x in enumerate(arrays):
        if x.shape[1] != channels:
            raise RnnkitError(f"{role}: recording {k} has {x.shape[1]} channel(s), recording 0 has {channels}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["case", "step", *(f"channel{c}" for c in range(1, channels + 1)), "label"])
    for k, (x, label) in enumerate(zip(arrays, labels)):
        label = label_text(label, role, k)
        for t, row in enumerate(x.tolist()):
            writer.writerow([k, t, *("" if math.isnan(v) else repr(v) for v in row), label])
    return out.getvalue()
