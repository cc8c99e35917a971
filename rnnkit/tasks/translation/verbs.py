"""``rnnkit translate RUN_DIR`` and ``rnnkit attention RUN_DIR``: translations, and where the model
looked for each word."""
from __future__ import annotations

import sys
from pathlib import Path

from rnnkit.data.parallel import read_lines
from rnnkit.data.tokenize import JOINER
from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.options import DEVICE, Option, output_file, run_dir_argument
from rnnkit.tasks.translation.config import DECODING
from rnnkit.tasks.translation.decode import translate
from rnnkit.tasks.translation.plots import plot_attention


def _input_lines(path: str) -> list[str]:
    if path == "-":
        lines = sys.stdin.read().split("\n")
        return lines[:-1] if lines[-1:] == [""] else lines
    return read_lines(path)


def _translate(args) -> Output:
    model = load(args.run_dir, args.device, task="translate")
    lines = _input_lines(args.input)
    texts = model.predict(lines, beam=args.beam, alpha=args.alpha, batch_size=args.batch_size) if lines else []
    return Output("".join(text + "\n" for text in texts))


def _attention(args) -> Output:
    model = load(args.run_dir, args.device, task="translate")
    if model.attention is None:
        raise RnnkitError(f"{args.run_dir}: the model was trained with --attention none; it has no attention to plot")
    if not all(s.strip() for s in args.sentences):
        raise RnnkitError("a SENTENCE is empty; give the source text to translate")
    output = Path(args.output)
    results = translate(model, args.sentences, beam_size=args.beam, alpha=args.alpha, batch_size=args.batch_size)
    out = Output()
    for k, result in enumerate(results, 1):
        path = output if len(results) == 1 else output.with_name(f"{output.stem}-{k}{output.suffix or '.png'}")
        source, tokens = ([t.replace(JOINER, "") for t in ts] for ts in (result.source, result.tokens))
        plot_attention(result.attention, source, tokens, path, result.text)   # plot fonts lack the joiner
        out.text += result.text + "\n"
        out.notes.append(f"attention heatmap: {path}")
    return out


VERBS = (
    Verb("translate", "translate text with a trained model",
         "Translate one sentence per input line and print one line per input line (an empty line gives an empty "
         "line). Output is detokenised, cased text.",
         (run_dir_argument("translate"),
          Option("input file, or - for standard input", flags=("input",), dest="input", nargs="?", default="-",
                 metavar="FILE"),
          *DECODING, DEVICE),
         _translate),
    Verb("attention", "plot where a translation model looks, as a heatmap",
         "Translate each SENTENCE, print the translation, and draw its attention weights (one row per output token, "
         "one column per source token) as PNG.",
         (run_dir_argument("translate"),
          Option("source sentence(s)", flags=("sentences",), dest="sentences", nargs="+", metavar="SENTENCE"),
          Option("PNG file; with several sentences, FILE-1.png, FILE-2.png, ...", flags=("--output",), dest="output",
                 default="attention.png", type=output_file, metavar="FILE"),
          *DECODING, DEVICE),
         _attention))
