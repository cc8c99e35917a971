"""``rnnkit train classify``, ``rnnkit classify`` and the classifier side of ``evaluate``."""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import torch

from rnnkit.cli.formatting import HelpFormatter
from rnnkit.cli.runs import load_for, plot_test_confusion, report_training, resumed, saved_args
from rnnkit.data import SentenceBatches, Vocab, pad_batch, read_text, read_tsv, tokenizer_for
from rnnkit.devices import device_of, resolve_device, to_device
from rnnkit.errors import DataError, RnnkitError
from rnnkit.layers import POOLINGS
from rnnkit.models import SequenceClassifier
from rnnkit.models.modes import evaluating
from rnnkit.training import (RunDir, Trainer, classification_metrics, confusion_matrix, format_classification_metrics,
                             load, plot_confusion)
from rnnkit.cli.options import (add_device_option, add_recurrent_options, add_training_options, positive_int,
                                     probability, recurrent_options, train_options)



def add_train_parser(sub) -> None:
    p = sub.add_parser("classify", help="train a sentence classifier (many-to-one) on TSV files",
                       description="Train a recurrent sentence classifier: read the whole text, decide one label. "
                                   "Input: TSV, one example per line, text and label columns (by default the first "
                                   "and the last), every line with the same number of tab-separated fields; a first "
                                   "line whose label field is no label of the data (or names the columns) is a "
                                   "header.",
                       formatter_class=HelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--train", required=True, metavar="FILE", help="training examples, TSV (.gz accepted)")
    v = d.add_mutually_exclusive_group()
    v.add_argument("--valid", "--dev", metavar="FILE", help="validation examples, same layout")
    v.add_argument("--valid-fraction", type=probability, metavar="F",
                   help="hold out a random fraction F of --train for validation (default 0.1 without --valid)")
    d.add_argument("--text-column", metavar="C", help="text column: a header name or 0-based index (default: 0)")
    d.add_argument("--label-column", metavar="C", help="label column: a header name or 0-based index (default: last)")
    d.add_argument("--keep-case", action="store_true", help="do not lowercase the text")
    d.add_argument("--min-freq", type=positive_int, default=1, help="keep words seen at least this often")
    d.add_argument("--max-vocab", type=positive_int, help="keep at most this many words (most frequent)")
    m = p.add_argument_group("model")
    add_recurrent_options(m, layers=1, hidden=256, dropout=0.5,
                          dropout_help="dropout on embeddings, between layers and before the classifier")
    m.add_argument("--embedding", type=positive_int, default=300, help="word embedding size")
    m.add_argument("--unidirectional", action="store_true", help="read left to right only")
    m.add_argument("--pooling", choices=POOLINGS, default="attention",
                   help="how the states become one vector: final states, mean, max, or learned attention")
    add_training_options(p, lr=2e-3, batch_size=64, epochs=8)
    p.set_defaults(run=train)


def _labels(values: list[str]) -> list[str]:
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
    index = {label: k for k, label in enumerate(labels)}
    encoded = []
    for text, label, line in examples:
        if label not in index:
            raise DataError(f"{path}, line {line}: label {label!r} was not seen in training "
                            f"(known labels: {', '.join(labels)})")
        tokens = tokenizer.tokenize(text)
        if not tokens:
            raise DataError(f"{path}, line {line}: the text has no words")
        encoded.append((vocab.encode(tokens), index[label]))
    return encoded


def collate(examples):
    tokens, lengths = pad_batch([ids for ids, _ in examples], 0)
    return tokens, lengths, torch.tensor([label for _, label in examples])


def score(model: SequenceClassifier, examples, batch_size: int = 256) -> tuple[dict, torch.Tensor]:
    """Loss (nats/example), accuracy, macro-F1, per-class figures, and the confusion matrix."""
    n = len(model.labels)
    confusion = torch.zeros(n, n, dtype=torch.long)
    nats = 0.0
    with evaluating(model):
        for tokens, lengths, labels in SentenceBatches(examples, [len(e[0]) for e in examples], batch_size, collate,
                                                       shuffle=False).epoch():
            tokens, lengths, labels = to_device((tokens, lengths, labels), device_of(model))
            logits, _ = model(tokens, lengths)
            nats += float(model.nats(logits, labels))
            confusion += confusion_matrix(logits.argmax(-1), labels, n)
    return {"loss": nats / max(len(examples), 1), **classification_metrics(confusion, model.labels)}, confusion


def train(args) -> None:
    run = None
    if args.resume:
        run, config, args = resumed(args, "classify")
    tokenizer = tokenizer_for("text", lowercase=not args.keep_case)
    train_rows = rows(args.train, args.text_column, args.label_column)
    if args.valid:
        valid_path, valid_rows = args.valid, rows(args.valid, args.text_column, args.label_column)
    else:   # a seeded random hold-out, in file order
        fraction = 0.1 if args.valid_fraction is None else args.valid_fraction
        order = torch.randperm(len(train_rows), generator=torch.Generator().manual_seed(args.seed)).tolist()
        held = set(order[: round(len(order) * fraction)])
        valid_path, valid_rows = args.train, [r for i, r in enumerate(train_rows) if i in held]
        train_rows = [r for i, r in enumerate(train_rows) if i not in held]
    if run is None:
        labels = _labels([label for _, label, _ in train_rows])
        if len(labels) < 2:
            raise DataError(f"{args.train}: every example has the label {labels[0]!r}; a classifier needs two or more")
        vocab = Vocab.build((w for text, _, _ in train_rows for w in tokenizer.tokenize(text)),
                            min_freq=args.min_freq, max_size=args.max_vocab)
    else:
        labels, vocab = config["data"]["labels"], Vocab.load(run.vocab)
    train_examples = encode(train_rows, args.train, vocab, tokenizer, labels)
    valid_examples = encode(valid_rows, valid_path, vocab, tokenizer, labels)

    torch.manual_seed(args.seed)
    model = SequenceClassifier(len(vocab), len(labels), embedding_dim=args.embedding,
                               bidirectional=not args.unidirectional, pooling=args.pooling, **recurrent_options(args))
    model.labels = labels
    if run is None:
        run = RunDir.create(args.out, resume=False)
        vocab.save(run.vocab)
        run.write_config({"task": "classify", "model": model.config,
                          "data": {"level": "text", "lowercase": not args.keep_case, "labels": labels,
                                   "text_column": args.text_column, "label_column": args.label_column},
                          "args": saved_args(args)})
    batches = SentenceBatches(train_examples, [len(ids) for ids, _ in train_examples], args.batch_size, collate,
                              seed=args.seed)
    print(f"{args.cell.upper()} classifier ({args.pooling} pooling): {sum(p.numel() for p in model.parameters()):,} "
          f"parameters, vocabulary {len(vocab):,}, {len(labels)} labels, {len(train_examples):,} training and "
          f"{len(valid_examples):,} validation examples", file=sys.stderr)

    def evaluate():
        metrics, _ = score(model, valid_examples)
        return {k: v for k, v in metrics.items() if k != "per_class"}

    model.to(resolve_device(args.device))
    trainer = Trainer(model, run, train_options(args), batches=batches.epoch,
                      step=lambda m, batch, carry: (*m.loss(*batch), None),
                      evaluate=evaluate if valid_examples else None, resume=args.resume,
                      unit="example", select="accuracy", maximize=True)
    summary = trainer.fit()
    result = "no validation data"
    if valid_examples:
        metrics, confusion = score(load(run.path, args.device), valid_examples)
        plot_confusion(confusion.tolist(), labels, run.plots / "confusion.png", "validation")
        result = f"best validation accuracy {metrics['accuracy']:.4f} (macro-F1 {metrics['macro_f1']:.4f})"
    report_training(summary, run, result, confusion=bool(valid_examples))


def add_classify_parser(sub) -> None:
    p = sub.add_parser("classify", help="label texts with a trained classifier",
                       description="Print LABEL<TAB>PROBABILITY for each input line (an empty line gives an empty "
                                   "line). Input is plain text, one example per line, or TSV laid out as in "
                                   "training when the file name ends in .tsv (one output line per example).",
                       formatter_class=HelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of `rnnkit train classify`")
    p.add_argument("input", nargs="?", default="-", metavar="FILE", help="input file, or - for standard input")
    p.add_argument("--explain", action="store_true",
                   help="add a third field: each word with its attention weight (attention pooling only)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="examples per batch")
    add_device_option(p)
    p.set_defaults(run=run_classify)


def _input_texts(model, path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().split("\n")
    if Path(path).name.removesuffix(".gz").endswith(".tsv"):
        data = model.config["data"]
        return read_tsv(path, data.get("text_column"), data.get("label_column"), labelled=False).texts
    return read_text(path).split("\n")


def run_classify(args) -> None:
    model = load_for(args.run_dir, "classify", args.device)
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
    out = []
    for i in range(len(texts)):
        if i not in results:
            out.append("")
            continue
        label, p, weights = results[i]
        line = f"{label}\t{p:.4f}"
        if args.explain:
            line += "\t" + " ".join(f"{w}:{a:.3f}" for w, a in weights)
        out.append(line)
    sys.stdout.write("".join(line + "\n" for line in out))


def evaluate(model, args) -> dict:
    """Accuracy, macro-F1, per-class figures and loss on a labelled TSV file; the confusion
    matrix goes to the run's plots/ as PNG."""
    data = model.config["data"]
    test = rows(args.test, data.get("text_column"), data.get("label_column"))
    metrics, confusion = score(model, encode(test, args.test, model.vocab, model.tokenizer, model.labels))
    plot_test_confusion(args.run_dir, args.test, confusion, model.labels)
    return metrics


def print_metrics(metrics: dict, as_json: bool) -> None:
    print(json.dumps(metrics) if as_json else format_classification_metrics(metrics))
