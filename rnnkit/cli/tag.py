"""``rnnkit train tag``, ``rnnkit tag`` and the tagger side of ``evaluate``."""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import torch

from rnnkit.cli.formatting import HelpFormatter
from rnnkit.cli.runs import load_for, plot_test_confusion, report_training, resumed, saved_args
from rnnkit.data import SentenceBatches, Vocab, document_from_tokens, read_conllu, read_text
from rnnkit.data.conllu import COLUMNS, UPOS, XPOS, parse_conllu
from rnnkit.data.text import decode_text
from rnnkit.devices import resolve_device
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models import SequenceTagger
from rnnkit.models.modes import evaluating
from rnnkit.training import (RunDir, Trainer, confusion_matrix, format_tagging_metrics, load, plot_confusion,
                             tagging_metrics)
from rnnkit.cli.options import (add_device_option, add_recurrent_options, add_training_options, output_file,
                                     positive_int, probability, recurrent_options, train_options)
from rnnkit.files import write_atomic


def add_train_parser(sub) -> None:
    p = sub.add_parser("tag", help="train a part-of-speech tagger (aligned many-to-many) on CoNLL-U",
                       description="Train a tagger: word embeddings plus a character BiLSTM per word, a stacked "
                                   "BiLSTM, one softmax per word. Reads the UPOS (and with --xpos the XPOS) column "
                                   "of CoNLL-U files; multiword-token lines and empty nodes are skipped.",
                       formatter_class=HelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--train", required=True, metavar="FILE", help="training sentences, CoNLL-U (.gz accepted)")
    d.add_argument("--valid", "--dev", metavar="FILE", help="validation sentences, CoNLL-U (selects the best model)")
    d.add_argument("--xpos", action="store_true", help="also predict the language-specific XPOS column")
    m = p.add_argument_group("model")
    add_recurrent_options(m, layers=2, hidden=200, dropout=0.33, cells=False,
                          dropout_help="dropout on word representations, between layers and before the output layers")
    m.add_argument("--embedding", type=positive_int, default=100, help="word embedding size")
    m.add_argument("--char-embedding", type=positive_int, default=32, help="character embedding size")
    m.add_argument("--char-hidden", type=positive_int, default=64, help="character BiLSTM units per direction")
    m.add_argument("--word-dropout", type=probability, default=0.1,
                   help="probability of reading a training word as <unk> (its characters stay)")
    m.add_argument("--keep-case", action="store_true", help="word embeddings per cased form (default: lowercased)")
    add_training_options(p, lr=2e-3, batch_size=32, epochs=20)
    p.set_defaults(run=train)


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
    ids = {name: {t: k for k, t in enumerate(tagsets[name])} for name, _ in columns}
    per_column = {name: _tag_column(doc, path, column) for name, column in columns}
    for k, s in enumerate(doc.sentences):
        encoded = {}
        for name, _ in columns:
            for row, tag in zip(s.rows, per_column[name][k]):
                if tag not in ids[name]:
                    raise DataError(f"{path}, line {row + 1}: {name.upper()} tag {tag!r} was not seen in training")
            encoded[name] = [ids[name][t] for t in per_column[name][k]]
        out.append((s.forms, encoded["upos"], encoded.get("xpos")))
    return out


def collater(model: SequenceTagger, vocab: Vocab, chars: Vocab):
    def collate(batch):
        xpos = [x for _, _, x in batch] if batch[0][2] is not None else None
        return model.encode([f for f, _, _ in batch], vocab, chars, [u for _, u, _ in batch], xpos)
    return collate


def score(model: SequenceTagger, data: list[tuple], vocab: Vocab, chars: Vocab, labels: dict,
          batch_size: int = 64) -> tuple[dict, torch.Tensor]:
    """UPOS accuracy overall, on words outside the training vocabulary (which holds every
    training word) and per tag; XPOS accuracy where the model has it; loss per token."""
    n = len(labels["upos"])
    confusion = torch.zeros(n, n, dtype=torch.long)
    nats, unseen_ok, unseen, xpos_ok = 0.0, 0, 0, 0
    batches = SentenceBatches(data, [len(f) for f, _, _ in data], batch_size, collater(model, vocab, chars),
                              shuffle=False).epoch()
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


def train(args) -> None:
    run = None
    if args.resume:
        run, config, args = resumed(args, "tag")
    doc = read_conllu(args.train)
    lower = not args.keep_case
    if run is None:
        forms = [w for s in doc.sentences for w in s.forms]
        vocab = Vocab.build(w.lower() if lower else w for w in forms)
        chars = Vocab.build(c for w in forms for c in w)
        labels = {"upos": sorted({t for s in doc.sentences for t in s.upos})}
        if args.xpos:
            labels["xpos"] = sorted({t for s in doc.sentences for t in s.xpos})
    else:
        vocab, chars, labels = Vocab.load(run.vocab), Vocab.load(run.chars), config["data"]["labels"]
    train_data = examples(doc, args.train, labels)
    valid_data = examples(read_conllu(args.valid), args.valid, labels) if args.valid else []

    torch.manual_seed(args.seed)
    model = SequenceTagger(len(vocab), len(chars), len(labels["upos"]), len(labels.get("xpos", [])),
                           embedding_dim=args.embedding, char_dim=args.char_embedding, char_hidden=args.char_hidden,
                           word_dropout=args.word_dropout, lowercase_words=lower, **recurrent_options(args))
    if run is None:
        run = RunDir.create(args.out, resume=False)
        vocab.save(run.vocab)
        chars.save(run.chars)
        run.write_config({"task": "tag", "model": model.config, "data": {"labels": labels},
                          "args": saved_args(args)})
    batches = SentenceBatches(train_data, [len(f) for f, _, _ in train_data], args.batch_size,
                              collater(model, vocab, chars), seed=args.seed)
    tokens = sum(len(f) for f, _, _ in train_data)
    print(f"BiLSTM tagger: {sum(p.numel() for p in model.parameters()):,} parameters, {len(vocab):,} words, "
          f"{len(chars):,} characters, {len(labels['upos'])} UPOS tags"
          + (f", {len(labels['xpos'])} XPOS tags" if "xpos" in labels else "")
          + f"; {len(train_data):,} training sentences ({tokens:,} words), {len(valid_data):,} validation",
          file=sys.stderr)

    def evaluate():
        metrics, _ = score(model, valid_data, vocab, chars, labels)
        return {k: v for k, v in metrics.items() if k != "per_tag"}

    model.to(resolve_device(args.device))
    trainer = Trainer(model, run, train_options(args), batches=batches.epoch,
                      step=lambda m, batch, carry: (*m.loss(batch), None),
                      evaluate=evaluate if valid_data else None, resume=args.resume, select="accuracy", maximize=True)
    summary = trainer.fit()
    result = "no validation data"
    if valid_data:
        metrics, confusion = score(load(run.path, args.device), valid_data, vocab, chars, labels)
        plot_confusion(confusion.tolist(), labels["upos"], run.plots / "confusion.png", "validation UPOS")
        unseen = metrics["unseen_accuracy"]
        result = (f"best validation accuracy {metrics['accuracy']:.4f}"
                  + (f" (unseen words {unseen:.4f})" if unseen is not None else ""))
    report_training(summary, run, result, confusion=bool(valid_data))


def add_tag_parser(sub) -> None:
    p = sub.add_parser("tag", help="tag sentences with a trained tagger, writing CoNLL-U",
                       description="Tag every word. A .conllu input keeps every line byte for byte except the UPOS "
                                   "column of word lines (and XPOS with --xpos); any other input is plain text, one "
                                   "whitespace-tokenised sentence per line, written as complete 10-column CoNLL-U.",
                       formatter_class=HelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of `rnnkit train tag`")
    p.add_argument("--input", required=True, metavar="FILE",
                   help="CoNLL-U (by extension .conllu) or plain text; - reads standard input, as CoNLL-U when "
                        "its first line that is not a # comment has 10 tab-separated columns, else as plain text")
    p.add_argument("--output", required=True, type=_output, metavar="FILE",
                   help="CoNLL-U to write (atomically); - writes it to standard output")
    p.add_argument("--xpos", action="store_true", help="also write the XPOS column (if the model predicts it)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="sentences per batch")
    add_device_option(p)
    p.set_defaults(run=run_tag)


def _output(text: str) -> str:
    """--output: ``-`` (standard output) or a file to write."""
    return text if text == "-" else output_file(text)


def _is_conllu(path: str) -> bool:
    return Path(path).name.removesuffix(".gz").endswith(".conllu")


def _looks_like_conllu(text: str) -> bool:
    """Standard input is CoNLL-U when its first line that is neither blank nor a comment has 10 columns."""
    first = next((line for line in text.split("\n") if line.strip() and not line.startswith("#")), "")
    return len(first.split("\t")) == COLUMNS


def run_tag(args) -> None:
    model = load_for(args.run_dir, "tag", args.device)
    if args.xpos and model.xpos is None:
        raise RnnkitError(f"--xpos: the model in {args.run_dir} was trained without XPOS (train with --xpos)")
    name = "standard input" if args.input == "-" else args.input
    if args.input == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        text = decode_text(stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8"), name)
        conllu = _looks_like_conllu(text)
    else:
        conllu = _is_conllu(args.input)
        text = None if conllu else read_text(args.input)
    if conllu:
        doc = parse_conllu(text, name) if text is not None else read_conllu(args.input)
    else:
        lines = text.split("\n")
        sentences = [line.split() for line in lines]
        empty = sum(1 for k, s in enumerate(sentences) if not s and k < len(lines) - 1)
        if empty:
            warnings.warn(f"{name}: {empty} empty line(s) skipped")
        doc = document_from_tokens([s for s in sentences if s])
    upos, xpos = model.tag([s.forms for s in doc.sentences], batch_size=args.batch_size)
    doc.set_tags(UPOS, upos)
    if args.xpos:
        doc.set_tags(XPOS, xpos)
    words = sum(len(s.forms) for s in doc.sentences)
    if args.output == "-":
        sys.stdout.write(doc.text())
        sys.stdout.flush()
        print(f"tagged {len(doc.sentences):,} sentences ({words:,} words)", file=sys.stderr)
        return
    output = Path(args.output)
    if output.parent and not output.parent.exists():
        raise RnnkitError(f"{args.output}: the directory {output.parent} does not exist")
    write_atomic(output, doc.text())
    print(f"tagged {len(doc.sentences):,} sentences ({words:,} words) into {args.output}", file=sys.stderr)


def evaluate(model, args) -> dict:
    """UPOS accuracy (overall, unseen words, per tag) on a CoNLL-U file; the confusion matrix goes
    to the run's plots/ as PNG."""
    data = examples(read_conllu(args.test), args.test, model.labels)
    metrics, confusion = score(model, data, model.vocab, model.char_vocab, model.labels)
    plot_test_confusion(args.run_dir, args.test, confusion, model.labels["upos"], "UPOS")
    return metrics


def print_metrics(metrics: dict, as_json: bool) -> None:
    print(json.dumps(metrics) if as_json else format_tagging_metrics(metrics))
