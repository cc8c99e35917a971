"""Run configs: the options of ``rnnkit train TASK`` read from a file (``--config FILE``,
``rnnkit.train(..., config=FILE)``), so that a run can be written down and rerun.

A TOML file holds the options as top-level keys, by their names in snake_case or as the flags
say them (``batch_size = 32`` or ``batch-size = 32``), checked as the command line checks them;
an optional ``task = "lm"`` must name the task being trained.  A run's ``config.json`` is a config
too: its ``"args"`` are the options the run was started with, so ``rnnkit train TASK --config
runs/x/config.json --out runs/y`` trains run x again.  Options given beside the file override it.
The data files of a run are recorded with their absolute paths (``options.absolute_paths``), so
that a replay, or a resume, works from any folder.
"""
from __future__ import annotations

import json
from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Task
from rnnkit.tasks.options import checked_value, closest, options_of

NOT_REPLAYED = ("out", "resume")   # a run's own place and state, never taken from a config


def read_run_config(task_class: type[Task], path) -> dict:
    """The options (by dest) that the config file ``path`` gives for ``rnnkit train TASK``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RnnkitError(f"{path}: cannot read the config file ({e.strerror or e})") from None
    if path.suffix == ".json":
        return _from_run(task_class, path, _parsed_json(path, data))
    return _from_toml(task_class, path, data)


def _parsed_json(path: Path, data: bytes) -> dict:
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RnnkitError(f"{path}: not a JSON config ({e})") from None
    if not isinstance(config, dict) or not isinstance(config.get("args"), dict):
        raise RnnkitError(f"{path}: not a run's config.json (it has no \"args\": the options the run started with)")
    return config


def _from_run(task_class: type[Task], path: Path, config: dict) -> dict:
    """A run's config.json: the options it was started with (parsed already), less its place."""
    _check_task(task_class, path, config.get("task"))
    known = {o.dest for o in options_of(task_class.Config)}
    return {name: value for name, value in config["args"].items() if name in known and name not in NOT_REPLAYED}


def _from_toml(task_class: type[Task], path: Path, data: bytes) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:                    # Python 3.10
        import tomli as tomllib
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise RnnkitError(f"{path}: not a text file (a config is TOML, or a run's config.json)") from None
    except tomllib.TOMLDecodeError as e:
        raise RnnkitError(f"{path}: not valid TOML ({e})") from None
    _check_task(task_class, path, table.pop("task", None))
    known = {o.dest: o for o in options_of(task_class.Config) if o.dest not in NOT_REPLAYED}
    values = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if isinstance(value, dict):
            raise RnnkitError(f"{path}: {key!r} is a table; a config holds the options as top-level keys")
        if name not in known:
            raise RnnkitError(f"{path}: {key!r} is not an option of `rnnkit train {task_class.name}` (did you mean "
                              f"{' or '.join(map(repr, closest(known, name)))}?)")
        values[name] = checked_value(known[name], value)
    return values


def _check_task(task_class: type[Task], path: Path, task) -> None:
    if task is not None and task != task_class.name:
        raise RnnkitError(f"{path}: a config of `rnnkit train {task}`, not of `rnnkit train {task_class.name}`")
