"""Text in the classify task: TSV examples of a text and its label, words embedded, read whole."""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from rnnkit.data import SentenceBatches, Vocab, hold_out, pad_batch, read_text, read_tsv, tokenizer_for
from rnnkit.data.vocab import ids_of_labels
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models import SequenceClassifier
from rnnkit.tasks.base import Prepared, parameters
from rnnkit.tasks.classification.config import RECORDINGS_ONLY, label_set, options_given, settled
from rnnkit.tasks.options import held_out

TEXT_DEFAULTS = {"cell": "lstm", "hidden": 256, "dropout": 0.5, "pooling": "attention", "batch_size": 64, "frame": 1}
TEXT_TRAINING = {"epochs": 8}



def prepare(task, run) -> Prepared:
    """The classify task's ``prepare`` for text."""
    c = task.config
    refuse_recording_options(c)
    c = settled(c, TEXT_DEFAULTS)
    tokenizer = tokenizer_for("text", lowercase=not c.keep_case)
    train_rows = rows(c.train, c.text_column, c.label_column)
    if c.valid:
        valid_path, valid_rows = c.valid, rows(c.valid, c.text_column, c.label_column)
    else:   # a seeded random hold-out, in file order
        fraction = held_out(c.valid_fraction)
        valid_path = c.train
        train_rows, valid_rows = hold_out(train_rows, fraction, c.seed)
    if run is None:
        labels = label_set([label for _, label, _ in train_rows])
        if len(labels) < 2:
            raise DataError(f"{c.train}: every example has the label {labels[0]!r}; a classifier needs two or more")
        vocab = Vocab.build((w for text, _, _ in train_rows for w in tokenizer.tokenize(text)),
                            min_freq=c.min_freq, max_size=c.max_vocab)
    else:
        labels, vocab = run.read_config()["data"]["labels"], Vocab.load(run.path / "vocab.json")
    train_examples = encode(train_rows, c.train, vocab, tokenizer, labels)
    valid_examples = encode(valid_rows, valid_path, vocab, tokenizer, labels)
    model = SequenceClassifier(len(vocab), len(labels), embedding_dim=c.embedding,
                               bidirectional=not c.unidirectional, pooling=c.pooling, vocab=vocab,
                               tokenizer=tokenizer, labels=labels, **c.recurrent_options())
    batches = SentenceBatches(train_examples, [len(ids) for ids, _ in train_examples], c.batch_size, collate,
                              seed=c.seed)
    data = {"level": "text", "lowercase": not c.keep_case, "labels": labels, "text_column": c.text_column,
            "label_column": c.label_column}
    description = (f"{c.cell.upper()} classifier ({c.pooling} pooling): "
                   f"{parameters(model)}, vocabulary {len(vocab):,}, "
                   f"{len(labels)} labels, {len(train_examples):,} training and {len(valid_examples):,} "
                   "validation examples")
    return Prepared(model, batches.epoch, valid_examples or None, data, description, training=TEXT_TRAINING)


def refuse_recording_options(config) -> None:
    """The text classifier's check: the options for recordings are not for text."""
    given = options_given(config, RECORDINGS_ONLY)
    if given:
        raise RnnkitError(f"{config.train} holds text; the option(s) {given} apply to recordings (.ts or "
                          "long-form .csv) only")


def rows(path, text_column, label_column) -> list[tuple[str, str, int]]:
    """(text, label, line number) of every example of a labelled TSV file."""
    data = read_tsv(path, text_column, label_column)
    return list(zip(data.texts, data.labels, data.lines))


def encode(examples, path, vocab: Vocab, tokenizer, labels: list[str]) -> list[tuple[list[int], int]]:
    """(word ids, label id) per (text, label, line); a label the model does not know is an error."""
    ids = ids_of_labels([label for _, label, _ in examples], [line for *_, line in examples], labels, path)
    encoded = []
    for (text, _, line), label in zip(examples, ids):
        tokens = tokenizer.tokenize(text)
        if not tokens:
            raise DataError(f"{path}, line {line}: the text has no words")
        encoded.append((vocab.encode(tokens), label))
    return encoded


def collate(examples):
    tokens, lengths = pad_batch([ids for ids, _ in examples], 0)
    return tokens, lengths, torch.tensor([label for _, label in examples])


def input_texts(model, path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().split("\n")
    if Path(path).name.removesuffix(".gz").endswith(".tsv"):
        data = model.run_config["data"]
        return read_tsv(path, data.get("text_column"), data.get("label_column"), labelled=False).texts
    return read_text(path).split("\n")
