"""Clips in the classify task: with ``--clips DIR --labels FILE`` the classifier reads sequences of
frames (a video as a sequence of images): a CNN turns each frame into a vector, the recurrent
layers read the vectors, the pooling and the classifier decide, as for text and recordings
(``SequenceClassifier(image_size=...)``).  The text and recording options do not apply.
"""
from __future__ import annotations

import statistics

import torch

from rnnkit.data import SentenceBatches, hold_out
from rnnkit.data.vocab import ids_of_labels
from rnnkit.data.clips import ClipFolder, ClipLabels, pad_clips, read_clip_labels
from rnnkit.data.images import native_size, parse_size
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models import SequenceClassifier
from rnnkit.tasks.base import Prepared, parameters
from rnnkit.tasks.budget import batch_for, clips_budget, reading
from rnnkit.tasks.classification.config import RECORDINGS_ONLY, TEXT_ONLY, label_set, options_given, settled
from rnnkit.tasks.options import channel_list, check_cnn_fits, held_out

CLIP_MODEL = {"cell": "gru", "hidden": 128, "dropout": 0.2, "pooling": "mean", "deltas": True,
              "cnn_channels": "16,32,64"}   # where the user gives none (issue 34's validation)


class Collate:
    """A batch of (clip index, label id) as ``(clips [T, B, C, H, W], lengths [B], labels [B])``."""

    def __init__(self, clips: list[torch.Tensor]):
        self.clips = clips

    def __call__(self, examples):
        x, lengths = pad_clips([self.clips[k] for k, _ in examples])
        return x, lengths, torch.tensor([label for _, label in examples])


def folder_of(model: SequenceClassifier, root) -> ClipFolder:
    """Clips read at the frame size and with the channels the model was trained on."""
    return ClipFolder(root, tuple(model.config["image_size"]), model.config["image_channels"])


class Examples:
    """Labelled clips, read once: ``clips`` (``uint8 [T, C, H, W]`` each) and ``(clip index, label id)``
    pairs, which ``score`` and the batches read through ``collate``."""

    def __init__(self, clips: list[torch.Tensor], ids: list[int]):
        self.clips, self.pairs = clips, list(enumerate(ids))
        self.collate = Collate(clips)

    def __len__(self) -> int:
        return len(self.pairs)


def read_examples(folder: ClipFolder, data: ClipLabels, labels: list[str]) -> Examples:
    ids = ids_of_labels(data.labels, data.lines, labels, data.source)   # an unknown label: an error naming it
    return Examples([folder.read(name) for name in data.clips], ids)


def test_examples(model: SequenceClassifier, clips: str, labels: str) -> Examples:
    """The labelled test clips of ``rnnkit evaluate``."""
    folder = folder_of(model, clips)
    return read_examples(folder, read_clip_labels(labels, folder), model.labels)


def defaults_for(c, folder: ClipFolder, clips: list[str]) -> dict:
    """The options a clips run takes from its training ``clips`` where ``c`` leaves them open: a
    small CNN of each frame reading it with its difference from the frame before, at the frames'
    own size (``native_size``), a bidirectional GRU with mean pooling and light dropout, and a
    batch of about an eighth of the set (4 to 16)."""
    cnn = c.cnn_channels or CLIP_MODEL["cnn_channels"]
    size = native_size([folder.original_size(name) for name in dict.fromkeys(clips)],
                       least=2 ** len(channel_list(cnn).split(",")))
    return {**CLIP_MODEL, "image_size": f"{size[0]}x{size[1]}", "batch_size": batch_for(len(clips), 16)}


def prepare(task, run) -> Prepared:
    """The classify task's ``prepare`` for clips."""
    c = task.config
    if not c.labels:
        raise RnnkitError("--clips DIR needs --labels FILE (CLIP<TAB>LABEL per line)")
    given = options_given(c, (*TEXT_ONLY, *(n for n in RECORDINGS_ONLY if n != "deltas"), "train", "valid", "format"))
    if given:
        raise RnnkitError(f"--clips reads clips; the option(s) {given} do not apply to them")
    probe = ClipFolder(c.clips, (1, 1), 1)     # names and sizes, before the frame size is settled
    train = read_clip_labels(c.labels, probe)
    if c.valid_labels:
        train_data = train
    else:   # a seeded random hold-out, in file order
        fraction = held_out(c.valid_fraction)
        kept, held = hold_out(list(zip(train.clips, train.labels, train.lines)), fraction, c.seed)
        train_data, valid_data = (ClipLabels(train.source, *map(list, zip(*rows))) if rows else
                                  ClipLabels(train.source, [], [], []) for rows in (kept, held))
    c = settled(c, defaults_for(c, probe, train_data.clips or train.clips))
    size = parse_size(c.image_size)
    check_cnn_fits(size, c.cnn_channels)
    if run is None:   # colour where any training clip's first frame has colour
        channels = 3 if any(probe.is_colour(name) for name in dict.fromkeys(train.clips)) else 1
        labels = label_set(train.labels)
        if len(labels) < 2:
            raise DataError(f"{c.labels}: every clip has the label {labels[0]!r}; a classifier needs two or more")
    else:
        data = run.read_config()["data"]
        channels, labels = data["channels"], data["labels"]
    folder = ClipFolder(c.clips, size, channels)
    valid = read_examples(folder, read_clip_labels(c.valid_labels, folder) if c.valid_labels else valid_data, labels)
    examples = read_examples(folder, train_data, labels)
    options = c.recurrent_options()
    cnn = tuple(int(x) for x in channel_list(c.cnn_channels).split(","))
    model = SequenceClassifier(0, len(labels), embedding_dim=options["hidden_size"], image_size=size,
                               image_channels=channels, cnn_channels=cnn, deltas=c.deltas,
                               bidirectional=not c.unidirectional, pooling=c.pooling, labels=labels, **options)
    # at random, not by clip length: the frame CNN's BatchNorm would see batches of one length in
    # training only (and a length that goes with a label would show in the batch statistics)
    batches = SentenceBatches(examples.pairs, None, c.batch_size, examples.collate, seed=c.seed)
    lengths = [len(clip) for clip in examples.clips]
    training = clips_budget(statistics.median_low(lengths)).length(len(examples), c)
    reads = f"{c.pooling} pooling" + (", frame differences" if c.deltas else "")
    description = (f"{c.cell.upper()} classifier of clips ({reads}): "
                   f"{parameters(model)} ({c.hidden} units, CNN "
                   f"{c.cnn_channels}, dropout {c.dropout}), {size[0]}x{size[1]} "
                   f"{'colour' if channels == 3 else 'grey'} frames, {min(lengths)}-{max(lengths)} frames a clip, "
                   f"{len(labels)} labels, batch {c.batch_size}, {len(examples):,} training and {len(valid):,} "
                   f"validation clips; {reading(training)}, validating every {training['eval_every']} steps and "
                   f"stopping after {training['patience']} without improvement")
    resolved = {k: getattr(c, k) for k in (*CLIP_MODEL, "image_size", "batch_size")}
    data = {"level": "clips", "labels": labels, "channels": channels, "resolved": resolved, "training": training}
    return Prepared(model, batches.epoch, valid if len(valid) else None, data, description, training=training)
