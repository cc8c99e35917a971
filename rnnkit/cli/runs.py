"""Run directories as every subcommand meets them: resuming a run, loading the model of a given
task, the closing line of training, and confusion-matrix plots."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.training import RunDir, load, plot_confusion

NOUNS = {"lm": "language model", "classify": "classifier", "tag": "tagger", "translate": "translation model"}


def resumed(args: argparse.Namespace, task: str, required: list[str]) -> tuple[RunDir, dict, argparse.Namespace]:
    """The run directory ``args.out``, its config, and the options it was started with (options
    added to rnnkit since then take their defaults; a new --epochs or --max-time wins).
    ``required``: placeholder values for the subcommand's required options."""
    from rnnkit.cli.main import build_parser

    run = RunDir(args.out)
    config = run.read_config()
    if config.get("task") != task:
        raise RnnkitError(f"{run.path}: holds a {config.get('task')} run, not a {task} run")
    defaults = vars(build_parser().parse_args(["train", task, *required, "--out", "-"]))
    saved = argparse.Namespace(**{**defaults, **config["args"]})
    for name in ("epochs", "max_time"):
        if getattr(args, name) is not None:
            setattr(saved, name, getattr(args, name))
    saved.resume, saved.run = True, args.run
    return run, config, saved


def load_for(run_dir: str, task: str):
    """``rnnkit.load(run_dir)``, refusing a run of another task."""
    model = load(run_dir)
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
