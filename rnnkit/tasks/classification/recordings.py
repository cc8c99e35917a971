"""Recordings in the classify task: where ``--train`` names a ``.ts`` (UEA/UCR), UCR text or
long-form ``.csv`` file (``rnnkit.data.recordings.recordings_format``), the classifier reads
sequences of measurement vectors instead of text.  The many-to-one structure and the recurrent
options are the same; the front end standardises each channel with statistics of the training
recordings and projects each step to the hidden size (``SequenceClassifier(features=C)``); the
text options do not apply.  Where the user leaves them open, the options come from the data
(``defaults_for``, ``BUDGET``).
"""
from __future__ import annotations

import math
import statistics

import torch

from rnnkit.data import SentenceBatches, stratified_hold_out
from rnnkit.data.vocab import ids_of_labels
from rnnkit.data.recordings import Recordings, pad_cases, read_recordings
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models import SequenceClassifier
from rnnkit.tasks.base import Prepared, parameters
from rnnkit.tasks.budget import Budget, batch_for
from rnnkit.tasks.classification.config import FRAME_STEPS, TEXT_ONLY, label_set, options_given, settled
from rnnkit.tasks.cross_validation import cross_validate, folds_for, refit_training
from rnnkit.tasks.options import held_out

CASES_READ = 60_000     # training cases a default run reads...
MIN_STEPS = 600         # ...in at least this many optimizer steps (a small set is read more often)...
MAX_EPOCHS = 300        # ...and at most this many epochs
BUDGET = Budget(CASES_READ, MAX_EPOCHS, min_steps=MIN_STEPS)   # how long a run trains where epochs are not given
STANDARDISED = {"case": "each by itself first", "training": "by the training set"}   # --normalize, in words
VALID_FRACTION = 0.2    # the default hold-out: a fifth of each class, so that a small set validates on several


def collate(examples):
    x, lengths = pad_cases([case for case, _ in examples])
    return x, lengths, torch.tensor([label for _, label in examples])


def examples_of(data: Recordings, labels: list[str]) -> list[tuple[torch.Tensor, int]]:
    """(case, label id) per case; a label the model does not know is an error naming it."""
    return list(zip(data.cases, ids_of_labels(data.labels, data.lines, labels, data.source)))


def read_for(model: SequenceClassifier, path: str, labelled: bool) -> Recordings:
    """Recordings for a trained model: the same number of channels as in training."""
    data = read_recordings(path, labelled)
    if data.channels != model.features:
        raise DataError(f"{path}: the recordings have {data.channels} channel(s), the model was trained on "
                        f"{model.features}")
    return data


def defaults_for(cases: int, median: int) -> dict:
    """The options a recordings run takes from its data where the user gave none: ``cases``
    training recordings of ``median`` steps in the middle.  A batch of about an eighth of the set
    (4 to 32), a frame that keeps the typical recording's recurrent run within ``FRAME_STEPS``
    steps, each recording standardised by its own statistics first, and a small bidirectional GRU
    with mean pooling and light dropout."""
    return {"cell": "gru", "hidden": 64, "dropout": 0.2, "pooling": "mean", "batch_size": batch_for(cases, 32),
            "frame": max(1, math.ceil(median / FRAME_STEPS)), "normalize": "case", "deltas": False}


def built(c, examples: list, labels: list[str], channels: int):
    """``(c settled, model, batches of each epoch, training length)`` for training on ``examples``,
    with the options ``c`` leaves open taken from them."""
    c = settled(c, defaults_for(len(examples), statistics.median_low(len(case) for case, _ in examples)))
    training = BUDGET.length(len(examples), c)
    options = c.recurrent_options()
    model = SequenceClassifier(0, len(labels), embedding_dim=options["hidden_size"], features=channels,
                               deltas=c.deltas, frame=c.frame, normalize=c.normalize,
                               bidirectional=not c.unidirectional, pooling=c.pooling, labels=labels, **options)
    model.fit_normalization([case for case, _ in examples])
    batches = SentenceBatches(examples, [len(case) for case, _ in examples], c.batch_size, collate, seed=c.seed)
    return c, model, batches.epoch, training


def prepare(task, run, form: str) -> Prepared:
    """The classify task's ``prepare`` for recordings; ``--train`` holds them in ``form``
    (``recordings_format``'s)."""
    c = task.config
    given = options_given(c, TEXT_ONLY)
    if given:
        raise RnnkitError(f"{c.train} holds recordings; the text option(s) {given} do not apply to them")
    train = read_recordings(c.train, format=form)
    if run is None:
        labels = train.class_labels or label_set(train.labels)
        if len(set(train.labels)) < 2:
            raise DataError(f"{c.train}: every case has the label {train.labels[0]!r}; a classifier needs two or more")
    else:
        labels = run.read_config()["data"]["labels"]
    train_examples = examples_of(train, labels)
    valid_examples, cross_validation = [], None
    if c.valid:
        valid = read_recordings(c.valid, format=c.format)
        if valid.channels != train.channels:
            raise DataError(f"{c.valid}: the recordings have {valid.channels} channel(s), {c.train} has "
                            f"{train.channels}")
        valid_examples = examples_of(valid, labels)
    elif run is not None and "cross_validation" in run.read_config()["data"]:   # resumed: as it started
        cross_validation = run.read_config()["data"]["cross_validation"]
    elif run is None and c.valid_fraction is None and c.epochs is None and \
            (folds := folds_for([y for _, y in train_examples])):   # too few of each class to hold some out
        cross_validation = cross_validate(task, train_examples, [y for _, y in train_examples], folds, c.seed,
                                          lambda examples: built(c, examples, labels, train.channels)[1:],
                                          c.max_time and c.max_time / (folds + 1))
    else:   # a seeded hold-out of each class, in file order; every class keeps a case in training
        fraction = held_out(c.valid_fraction, VALID_FRACTION)
        held = set(stratified_hold_out([label for _, label in train_examples], fraction, c.seed))
        valid_examples = [e for k, e in enumerate(train_examples) if k in held]
        train_examples = [e for k, e in enumerate(train_examples) if k not in held]
    c, model, batches, training = built(c, train_examples, labels, train.channels)
    if cross_validation:
        share = c.max_time and c.max_time / (cross_validation["folds"] + 1)   # each fold's share and the refit's
        training = {**refit_training(cross_validation, len(batches(0))), **({"max_time": share} if share else {})}
    resolved = {k: getattr(c, k) for k in ("cell", "hidden", "dropout", "pooling", "batch_size", "frame", "normalize",
                                           "deltas")}
    data = {"level": "recordings", "labels": labels, "channels": train.channels, "resolved": resolved,
            "training": training, **({"cross_validation": cross_validation} if cross_validation else {})}
    lengths = [len(case) for case in train.cases]
    length = (f"{cross_validation['folds']}-fold cross-validation chose {cross_validation['passes']:.1f} passes "
              f"({training['max_steps']} steps) on all {len(train_examples):,} cases" if cross_validation else
              f"{len(train_examples):,} training and {len(valid_examples):,} validation cases, {training['epochs']} "
              f"epoch(s), validating every {training['eval_every']} steps and stopping after "
              f"{training['patience']} without improvement")
    description = (f"{c.cell.upper()} classifier of recordings ({c.pooling} pooling): "
                   f"{parameters(model)} ({c.hidden} units, dropout "
                   f"{c.dropout}), {train.channels} channel(s), {min(lengths)}-{max(lengths)} steps read "
                   f"{c.frame} at a time ({STANDARDISED[c.normalize]}), {len(labels)} labels, batch {c.batch_size}; "
                   f"{length}")
    return Prepared(model, batches, valid_examples or None, data, description, training=training)
