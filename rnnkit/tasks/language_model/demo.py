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
import logging
import shutil
import tempfile
from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Output, Training, Verb, get_task, load
from rnnkit.tasks.language_model.generate import completions, gate_readings, sample_text
from rnnkit.tasks.options import Option

log = logging.getLogger(__name__)

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


def prepare_out(out: Path) -> None:
    """Make room for the demo's run directory: a previous demo there is removed, anything else
    is kept and refused."""
    if (out / MARKER).exists():
        shutil.rmtree(out)
    elif out.exists() and any(out.iterdir()):
        raise RnnkitError(f"{out}: exists and is not a previous demo; choose another --out")


def run(args) -> Output:
    if args.seconds <= 0:
        raise RnnkitError(f"--seconds must be positive, got {args.seconds}")
    out = Path(args.out)
    prepare_out(out)
    text, source = corpus()
    log.info(f"Training a character-level LSTM on {source} ({len(text):,} characters) for {args.seconds:g} s.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_text(text)
        training = Training(get_task("lm"), dict(
            text=str(path), out=str(out), level="char", layers=2, hidden=256, batch_size=32, bptt=100, lr=3e-3,
            dropout=0.1, max_time=args.seconds, eval_every=100, seed=args.seed))
        log.info(training.description)
        log.info(training.run())
    (out / MARKER).write_text("made by `rnnkit demo`; the next demo replaces this directory\n")
    return Output(show(out, args.seed))


def show(out: Path, seed: int) -> str:
    """What the demo prints of its trained model: samples, completions, the gates."""
    model = load(out, task="lm")
    vocab, tok = model.vocab, model.tokenizer
    lines = []
    for temperature in (0.5, 1.0):
        text = sample_text(model, "The ", 300, temperature=temperature, seed=seed)
        lines.append(f"\n--- sample at temperature {temperature} ---\n{text}")
    typed = "The stat"
    words = ", ".join(f"{typed}{text} (p={p:.2f})"
                      for text, p in completions(model, vocab.encode(tok.tokenize(typed)), 3, 15))
    lines.append(f"\n--- autocomplete of {typed!r}: {words}")
    lines += gate_table(model, SENTENCE)
    lines.append(f"\nRun directory: {out}   loss plot: {out / 'plots' / 'loss.png'}")
    lines.append(f"Try: rnnkit generate {out} --prime \"The while\" --temperature 0.7")
    lines.append(f"     rnnkit complete {out} \"The ret\"")
    return "\n".join(lines) + "\n"


def gate_table(model, sentence: str) -> list[str]:
    """The first layer's gates, averaged over units, while the model reads ``sentence``."""
    lines = [f"\n--- the first LSTM layer reading {sentence!r}: mean gate values over its units, the mean |c|, "
             "and the model's guess of the next character ---",
             f"{'char':>6} {'input i':>8} {'forget f':>9} {'output o':>9} {'|c|':>6}  next (p)"]
    for r in gate_readings(model, sentence):
        lines.append(f"{r['token']!r:>6} {r['i']:8.3f} {r['f']:9.3f} {r['o']:9.3f} {r['c']:6.2f}  "
                     f"{r['next']!r} ({r['p']:.2f})")
    return lines


DEMO = Verb("demo", "train a character LSTM for a minute, then generate and show its gates", __doc__,
            (Option("training time", flags=("--seconds",), dest="seconds", type=float, default=60.0),
             Option("run directory (a previous demo there is replaced)", flags=("--out",), dest="out",
                    default="runs/demo"),
             Option("random seed", flags=("--seed",), dest="seed", type=int, default=0)),
            run)
