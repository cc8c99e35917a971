"""``--resume`` for every ``rnnkit train TASK``: the run's own options, over today's defaults."""
from __future__ import annotations

import argparse

from rnnkit.errors import RnnkitError
from rnnkit.training import RunDir


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
