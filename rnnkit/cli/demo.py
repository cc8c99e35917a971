"""``rnnkit demo``: a character-level LSTM trained on text every Python carries, then used.

The text is the documentation bundled with CPython (``pydoc_data.topics``); where a
distribution strips it, the docstrings of a few standard modules, and failing those the Zen of
Python.  Training runs through ``rnnkit train lm`` for a minute; the demo then samples at two
temperatures, autocompletes a word, and shows the gates of the trained LSTM reading a sentence.
"""
from __future__ import annotations

import codecs
import contextlib
import importlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

from rnnkit.cli.formatting import HelpFormatter

MARKER = ".rnnkit-demo"
SENTENCE = "The for statement is used to iterate"


def corpus() -> tuple[str, str]:
    """(text, where it came from)."""
    try:
        from pydoc_data.topics import topics
        text = "\n\n".join(topics[k] for k in sorted(topics))
        if len(text) > 100_000:
            return text, "the Python documentation in pydoc_data.topics"
    except ImportError:
        pass
    docs = []
    for name in ("builtins", "os", "re", "collections", "itertools", "functools", "pathlib", "argparse"):
        module = importlib.import_module(name)
        docs += [getattr(module, a).__doc__ or "" for a in dir(module) if not a.startswith("_")]
    text = "\n\n".join(d for d in docs if d)
    if len(text) > 20_000:
        return text, "docstrings of standard modules"
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return codecs.decode(this.s, "rot13") * 20, "the Zen of Python"


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="train a character LSTM for a minute, then generate and show its gates",
                       description=__doc__, formatter_class=HelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0, help="training time (default: 60)")
    p.add_argument("--out", default="runs/demo", help="run directory (default: runs/demo; a previous demo "
                                                       "there is replaced)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.set_defaults(run=run)


def _prepare_out(out: Path) -> None:
    from rnnkit.errors import RnnkitError

    if (out / MARKER).exists():
        shutil.rmtree(out)
    elif out.exists() and any(out.iterdir()):
        raise RnnkitError(f"{out}: exists and is not a previous demo; choose another --out")


def run(args) -> None:
    from rnnkit.errors import RnnkitError
    from rnnkit.tasks import LanguageModelTask, Training

    if args.seconds <= 0:
        raise RnnkitError(f"--seconds must be positive, got {args.seconds}")
    out = Path(args.out)
    _prepare_out(out)
    text, source = corpus()
    print(f"Training a character-level LSTM on {source} ({len(text):,} characters) for {args.seconds:g} s.",
          file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_text(text)
        training = Training(LanguageModelTask, dict(
            text=str(path), out=str(out), level="char", layers=2, hidden=256, batch_size=32, bptt=100, lr=3e-3,
            dropout=0.1, max_time=args.seconds, eval_every=100, seed=args.seed))
        print(training.description, file=sys.stderr)
        print(training.run(), file=sys.stderr)
    (out / MARKER).write_text("made by `rnnkit demo`; the next demo replaces this directory\n")
    show(out, args.seed)


def show(out: Path, seed: int, stream=None) -> None:
    from rnnkit.tasks import load
    from rnnkit.tasks.language_model.generate import completions, sample_text

    stream = stream or sys.stdout
    model = load(out, task="lm")
    vocab, tok = model.vocab, model.tokenizer
    for temperature in (0.5, 1.0):
        text = sample_text(model, "The ", 300, temperature=temperature, seed=seed)
        print(f"\n--- sample at temperature {temperature} ---\n{text}", file=stream)
    typed = "The stat"
    words = ", ".join(f"{typed}{text} (p={p:.2f})"
                      for text, p in completions(model, vocab.encode(tok.tokenize(typed)), 3, 15))
    print(f"\n--- autocomplete of {typed!r}: {words}", file=stream)
    gate_table(model, SENTENCE, stream)
    print(f"\nRun directory: {out}   loss plot: {out / 'plots' / 'loss.png'}", file=stream)
    print(f"Try: rnnkit generate {out} --prime \"The while\" --temperature 0.7", file=stream)
    print(f"     rnnkit complete {out} \"The ret\"", file=stream)


def gate_table(model, sentence: str, stream) -> None:
    """The first layer's gates, averaged over units, while the model reads ``sentence``."""
    from rnnkit.tasks.language_model.generate import gate_readings

    print(f"\n--- the first LSTM layer reading {sentence!r}: mean gate values over its units, the mean |c|, "
          "and the model's guess of the next character ---", file=stream)
    print(f"{'char':>6} {'input i':>8} {'forget f':>9} {'output o':>9} {'|c|':>6}  next (p)", file=stream)
    for r in gate_readings(model, sentence):
        print(f"{r['token']!r:>6} {r['i']:8.3f} {r['f']:9.3f} {r['o']:9.3f} {r['c']:6.2f}  "
              f"{r['next']!r} ({r['p']:.2f})", file=stream)
