"""Part-of-speech tagging (aligned many-to-many): one tag per word of CoNLL-U sentences."""
from __future__ import annotations

import torch

from rnnkit.data import SentenceBatches, Vocab, read_conllu
from rnnkit.data.conllu import UPOS, XPOS
from rnnkit.data.vocab import ids_of_labels
from rnnkit.errors import DataError
from rnnkit.models import SequenceTagger
from rnnkit.models.modes import evaluating
from rnnkit.tasks.base import (Prepared, Task, best_with_confusion, evaluation_confusion_plot, load_weights, parameters,
                               writable_plots, write_export)
from rnnkit.tasks.options import test_data
from rnnkit.tasks.tagging import python
from rnnkit.tasks.tagging.config import TaggerConfig
from rnnkit.tasks.tagging.metrics import format_tagging_metrics, tagging_metrics
from rnnkit.tasks.tagging.verbs import VERBS
from rnnkit.training import confusion_matrix


class TaggingTask(Task):
    name, noun = "tag", "tagger"
    help = "train a part-of-speech tagger (aligned many-to-many) on CoNLL-U"
    description = ("Train a tagger: word embeddings plus a character BiLSTM per word, a stacked BiLSTM, one softmax "
                   "per word. Reads the UPOS (and with --xpos the XPOS) column of CoNLL-U files; multiword-token "
                   "lines and empty nodes are skipped.")
    Config, model_class = TaggerConfig, python.TrainedTagger
    verbs = VERBS
    data_files = staticmethod(python.data_files)
    test_options = {"valid": "test"}
    exports = "a tagger gives tagger.onnx"
    files = ("vocab.json", "chars.json")
    select, maximize = "accuracy", True
    evaluate_options = (test_data("CoNLL-U"),)
    evaluate_help = "a tagger gives UPOS accuracy overall and on unseen words (--test: CoNLL-U) and a confusion matrix"

    def prepare(self, run) -> Prepared:
        c = self.config
        doc = read_conllu(c.train)
        lower = not c.keep_case
        if run is None:
            forms = [w for s in doc.sentences for w in s.forms]
            vocab = Vocab.build(w.lower() if lower else w for w in forms)
            chars = Vocab.build(ch for w in forms for ch in w)
            labels = {"upos": sorted({t for s in doc.sentences for t in s.upos})}
            if c.xpos:
                labels["xpos"] = sorted({t for s in doc.sentences for t in s.xpos})
        else:
            vocab, chars = Vocab.load(run.path / "vocab.json"), Vocab.load(run.path / "chars.json")
            labels = run.read_config()["data"]["labels"]
        train_data = examples(doc, c.train, labels)
        valid_data = examples(read_conllu(c.valid), c.valid, labels) if c.valid else []
        model = SequenceTagger(len(vocab), len(chars), len(labels["upos"]), len(labels.get("xpos", [])),
                               embedding_dim=c.embedding, char_dim=c.char_embedding, char_hidden=c.char_hidden,
                               word_dropout=c.word_dropout, lowercase_words=lower, vocab=vocab, char_vocab=chars,
                               labels=labels, **c.recurrent_options())
        batches = SentenceBatches(train_data, [len(f) for f, _, _ in train_data], c.batch_size, collater(model),
                                  seed=c.seed)
        tokens = sum(len(f) for f, _, _ in train_data)
        description = (f"BiLSTM tagger: {parameters(model)}, {len(vocab):,} "
                       f"words, {len(chars):,} characters, {len(labels['upos'])} UPOS tags"
                       + (f", {len(labels['xpos'])} XPOS tags" if "xpos" in labels else "")
                       + f"; {len(train_data):,} training sentences ({tokens:,} words), {len(valid_data):,} "
                         "validation")
        return Prepared(model, batches.epoch, valid_data or None, {"labels": labels}, description)

    def loss(self, model, batch, carry, step):
        return (*model.loss(batch), None)

    def validate(self, model, valid) -> dict:
        metrics, _ = score(model, valid)
        return {k: v for k, v in metrics.items() if k != "per_tag"}

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        metrics, path = best_with_confusion(self, run, prepared.valid, score, lambda m: m.labels["upos"],
                                            "validation UPOS")
        unseen = metrics["unseen_accuracy"]
        return (f"best validation accuracy {metrics['accuracy']:.4f}"
                + (f" (unseen words {unseen:.4f})" if unseen is not None else ""), [f"confusion matrix {path}"])

    def save(self, run, prepared) -> None:
        prepared.model.vocab.save(run.path / "vocab.json")
        prepared.model.char_vocab.save(run.path / "chars.json")

    @classmethod
    def load(cls, run, config, device):
        return load_weights(cls, run, config, device, vocab=Vocab.load(run.path / "vocab.json"),
                            char_vocab=Vocab.load(run.path / "chars.json"), labels=config["data"]["labels"])

    @classmethod
    def export(cls, model, folder):
        """``tagger.onnx`` on the inputs of ``SequenceTagger.encode`` (word ids, the characters of
        the batch's distinct forms, which form each position holds) -> the tag logits."""
        from rnnkit.tasks.tagging.export import tagger

        heads = ["upos", *(["xpos"] if model.xpos is not None else [])]
        return write_export(folder, {"tagger.onnx": tagger(model)}, {
            "task": cls.name, "vocabulary": model.vocab.tokens, "characters": model.char_vocab.tokens,
            "lowercase_words": model.lowercase_words, "labels": model.labels,
            "specials": {"pad": Vocab.pad_id, "unknown": Vocab.unk_id},
            "tagger": {"inputs": ["words", "lengths", "chars", "char_lengths", "form_index"], "outputs": heads,
                       "how": "words [steps, batch]: word ids (lowercased first where lowercase_words), padded; "
                              "chars [letters, forms]: the character ids of each distinct word form of the batch, "
                              "time-major, padded; form_index [steps, batch]: the form each position holds"}})

    @classmethod
    def evaluate(cls, model, args):
        """UPOS accuracy (overall, unseen words, per tag) on a CoNLL-U file; the confusion matrix
        goes to the run's plots/ as PNG."""
        plots = writable_plots(args.run_dir)
        metrics, confusion = score(model, examples(read_conllu(args.test), args.test, model.labels))
        path = evaluation_confusion_plot(plots, args.test, confusion, model.labels["upos"], "UPOS")
        return metrics, [f"confusion matrix: {path}"]

    format_metrics = staticmethod(format_tagging_metrics)


def _tag_column(doc, path, column: int) -> list[list[str]]:
    tags = [s.upos if column == UPOS else s.xpos for s in doc.sentences]
    name = "UPOS" if column == UPOS else "XPOS"
    for k, s in enumerate(doc.sentences):
        for row, tag in zip(s.rows, tags[k]):
            if tag == "_" or not tag:
                raise DataError(f"{path}, line {row + 1}: no {name} tag (the column holds {tag!r})")
    return tags


def examples(doc, path, tagsets: dict[str, list[str]]) -> list[tuple]:
    """(forms, UPOS ids, XPOS ids or None) per sentence; a tag training never saw is an error."""
    out = []
    columns = [("upos", UPOS)] + ([("xpos", XPOS)] if "xpos" in tagsets else [])
    per_column = {name: _tag_column(doc, path, column) for name, column in columns}
    for k, s in enumerate(doc.sentences):
        encoded = {name: ids_of_labels(per_column[name][k], [row + 1 for row in s.rows], tagsets[name], path,
                                   f"{name.upper()} tag") for name, _ in columns}
        out.append((s.forms, encoded["upos"], encoded.get("xpos")))
    return out


def collater(model: SequenceTagger):
    def collate(batch):
        xpos = [x for _, _, x in batch] if batch[0][2] is not None else None
        return model.encode([f for f, _, _ in batch], model.vocab, model.char_vocab, [u for _, u, _ in batch], xpos)
    return collate


def score(model: SequenceTagger, data: list[tuple], batch_size: int = 64) -> tuple[dict, torch.Tensor]:
    """UPOS accuracy overall, on words outside the training vocabulary (which holds every
    training word) and per tag; XPOS accuracy where the model has it; loss per token."""
    vocab, labels = model.vocab, model.labels
    n = len(labels["upos"])
    confusion = torch.zeros(n, n, dtype=torch.long)
    nats, unseen_ok, unseen, xpos_ok = 0.0, 0, 0, 0
    batches = SentenceBatches(data, [len(f) for f, _, _ in data], batch_size, collater(model), shuffle=False).epoch()
    with evaluating(model):
        for batch in batches:
            upos, xpos = outputs = model(batch)
            mask = batch.upos != -100
            nats += float(model.nats(outputs, batch))   # the loss training minimises (XPOS included)
            predicted = upos.argmax(-1)
            confusion += confusion_matrix(predicted[mask], batch.upos[mask], n)
            new = mask & (batch.words == vocab.unk_id)
            unseen += int(new.sum())
            unseen_ok += int((predicted == batch.upos)[new].sum())
            if xpos is not None:
                xpos_ok += int((xpos.argmax(-1) == batch.xpos)[mask].sum())
    metrics = {"loss": nats / max(int(confusion.sum()), 1),
               **tagging_metrics(confusion, labels["upos"], unseen_ok, unseen)}
    if model.xpos is not None:
        metrics["xpos_accuracy"] = xpos_ok / max(int(confusion.sum()), 1)
    return metrics, confusion
