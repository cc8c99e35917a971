"""The ``rnnkit`` command.

Machine-readable output goes to stdout, progress and messages to stderr.  A usage or input
error prints one line on stderr and exits with status 2, never a traceback; Ctrl-C during
training saves a checkpoint and exits with status 130.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from rnnkit.cli.formatting import HelpFormatter
from rnnkit.errors import RnnkitError


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)   # every subcommand's help reads alike
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        if args is not None and "--resume" in args:   # the run directory knows its data files
            for action in self._actions:
                if action.required and action.option_strings and action.dest != "out":
                    action.required = False
        return super().parse_known_args(args, namespace)

    def error(self, message):  # argparse's two-line usage error becomes one line
        extra = message.removeprefix("unrecognized arguments: ")
        if extra != message and not any(a.startswith("-") for a in extra.split()):
            # argparse cannot read an optional positional (FILE) placed after an option
            message += "; put file arguments before the options, e.g. `rnnkit translate RUN_DIR in.de --beam 3`"
        raise RnnkitError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    from rnnkit.cli import build, classify, demo, lm, tag, translate
    from rnnkit.cli.options import add_device_option, output_file, positive_int

    parser = Parser(prog="rnnkit", formatter_class=HelpFormatter,
                    description="Recurrent sequence models: train, inspect, generate.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    demo.add_parser(sub)
    build.add_parser(sub)
    train = sub.add_parser("train", help="train a model into a run directory",
                           description="Train a model; every task writes a run directory (--out).")
    tasks = train.add_subparsers(dest="task", metavar="TASK", parser_class=Parser, required=True)
    lm.add_train_parser(tasks)
    classify.add_train_parser(tasks)
    tag.add_train_parser(tasks)
    translate.add_train_parser(tasks)
    lm.add_generate_parser(sub)
    lm.add_complete_parser(sub)
    classify.add_classify_parser(sub)
    tag.add_tag_parser(sub)
    translate.add_translate_parser(sub)
    translate.add_attention_parser(sub)
    ev = sub.add_parser("evaluate", help="score a trained model on test data", formatter_class=HelpFormatter,
                        description="Print one metrics line for the test data: a language model gives "
                                    "loss, perplexity and bits per character (test: text); a classifier accuracy, "
                                    "macro-F1 and loss (test: TSV); a tagger UPOS accuracy overall and on unseen "
                                    "words (test: CoNLL-U); a translation model BLEU (cased and lowercased) and chrF "
                                    "with sacrebleu, and its speed (--src and --ref: line-aligned plain text). "
                                    "Classifiers and taggers also write a confusion matrix into the run's plots/.")
    ev.add_argument("run_dir", metavar="RUN_DIR", help="a run directory")
    ev.add_argument("--test", metavar="FILE", help="test data in the task's format (not for translation)")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    tr = ev.add_argument_group("translation")
    tr.add_argument("--src", metavar="FILE", help="source sentences, one per line")
    tr.add_argument("--ref", metavar="FILE", help="reference translations, line-aligned with --src")
    tr.add_argument("--beam", type=positive_int, default=5, help="beam size (1: greedy)")
    tr.add_argument("--batch-size", type=positive_int, default=64, help="sentences decoded together")
    tr.add_argument("--output", type=output_file, metavar="FILE", help="also write the translations here, one per line")
    add_device_option(ev)
    ev.set_defaults(run=run_evaluate)
    return parser


def run_evaluate(args) -> None:
    from rnnkit.cli import classify, lm, tag, translate
    from rnnkit.training import RunDir, load
    from rnnkit.files import check_writable_folder

    model = load(args.run_dir, args.device)
    name = model.config["task"]
    if name in ("classify", "tag"):   # the confusion matrix goes there, after the work
        check_writable_folder(RunDir(args.run_dir).plots, "the confusion matrix into the run's plots/")
    if name != "translate" and not args.test:
        raise RnnkitError(f"{args.run_dir}: give the test data with --test FILE")
    if name == "translate" and args.test:
        raise RnnkitError(f"{args.run_dir} holds a translation model: give --src FILE --ref FILE instead of --test")
    task = {"lm": lm, "classify": classify, "tag": tag, "translate": translate}[name]
    task.print_metrics(task.evaluate(model, args), args.json)


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv=None) -> int:
    from rnnkit.training import TrainingInterrupted

    warnings.showwarning = _one_line_warning
    parser = build_parser()
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        args.argv = argv   # what was given, as opposed to defaulted (for --resume)
        args.run(args)
    except RnnkitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TrainingInterrupted as e:
        print(str(e), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; nothing more was saved (a run resumes from its last checkpoint)", file=sys.stderr)
        return 130
    except BrokenPipeError:   # `rnnkit generate ... | head`
        return 0
    except OSError as e:   # a file or folder the system refused: one line, like any input error
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
