"""The ``rnnkit`` command.

Machine-readable output goes to stdout, progress and messages to stderr.  A usage or input
error prints one line on stderr and exits with status 2, never a traceback; Ctrl-C during
training saves a checkpoint and exits with status 130.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import logging
import os
import sys
import warnings
from pathlib import Path

from rnnkit.cli.formatting import HelpFormatter
from rnnkit.cli.render import add_option, add_options
from rnnkit.errors import RnnkitError
from rnnkit.tasks.options import DEVICE, options_of


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
    from rnnkit.cli import build, datasets, gradients
    from rnnkit.tasks import TASKS

    parser = Parser(prog="rnnkit", formatter_class=HelpFormatter,
                    description="Recurrent sequence models: train, inspect, generate.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    build.add_parser(sub)
    datasets.add_parser(sub)
    gradients.add_parser(sub)
    train = sub.add_parser("train", help="train a model into a run directory",
                           description="Train a model; every task writes a run directory (--out).")
    names = train.add_subparsers(dest="task", metavar="TASK", parser_class=Parser, required=True)
    for task in TASKS.values():
        p = names.add_parser(task.name, help=task.help, description=task.description)
        # required options may come from --config: run_train checks them once the file is read
        add_options(p, [dataclasses.replace(o, required=False) for o in options_of(task.Config)], only_given=True)
        p.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                       help="read options from FILE: TOML (option = value, names as the flags or in snake_case) "
                            "or a run's config.json (the options that run started with); options given here "
                            "override it")
        p.set_defaults(run=functools.partial(run_train, task))
    for task in TASKS.values():
        for verb in task.verbs:
            p = sub.add_parser(verb.name, help=verb.help, description=verb.description)
            add_options(p, verb.options, only_given=verb.given_only)
            p.set_defaults(run=functools.partial(run_verb, verb))
    add_evaluate_parser(sub, list(TASKS.values()))
    gives = "; ".join(task.exports for task in TASKS.values() if task.exports)
    ex = sub.add_parser("export", help="write a trained model as ONNX files (onnxruntime runs them without Python)",
                        description="Write the model of RUN_DIR as ONNX files into the folder OUTPUT, with "
                                    "rnnkit.json, which says what each file takes and gives and holds the "
                                    f"vocabularies. {gives[:1].upper()}{gives[1:]}. Needs pip install "
                                    "'rnnkit[export]'.")
    ex.add_argument("run_dir", metavar="RUN_DIR", help="a run directory")
    ex.add_argument("--output", required=True, metavar="OUTPUT", help="the folder to write (made if missing)")
    ex.set_defaults(run=run_export)
    return parser


def run_train(task, args) -> int:
    from rnnkit.devices import resolve_device
    from rnnkit.tasks import Training
    from rnnkit.training import distributed

    from rnnkit.tasks.options import options_of
    from rnnkit.tasks.run_config import read_run_config

    given = {k: v for k, v in vars(args).items() if k not in ("command", "task", "run", "argv", "config")}
    if getattr(args, "config", None):
        given = {**read_run_config(task, args.config), **given}
    missing = [o for o in options_of(task.Config) if o.required and given.get(o.dest) is None
               and (o.dest == "out" or not given.get("resume"))]     # a resumed run has its data already
    if missing:
        raise RnnkitError(f"rnnkit train {task.name}: the following arguments are required: "
                          + ", ".join("/".join(o.flags) for o in missing))
    if given.get("nproc", 1) > 1 and not distributed.in_launched_process():
        distributed.check_gpus(resolve_device(given.get("device") or "auto"), given["nproc"])
        return distributed.launch(args.argv, given["nproc"])
    training = Training(task, given)
    if training.world.main:
        print(training.description, file=sys.stderr)
    print(training.run(), file=sys.stderr)
    return 0


def run_verb(verb, args) -> None:
    output = verb.run(args)
    sys.stdout.write(output.text)
    sys.stdout.flush()
    for note in output.notes:
        print(note, file=sys.stderr)


def add_evaluate_parser(sub, tasks) -> None:
    """``rnnkit evaluate RUN_DIR`` with the test-data options of every task: those several tasks
    share first (their help: each task's, by task), then each task's own."""
    ev = sub.add_parser("evaluate", help="score a trained model on test data",
                        description="Print one metrics line for the test data: "
                                    + "; ".join(t.evaluate_help for t in tasks if t.evaluate_help) + ".")
    ev.add_argument("run_dir", metavar="RUN_DIR", help="a run directory")
    uses: dict[str, list] = {}
    for task in tasks:
        for opt in task.evaluate_options:
            uses.setdefault(opt.dest, []).append((task, opt))
    for dest, users in uses.items():
        task, opt = users[0]
        if len(users) > 1:
            target = ev
            shared = ", ".join(f"{o.help} ({t.noun})" for t, o in users)
            opt = dataclasses.replace(opt, help=("test data: " if opt.metavar in ("FILE", "DIR") else "") + shared)
        else:
            target = _group(ev, task.noun)
        add_option(target, dataclasses.replace(opt, required=False), only_given=True)
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    add_option(ev, DEVICE)
    ev.set_defaults(run=run_evaluate)


def _group(parser, title: str):
    found = next((g for g in parser._action_groups if g.title == title), None)
    return found or parser.add_argument_group(title)


def run_evaluate(args) -> None:
    from rnnkit.tasks import TASKS, load
    from rnnkit.tasks.trained import evaluate_run, json_ready

    model = load(args.run_dir, args.device)
    task = TASKS[model.run_config["task"]]
    wanted = task.evaluate_options
    given = set(vars(args)) - {"command", "run", "run_dir", "json", "device", "argv"}
    foreign = sorted(given - {o.dest for o in wanted})
    if foreign and not wanted:
        raise RnnkitError(f"{args.run_dir} holds a {task.noun}, which `rnnkit evaluate RUN_DIR` scores on its own "
                          f"test data; give no {' '.join('--' + name.replace('_', '-') for name in foreign)}")
    if foreign:
        shown = (" ".join(f"{o.flags[0]} {o.metavar}" for o in wanted if o.required)
                 or " or ".join(f"{o.flags[0]} {o.metavar}" for o in wanted if o.metavar in ("FILE", "DIR")))
        flags = " ".join("--" + name.replace("_", "-") for name in foreign)
        raise RnnkitError(f"{args.run_dir} holds a {task.noun}: give {shown} instead of {flags}")
    metrics, notes = evaluate_run(model, {name: getattr(args, name) for name in given})
    for note in notes:
        print(note, file=sys.stderr)
    print(json.dumps(json_ready(metrics)) if args.json else task.format_metrics(metrics))


def run_export(args) -> None:
    from rnnkit.tasks import TASKS, load

    if not args.output.strip():
        raise RnnkitError("--output: give the folder to write the ONNX files into, got an empty name")
    model = load(args.run_dir, "cpu")
    try:
        written = TASKS[model.run_config["task"]].export(model, Path(args.output))
    except ImportError as e:
        raise RnnkitError(str(e)) from None
    print("\n".join(str(p) for p in written))


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def _show_progress_notes() -> None:
    """rnnkit's INFO log lines (what a long step is doing) on stderr, as they are."""
    logger = logging.getLogger("rnnkit")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv=None) -> int:
    from rnnkit.training import TrainingInterrupted

    warnings.showwarning = _one_line_warning
    _show_progress_notes()
    parser = build_parser()
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        args.argv = argv
        status = args.run(args)
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
    return status or 0


def console() -> None:
    """The ``rnnkit`` command: ``main``'s status is the exit status.  A rank of a process group
    (``--nproc``, torchrun) ends through ``os._exit`` once its output is flushed, skipping the
    interpreter's teardown of torch.distributed's threads, at which a rank whose work was done and
    written was seen to abort (SIGABRT) in about one launch of fifty."""
    from rnnkit.training import distributed

    status = main()
    if distributed.in_launched_process():
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
