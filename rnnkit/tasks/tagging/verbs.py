"""``rnnkit tag RUN_DIR``: CoNLL-U (or plain text) in, CoNLL-U with the predicted tags out."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

from rnnkit.data import document_from_tokens, read_conllu, read_text
from rnnkit.data.conllu import COLUMNS, UPOS, XPOS, parse_conllu
from rnnkit.data.text import decode_text
from rnnkit.errors import RnnkitError
from rnnkit.files import write_atomic
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.options import DEVICE, Option, output_or_stdout, positive_int, run_dir_argument


def _looks_like_conllu(text: str) -> bool:
    """Standard input is CoNLL-U when its first line that is neither blank nor a comment has 10 columns."""
    first = next((line for line in text.split("\n") if line.strip() and not line.startswith("#")), "")
    return len(first.split("\t")) == COLUMNS


def _read_input(path: str):
    """The sentences to tag, as a CoNLL-U document: a .conllu file, plain text (one whitespace-
    tokenised sentence per line), or standard input in either form."""
    name = "standard input" if path == "-" else path
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        text = decode_text(stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8"), name)
        conllu = _looks_like_conllu(text)
    else:
        conllu = Path(path).name.removesuffix(".gz").endswith(".conllu")
        text = None if conllu else read_text(path)
    if conllu:
        return parse_conllu(text, name) if text is not None else read_conllu(path)
    lines = text.split("\n")
    sentences = [line.split() for line in lines]
    empty = sum(1 for k, s in enumerate(sentences) if not s and k < len(lines) - 1)
    if empty:
        warnings.warn(f"{name}: {empty} empty line(s) skipped")
    return document_from_tokens([s for s in sentences if s])


def _tag(args) -> Output:
    model = load(args.run_dir, args.device, task="tag")
    if args.xpos and model.xpos is None:
        raise RnnkitError(f"--xpos: the model in {args.run_dir} was trained without XPOS (train with --xpos)")
    doc = _read_input(args.input)
    upos, xpos = model.tag([s.forms for s in doc.sentences], batch_size=args.batch_size)
    doc.set_tags(UPOS, upos)
    if args.xpos:
        doc.set_tags(XPOS, xpos)
    done = f"tagged {len(doc.sentences):,} sentences ({sum(len(s.forms) for s in doc.sentences):,} words)"
    if args.output == "-":
        return Output(doc.text(), [done])
    write_atomic(Path(args.output), doc.text())
    return Output("", [f"{done} into {args.output}"])


VERBS = (Verb(
    "tag", "tag sentences with a trained tagger, writing CoNLL-U",
    "Tag every word. A .conllu input keeps every line byte for byte except the UPOS column of word lines (and XPOS "
    "with --xpos); any other input is plain text, one whitespace-tokenised sentence per line, written as complete "
    "10-column CoNLL-U.",
    (run_dir_argument("tag"),
     Option("CoNLL-U (by extension .conllu) or plain text; - reads standard input, as CoNLL-U when its first line "
            "that is not a # comment has 10 tab-separated columns, else as plain text", flags=("--input",),
            dest="input", required=True, metavar="FILE"),
     Option("CoNLL-U to write (atomically); - writes it to standard output", flags=("--output",), dest="output",
            required=True, type=output_or_stdout, metavar="FILE"),
     Option("also write the XPOS column (if the model predicts it)", flags=("--xpos",), dest="xpos", flag=True,
            default=False),
     Option("sentences per batch", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64),
     DEVICE),
    _tag),)
