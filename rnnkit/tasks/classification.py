"""Sentence classification (many-to-one): read a whole text, decide one label."""
from __future__ import annotations

import dataclasses
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data import SentenceBatches, Vocab, hold_out, pad_batch, read_text, read_tsv, tokenizer_for
from rnnkit.data.vocab import ids_of_labels
from rnnkit.data.images import MOST_PIXELS
from rnnkit.data.recordings import FORMATS, recordings_format
from rnnkit.tasks.recordings import FRAME_STEPS
from rnnkit.devices import device_of, to_device
from rnnkit.errors import DataError, RnnkitError
from rnnkit.layers import POOLINGS
from rnnkit.models import SequenceClassifier
from rnnkit.models.classifier import NORMALIZE
from rnnkit.models.modes import evaluating
from rnnkit.tasks import clips, recordings
from rnnkit.tasks.base import (Output, Prepared, Task, Verb, best_with_confusion, evaluation_confusion_plot, load,
                               load_weights, parameters, writable_plots, write_export)
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import (DEVICE, Option, channel_list, held_out, image_size, like, option, positive_int,
                                  run_dir_argument, valid_fraction_option)
from rnnkit.training import classification_metrics, confusion_matrix, format_classification_metrics


@dataclass
class ClassifierConfig(RecurrentConfig, TrainingConfig):
    train: str | None = option(None, "training examples, TSV (.gz accepted); or recordings: a UEA/UCR .ts file, "
                                     "a UCR text file (the label, then the values: Coffee_TRAIN.txt, the 2018 "
                                     "archive's .tsv) or a long-form .csv (case,step,channels...,label); required "
                                     "unless --clips", metavar="FILE", group="data")
    format: str = option("auto", "what --train and --valid hold: tsv (text), ts (UEA/UCR), ucr (UCR's text "
                                 "format), csv (long-form recordings); auto: .ts by its name, a case,step header "
                                 "as csv, every field a number with few distinct first fields as ucr, else text",
                         choices=FORMATS, group="data")
    valid: str | None = option(None, "validation examples, same layout", flags=("--valid", "--dev"), metavar="FILE",
                               group="data", exclusive="valid")
    valid_fraction: float | None = valid_fraction_option(
        "hold out a random fraction F of --train for validation", "--valid",
        "0.1 for text and clips, a fifth of each class for recordings,")
    clips: str | None = option(None, "clips instead of --train: a folder of clips (each a folder of frame images "
                                     "or a .npy array [frames, height, width(, channels)])", metavar="DIR",
                               group="clips")
    labels: str | None = option(None, "with --clips: CLIP<TAB>LABEL per line (CLIP as under DIR), an optional "
                                      "header", metavar="FILE", group="clips")
    valid_labels: str | None = option(None, "with --clips: validation clips, same layout (clips under DIR)",
                                      metavar="FILE", group="clips", exclusive="valid")
    image_size: str | None = option(None, "with --clips: frames are letterboxed to N x N or WIDTHxHEIGHT pixels "
                                          "(default: the clips' own size, never scaled up, scaled down to at most "
                                          f"{MOST_PIXELS:,} pixels)", type=image_size, metavar="SIZE", group="clips")
    cnn_channels: str | None = option(None, "with --clips: channels of each block of the frame CNN (each block "
                                            "halves the frame; default: 16,32,64)", type=channel_list,
                                      metavar="C,C,...", group="clips")
    text_column: str | None = option(None, "text column: a header name or 0-based index (default: 0)", metavar="C",
                                     group="data")
    label_column: str | None = option(None, "label column: a header name or 0-based index (default: last)",
                                      metavar="C", group="data")
    keep_case: bool = option(False, "do not lowercase the text", group="data")
    min_freq: int = option(1, "keep words seen at least this often", type=positive_int, group="data")
    max_vocab: int | None = option(None, "keep at most this many words (most frequent)", type=positive_int,
                                   group="data")
    cell: str | None = like(None, help="recurrent cell: lstm, gru or rnn (with --layer-norm or --reset), or any "
                                       "registered form by name (default: lstm for text, gru for recordings and "
                                       "clips)")
    hidden: int | None = like(None, help="units per layer and direction (default: 256 for text, 128 for clips, "
                                         "64 for recordings)")
    dropout: float | None = like(None, help="dropout on embeddings, between layers and before the classifier "
                                            "(default: 0.5 for text, 0.2 for recordings and clips)")
    embedding: int = option(300, "word embedding size", type=positive_int, group="model")
    unidirectional: bool = option(False, "read left to right only", group="model")
    pooling: str | None = option(None, "how the states become one vector: final states, mean, max, or learned "
                                       "attention (default: attention for text, mean for recordings and clips)",
                                 choices=POOLINGS, group="model")
    deltas: bool | None = option(None, "recordings: add each channel's step differences as channels of their own "
                                       "(the shape of a curve as well as its level); clips: the CNN reads each "
                                       "frame with its difference from the frame before (what moved) (default: on "
                                       "for clips, off for recordings)", flag=True, group="model")
    frame: int | None = option(None, "recordings: read K consecutive steps as one vector, so that the network runs "
                                     "T/K steps (default: from the median length, at most "
                                     f"{FRAME_STEPS} steps a run on a typical recording)", type=positive_int,
                               metavar="K", group="model")
    normalize: str | None = option(None, "recordings: training standardises each channel with the training set's "
                                         "mean and deviation; case first with each recording's own, which then join "
                                         "as channels of their own (shape, level and scale apart; the default)",
                                   choices=NORMALIZE, group="model")
    batch_size: int | None = like(None, help="examples per batch (default: 64 for text; recordings and clips: about an "
                                             "eighth of the training set, 4 to 32 and 4 to 16)")
    epochs: int | None = like(None, help="passes over the training data (default: 8 for text; recordings and clips: "
                                         "from their count, and the run stops when validation stops improving)")


TEXT_DEFAULTS = {"cell": "lstm", "hidden": 256, "dropout": 0.5, "pooling": "attention", "batch_size": 64, "frame": 1}
TEXT_TRAINING = {"epochs": 8}


def settled(config: ClassifierConfig, defaults: dict) -> ClassifierConfig:
    """``config`` with the options the user left open (None) set from ``defaults``."""
    return dataclasses.replace(config, **{k: v for k, v in defaults.items() if getattr(config, k) is None})


class ClassificationTask(Task):
    name, noun = "classify", "classifier"
    help = "train a classifier (many-to-one) of sentences (TSV), recordings (.ts, UCR text, long-form CSV) or clips"
    description = ("Train a recurrent sentence classifier: read the whole text, decide one label. Input: TSV, one "
                   "example per line, text and label columns (by default the first and the last), every line with "
                   "the same number of tab-separated fields; a first line whose label field is no label of the data "
                   "(or names the columns) is a header. Recordings (sequences of measurements: a UEA/UCR .ts file, "
                   "a UCR text file of a label and then the values per line, or a long-form .csv with the header "
                   "case,step,CHANNEL...,label) are classified the same way: "
                   "each channel is standardised with the training data's statistics; the text options do not "
                   "apply. Clips (--clips DIR --labels FILE: each clip a folder of frame images or a .npy array) "
                   "are read frame by frame through a small CNN, trained from scratch, then the recurrent layers.")
    Config, model_class = ClassifierConfig, SequenceClassifier
    files = ("vocab.json",)
    unit, select, maximize = "example", "accuracy", True
    evaluate_options = (
        Option("TSV, or recordings (.ts, UCR text, long-form .csv)", flags=("--test",), dest="test", metavar="FILE"),
        Option("a classifier of clips: the folder of the test clips", flags=("--clips",), dest="clips", metavar="DIR"),
        Option("a classifier of clips: CLIP<TAB>LABEL per line", flags=("--labels",), dest="labels", metavar="FILE"))
    evaluate_help = ("a classifier gives accuracy, macro-F1 and loss (--test: TSV or recordings; --clips DIR --labels "
                     "FILE: clips) and a confusion matrix")

    def prepare(self, run) -> Prepared:
        c = self.config
        if c.clips:
            return clips.prepare(self, run)
        if not c.train:
            raise RnnkitError("give the training data: --train FILE (TSV, .ts, UCR text or long-form .csv), or "
                              "--clips DIR --labels FILE")
        refuse_clip_options(c)
        form = recordings_format(c.train, c.format)      # None: text
        if form is not None:
            return recordings.prepare(self, run, form)
        recordings.refuse_recording_options(c)
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

    def loss(self, model, batch, carry, step):
        return (*model.loss(*batch), None)

    def validate(self, model, valid) -> dict:
        metrics, _ = score(model, valid)
        return {k: v for k, v in metrics.items() if k != "per_class"}

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        metrics, path = best_with_confusion(self, run, prepared.valid, score, lambda m: m.labels, "validation")
        return (f"best validation accuracy {metrics['accuracy']:.4f} (macro-F1 {metrics['macro_f1']:.4f})",
                [f"confusion matrix {path}"])

    def save(self, run, prepared) -> None:
        if prepared.model.vocab is not None:   # recordings have none
            prepared.model.vocab.save(run.path / "vocab.json")

    @classmethod
    def load(cls, run, config, device):
        data = config["data"]
        if data["level"] in ("recordings", "clips"):
            return load_weights(cls, run, config, device, labels=data["labels"])
        return load_weights(cls, run, config, device, vocab=Vocab.load(run.path / "vocab.json"),
                            tokenizer=tokenizer_for(data["level"], data.get("lowercase", False)),
                            labels=data["labels"])

    @classmethod
    def export(cls, model, folder):
        """``classifier.onnx``: padded token ids and their lengths in, logits and probabilities out
        (``rnnkit.models.onnx.text_classifier``)."""
        from rnnkit.models.onnx import clips_classifier, recordings_classifier, text_classifier

        level = model.run_config["data"]["level"]
        if level == "clips":
            cnn = model.cnn
            return write_export(folder, {"classifier.onnx": clips_classifier(model)}, {
                "task": cls.name, "level": level, "labels": model.labels, "image_size": [cnn.width, cnn.height],
                "classifier": {"inputs": ["clips", "lengths"], "outputs": ["logits", "probabilities"],
                               "how": "clips [steps, batch, channels, height, width] uint8: padded, time-major, "
                                      "each frame letterboxed to image_size as rnnkit reads them"}})
        if level == "recordings":
            return write_export(folder, {"classifier.onnx": recordings_classifier(model)}, {
                "task": cls.name, "level": level, "labels": model.labels, "channels": model.features,
                "classifier": {"inputs": ["recordings", "lengths"], "outputs": ["logits", "probabilities"],
                               "recordings_shape": ["steps", "batch", model.features],
                               "how": "padded, time-major; NaN where a value is missing"}})
        return write_export(folder, {"classifier.onnx": text_classifier(model)}, {
            "task": cls.name, "level": level, "lowercase": model.run_config["data"].get("lowercase", False),
            "vocabulary": model.vocab.tokens, "unknown": "<unk>", "padding": "<pad>", "labels": model.labels,
            "classifier": {"inputs": ["tokens", "lengths"], "outputs": ["logits", "probabilities"],
                           "tokens_shape": ["steps", "batch"]}})

    @classmethod
    def evaluate(cls, model, args):
        """Accuracy, macro-F1, per-class figures and loss on a labelled TSV file; the confusion
        matrix goes to the run's plots/ as PNG."""
        plots = writable_plots(args.run_dir)
        data = model.run_config["data"]
        if model.clips:
            if not (args.clips and args.labels) or args.test:
                raise RnnkitError(f"{args.run_dir} holds a classifier of clips: give --clips DIR --labels FILE")
            examples = clips.test_examples(model, args.clips, args.labels)
            args.test = args.labels                         # names the confusion matrix
        elif args.clips or args.labels or not args.test:
            raise RnnkitError(f"{args.run_dir}: evaluating this classifier needs --test FILE "
                              f"({'recordings' if model.features else 'TSV'}); --clips and --labels are for clips")
        elif model.features:
            examples = recordings.examples_of(recordings.read_for(model, args.test, labelled=True), model.labels)
        else:
            test = rows(args.test, data.get("text_column"), data.get("label_column"))
            examples = encode(test, args.test, model.vocab, model.tokenizer, model.labels)
        metrics, confusion = score(model, examples)
        path = evaluation_confusion_plot(plots, args.test, confusion, model.labels)
        return metrics, [f"confusion matrix: {path}"]

    format_metrics = staticmethod(format_classification_metrics)


def refuse_clip_options(config) -> None:
    """Text and recordings: the options for clips do not apply."""
    given = recordings.options_given(config, clips.CLIPS_ONLY)
    if given:
        raise RnnkitError(f"{config.train} is not clips; the option(s) {given} apply with --clips DIR only")


def label_set(values: list[str]) -> list[str]:
    """The label set in a stable order: numerically where every label is a number."""
    distinct = set(values)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


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


def score(model: SequenceClassifier, examples, batch_size: int = 256) -> tuple[dict, torch.Tensor]:
    """Loss (nats/example), accuracy, macro-F1, per-class figures, and the confusion matrix."""
    n = len(model.labels)
    confusion = torch.zeros(n, n, dtype=torch.long)
    nats = 0.0
    if isinstance(examples, clips.Examples):
        pairs, sizes, batching = examples.pairs, [len(examples.clips[k]) for k, _ in examples.pairs], examples.collate
        batch_size = min(batch_size, 32)
    else:
        pairs, sizes = examples, [len(e[0]) for e in examples]
        batching = recordings.collate if model.features else collate
    with evaluating(model):
        for tokens, lengths, labels in SentenceBatches(pairs, sizes, batch_size, batching, shuffle=False).epoch():
            tokens, lengths, labels = to_device((tokens, lengths, labels), device_of(model))
            logits, _ = model(tokens, lengths)
            nats += float(model.nats(logits, labels))
            confusion += confusion_matrix(logits.argmax(-1), labels, n)
    return {"loss": nats / max(len(examples), 1), **classification_metrics(confusion, model.labels)}, confusion


def _input_texts(model, path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().split("\n")
    if Path(path).name.removesuffix(".gz").endswith(".tsv"):
        data = model.run_config["data"]
        return read_tsv(path, data.get("text_column"), data.get("label_column"), labelled=False).texts
    return read_text(path).split("\n")


def _classify(args) -> Output:
    model = load(args.run_dir, args.device, task="classify")
    if model.clips:
        if not args.inputs:
            raise RnnkitError("give the clips to classify: CLIP... (folders of frames or .npy files)")
        folder = clips.folder_of(model, ".")
        results = model.predict_clips([folder.read(path) for path in args.inputs], args.batch_size)
        return Output("".join(f"{path}\t{label}\t{p:.4f}\n" for path, (label, p) in zip(args.inputs, results)))
    if len(args.inputs) > 1:
        raise RnnkitError(f"give one input file (or - for standard input), not {len(args.inputs)}; several inputs "
                          "are for a classifier of clips")
    args.input = args.inputs[0] if args.inputs else "-"
    if model.features:
        cases = recordings.read_for(model, args.input, labelled=False).cases
        return Output("".join(f"{label}\t{p:.4f}\n" for label, p in model.predict_recordings(cases, args.batch_size)))
    if args.explain and model.pooling.how != "attention":
        raise RnnkitError(f"--explain needs a model trained with --pooling attention; {args.run_dir} "
                          f"uses {model.pooling.how!r} pooling")
    texts = _input_texts(model, args.input)
    if texts[-1:] == [""]:
        texts.pop()   # the newline that ends the last line does not start another
    keep = [i for i, t in enumerate(texts) if model.tokenizer.tokenize(t)]
    if len(keep) < len(texts):
        warnings.warn(f"{args.input}: {len(texts) - len(keep)} empty line(s) give empty output lines")
    results = dict(zip(keep, model.predict([texts[i] for i in keep], batch_size=args.batch_size)))
    lines = []
    for i in range(len(texts)):
        if i not in results:
            lines.append("")
            continue
        label, p, weights = results[i]
        line = f"{label}\t{p:.4f}"
        if args.explain:
            line += "\t" + " ".join(f"{w}:{a:.3f}" for w, a in weights)
        lines.append(line)
    return Output("".join(line + "\n" for line in lines))


ClassificationTask.verbs = (Verb(
    "classify", "label texts with a trained classifier",
    "Print LABEL<TAB>PROBABILITY for each input line (an empty line gives an empty line). Input is plain text, one "
    "example per line, or TSV laid out as in training when the file name ends in .tsv (one output line per "
    "example). A classifier of recordings reads a .ts or long-form .csv file and prints one line per case, in "
    "order. A classifier of clips reads each CLIP (a folder of frames or a .npy file) and prints "
    "PATH<TAB>LABEL<TAB>PROBABILITY per clip, in order.",
    (run_dir_argument("classify"),
     Option("input file, or - for standard input (default); for a classifier of clips, the clips", flags=("inputs",),
            dest="inputs", nargs="*", metavar="FILE"),
     Option("add a third field: each word with its attention weight (attention pooling only)",
            flags=("--explain",), dest="explain", flag=True, default=False),
     Option("examples per batch", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64),
     DEVICE),
    _classify),)
