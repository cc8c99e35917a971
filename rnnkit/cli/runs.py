"""Run directories as every subcommand meets them: resuming a run, loading the model of a given
task, the closing line of training, and confusion-matrix plots."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.training import RunDir, load, plot_confusion

NOUNS = {"lm": "language model", "classify": "classifier", "tag": "tagger", "translate": "translation model"}


ANEW = ("epochs", "max_time", "device")   # the options a resumed run may be given anew


def saved_args(args: argparse.Namespace) -> dict:
    """The options of a run, as config.json keeps them."""
    return {k: v for k, v in vars(args).items() if k not in ("run", "argv")}


def resumed(args: argparse.Namespace, task: str) -> tuple[RunDir, dict, argparse.Namespace]:
    """The run directory ``args.out``, its config, and the options it was started with (options
    added to rnnkit since then take their defaults).  A new --epochs or --max-time is recorded in
    config.json; any other option given with a value other than the run's is refused."""
    run = RunDir(args.out)
    config = run.read_config()
    if config["task"] != task:
        raise RnnkitError(f"{run.path}: holds a {config['task']} run, not a {task} run")
    parser, task_parser = _train_parser(task)
    defaults = {a.dest: a.default for a in task_parser._actions if a.dest != "help"}
    started = {**defaults, **config.get("args", {})}
    given = _given_options(parser, task_parser, getattr(args, "argv", None))
    changed = [name for name in sorted(given - {"out", "resume", *ANEW})
               if getattr(args, name) != started.get(name)]
    if changed:
        shown = ", ".join(f"--{n.replace('_', '-')} {getattr(args, n)!r} (the run has {started.get(n)!r})"
                          for n in changed)
        raise RnnkitError(f"{run.path}: --resume continues the run with the options it was started with, but "
                          f"{shown} differ; only --epochs, --max-time and --device may change (start a new run "
                          "with another --out to change the others)")
    saved = argparse.Namespace(**started)
    for name in ANEW:
        if getattr(args, name) is not None:
            setattr(saved, name, getattr(args, name))
            config.setdefault("args", {})[name] = getattr(args, name)
    run.write_config(config)
    saved.resume, saved.run = True, args.run
    return run, config, saved


def _train_parser(task: str) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """A fresh ``rnnkit`` parser and its ``train TASK`` parser."""
    from rnnkit.cli.main import build_parser

    def choices(p):
        return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices

    parser = build_parser()
    return parser, choices(choices(parser)["train"])[task]


def _given_options(parser, task_parser, argv: list[str] | None) -> set[str]:
    """The options written on the command line ``argv`` (not taken from defaults)."""
    if argv is None:
        return set()
    for action in task_parser._actions:
        action.default, action.required = argparse.SUPPRESS, False
    return set(vars(parser.parse_args(argv))) - {"command", "task", "run"}


def load_for(run_dir: str, task: str, device: str = "auto"):
    """``rnnkit.load(run_dir, device)``, refusing a run of another task."""
    model = load(run_dir, device)
    found = model.config["task"]
    if found != task:
        raise RnnkitError(f"{run_dir}: holds a {NOUNS.get(found, found)}, not a {NOUNS[task]}")
    return model


def report_training(summary: dict, run: RunDir, result: str, confusion: bool = False) -> None:
    """The closing line on stderr: why training stopped, the result, where everything is."""
    where = f"run directory {run.path}, loss plot {run.plots / 'loss.png'}"
    if confusion:
        where += f", confusion matrix {run.plots / 'confusion.png'}"
    print(f"stopped after {summary['steps']} steps ({summary['stopped_by']}), {result}; {where}", file=sys.stderr)


def plot_test_confusion(run_dir: str, test: str, confusion, labels: list[str], what: str = "") -> None:
    """The confusion matrix of ``rnnkit evaluate`` into the run's plots/, named after the test file."""
    name = Path(test).name.split(".")[0]
    path = RunDir(run_dir).plots / f"confusion-{name}.png"
    path.parent.mkdir(exist_ok=True)
    plot_confusion(confusion.tolist(), labels, path, f"{Path(test).name} {what}".strip())
    print(f"confusion matrix: {path}", file=sys.stderr)
