"""Classification (many-to-one): read a whole sequence (a text, a recording, a clip), decide one
label.  The task dispatches to its three readers (``text``, ``recordings``, ``clips``); the
model, the loss, the scores and the run directory are the same for all three."""
from __future__ import annotations

import torch

from rnnkit.data import SentenceBatches, Vocab, tokenizer_for
from rnnkit.data.recordings import recordings_format
from rnnkit.devices import device_of, to_device
from rnnkit.errors import RnnkitError
from rnnkit.models import SequenceClassifier
from rnnkit.models.modes import evaluating
from rnnkit.tasks.base import (Prepared, Task, best_with_confusion, evaluation_confusion_plot, load_weights,
                               writable_plots, write_export)
from rnnkit.tasks.classification import clips, python, recordings, text
from rnnkit.tasks.classification.config import CLIPS_ONLY, ClassifierConfig, options_given
from rnnkit.tasks.classification.verbs import CLASSIFY
from rnnkit.tasks.options import Option
from rnnkit.training import classification_metrics, confusion_matrix, format_classification_metrics


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
    Config, model_class = ClassifierConfig, python.TrainedClassifier
    files = ("vocab.json",)
    unit, select, maximize = "example", "accuracy", True
    evaluate_options = (
        Option("TSV, or recordings (.ts, UCR text, long-form .csv)", flags=("--test",), dest="test", metavar="FILE"),
        Option("a classifier of clips: the folder of the test clips", flags=("--clips",), dest="clips", metavar="DIR"),
        Option("a classifier of clips: CLIP<TAB>LABEL per line", flags=("--labels",), dest="labels", metavar="FILE"))
    evaluate_help = ("a classifier gives accuracy, macro-F1 and loss (--test: TSV or recordings; --clips DIR --labels "
                     "FILE: clips) and a confusion matrix")
    verbs = (CLASSIFY,)
    data_files = staticmethod(python.data_files)
    test_files = staticmethod(python.test_files)
    exports = ("a classifier of text, recordings or clips gives classifier.onnx: padded token ids [steps, batch] (or "
               "recordings [steps, batch, channels], or clips [steps, batch, channels, height, width]) and their lengths "
               "in, logits and probabilities out")

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
        return text.prepare(self, run)

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
        (``rnnkit.tasks.classification.export.text_classifier``)."""
        from rnnkit.tasks.classification.export import clips_classifier, recordings_classifier, text_classifier

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
            columns = [getattr(args, name, None) or data.get(name) for name in ("text_column", "label_column")]
            test = text.rows(args.test, *columns)   # a test written from Python names its columns
            examples = text.encode(test, args.test, model.vocab, model.tokenizer, model.labels)
        metrics, confusion = score(model, examples)
        path = evaluation_confusion_plot(plots, args.test, confusion, model.labels)
        return metrics, [f"confusion matrix: {path}"]

    format_metrics = staticmethod(format_classification_metrics)


def refuse_clip_options(config) -> None:
    """Text and recordings: the options for clips do not apply."""
    given = options_given(config, CLIPS_ONLY)
    if given:
        raise RnnkitError(f"{config.train} is not clips; the option(s) {given} apply with --clips DIR only")


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
        batching = recordings.collate if model.features else text.collate
    with evaluating(model):
        for tokens, lengths, labels in SentenceBatches(pairs, sizes, batch_size, batching, shuffle=False).epoch():
            tokens, lengths, labels = to_device((tokens, lengths, labels), device_of(model))
            logits, _ = model(tokens, lengths)
            nats += float(model.nats(logits, labels))
            confusion += confusion_matrix(logits.argmax(-1), labels, n)
    return {"loss": nats / max(len(examples), 1), **classification_metrics(confusion, model.labels)}, confusion
