"""Options as data: what a task's configuration fields and verbs accept, for the command line to render.

A configuration field made with ``option(...)`` is an option of ``rnnkit train TASK`` (its flag is
the field name with dashes, ``--max-time`` for ``max_time``, unless ``flags`` says otherwise); one
made with ``like(default)`` is the same option as in the parent configuration with a new default
(and any other changes); a plain field is fixed for the task and not an option.  A verb's
options are ``Option`` values with their ``dest``.  The value parsers below turn the text of an
option into its value or raise ValueError with a message fit for the user.
"""
from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnkit.data.images import parse_size
from rnnkit.devices import resolve_device
from rnnkit.errors import RnnkitError
from rnnkit.files import check_writable_folder


@dataclass(frozen=True)
class Option:
    help: str
    flags: tuple[str, ...] = ()          # ("--valid", "--dev"); a name without dashes is positional
    dest: str | None = None              # a field's name, where the option is a configuration field
    type: Callable[[str], Any] | None = None
    choices: tuple | Callable[[], tuple] | None = None   # a function: the choices when the command line is built
    metavar: str | None = None
    required: bool = False
    default: Any = None
    flag: bool = False                   # a switch: present or not
    nargs: str | None = None             # "?" or "+" for positionals
    group: str | None = None             # "data", "model", "training", ... (help sections)
    exclusive: str | None = None         # options sharing this name exclude each other


def option(default, help: str, **spec) -> Any:
    """A configuration field that is an option (``spec``: the fields of ``Option``)."""
    spec.setdefault("flag", isinstance(default, bool))   # a switch; one with the default None also has --no-NAME
    return field(default=default, metadata={"option": Option(help=help, **spec)})


VALID_FRACTION = 0.1   # the part of its training data a run without validation data holds out


def valid_fraction_option(what: str, valid: str, default: str = str(VALID_FRACTION)) -> Any:
    """``--valid-fraction``: ``what`` to hold out for validation where the user gives no
    validation data (the option ``valid``); None when not given (``held_out`` says what then)."""
    return option(None, f"{what} (default {default} without {valid})", type=probability, metavar="F", group="data",
                  exclusive="valid")


def held_out(given: float | None, default: float = VALID_FRACTION) -> float:
    """The fraction to hold out: ``--valid-fraction`` as given, else ``default``."""
    return default if given is None else given


def like(default, **changes) -> Any:
    """The parent configuration's option of the same name, with the default ``default``."""
    return field(default=default, metadata={"like": changes})


def options_of(config_class) -> list[Option]:
    """The options of a configuration dataclass, each with its dest, flags and default."""
    found = []
    for f in dataclasses.fields(config_class):
        spec = _spec(config_class, f)
        if spec is None:
            continue
        flags = spec.flags or ("--" + f.name.replace("_", "-"),)
        found.append(dataclasses.replace(spec, dest=f.name, flags=flags, default=f.default))
    return found


def _spec(config_class, f) -> Option | None:
    if "option" in f.metadata:
        return f.metadata["option"]
    if "like" not in f.metadata:
        return None
    for base in config_class.__mro__[1:]:
        inherited = getattr(base, "__dataclass_fields__", {}).get(f.name)
        if inherited is not None and (spec := _spec(base, inherited)) is not None:
            return dataclasses.replace(spec, **f.metadata["like"])
    raise TypeError(f"{config_class.__name__}.{f.name}: like() needs an option of that name in a parent class")


def make_config(config_class, values: dict):
    """``config_class`` from option values (the rest take their defaults); names it does not have
    are left out (a run directory may hold options of an older or newer release)."""
    known = {f.name for f in dataclasses.fields(config_class)}
    return config_class(**{k: v for k, v in values.items() if k in known})


# -- value parsers ------------------------------------------------------------------------------

def positive_int(text: str) -> int:
    value = _number(int, text, "a positive integer")
    if value <= 0:
        raise ValueError(f"must be a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(float, text, "a positive number")
    if not value > 0:
        raise ValueError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(float, text, "zero or a positive number")
    if not value >= 0:
        raise ValueError(f"must be zero or positive, got {text}")
    return value


def probability(text: str) -> float:
    value = _number(float, text, "a number in [0, 1)")
    if not 0 <= value < 1:
        raise ValueError(f"must lie in [0, 1), got {text}")
    return value


def top_p(text: str) -> float:
    """A nucleus-sampling threshold: in (0, 1]; 1 keeps every token (no filtering)."""
    value = _number(float, text, "a number in (0, 1]")
    if not 0 < value <= 1:
        raise ValueError(f"must lie in (0, 1], got {text}")
    return value


def _number(kind, text: str, what: str):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"must be {what}, got {text!r}") from None


def output_file(text: str) -> str:
    """A file to write, checked before any work is done: not a folder, and in a folder that is
    writable or can be made (the writer makes it, as ``train --out`` makes the run directory)."""
    folder = Path(text).parent
    if Path(text).is_dir():
        raise ValueError(f"cannot write {text}: it is a folder")
    _checked(check_writable_folder, folder, text)
    return text


def check_cnn_fits(size: tuple[int, int], cnn_channels: str) -> None:
    """The frame CNN's blocks each halve the image: refuse an ``--image-size`` they halve to nothing."""
    blocks = len(str(cnn_channels).split(","))
    if min(size) < 2 ** blocks:
        raise RnnkitError(f"--image-size {size[0]}x{size[1]}: the frame CNN's {blocks} blocks each halve the image, so "
                          f"it needs at least {2 ** blocks} pixels a side; give --image-size {2 ** blocks} or more, "
                          "or fewer --cnn-channels")


def output_or_stdout(text: str) -> str:
    """``-`` (standard output) or a file to write."""
    return text if text == "-" else output_file(text)


def run_directory(text: str) -> str:
    """A run directory to create or continue: it, or the folder it will be made in, must be
    writable (checked before any work is done)."""
    _checked(check_writable_folder, text, f"the run directory {text}")
    return text


def device(text: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``, checked against this machine."""
    _checked(resolve_device, text)
    return text


def _checked(check, *args) -> None:
    try:
        check(*args)
    except RnnkitError as e:
        raise ValueError(str(e)) from None


def image_size(text: str) -> str:
    """``--image-size``: N or WIDTHxHEIGHT, kept as written in the canonical form ``WxH``."""
    try:
        width, height = parse_size(text)
    except ValueError as e:
        raise RnnkitError(f"--image-size: {e}") from None
    return f"{width}x{height}"


def channel_list(text: str) -> str:
    """``--cnn-channels``: comma-separated positive integers, one per CNN block."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise RnnkitError(f"--cnn-channels: give one positive number per CNN block, e.g. 32,64,128; got {text!r}")
    return ",".join(parts)


DEVICE = Option("where the model runs: auto (the first CUDA GPU where there is one, else the CPU), cpu, cuda or "
                "cuda:N", flags=("--device",), dest="device", type=device, default="auto")


def test_data(form: str) -> Option:
    """``--test FILE`` of ``rnnkit evaluate``, for test data in the ``form`` it names ("TSV")."""
    return Option(form, flags=("--test",), dest="test", metavar="FILE", required=True)


def run_dir_argument(task_command: str) -> Option:
    """The RUN_DIR positional of a verb that reads a trained run."""
    return Option(f"run directory of `rnnkit train {task_command}`", flags=("run_dir",), dest="run_dir",
                  metavar="RUN_DIR")


def is_path_option(opt: Option) -> bool:
    return opt.metavar in ("FILE", "DIR")


def absolute_paths(config_class: type, values: dict) -> dict:
    """``values`` with every data file or folder given as an absolute path (``-``, standard input,
    as it is)."""
    paths = {o.dest for o in options_of(config_class) if is_path_option(o)}

    def absolute(value):
        if isinstance(value, (list, tuple)):
            return [absolute(v) for v in value]
        return value if value in (None, "-") else os.path.abspath(os.path.expanduser(str(value)))

    return {name: absolute(value) if name in paths else value for name, value in values.items()}


def checked_value(opt: Option, value):
    """One option's value from Python, as the command line's parser would give it."""
    flag = flag_of(opt)
    if opt.flag:
        if not isinstance(value, bool):
            raise RnnkitError(f"argument {flag}: a switch, True or False; got {value!r}")
        return value
    if opt.nargs in ("+", "*"):
        items = [value] if isinstance(value, (str, Path)) else list(value)
        return [checked_value(dataclasses.replace(opt, nargs=None), v) for v in items]
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RnnkitError(f"argument {flag}: expected a number or a string, got {type(value).__name__} {value!r}")
    parse = opt.type or str
    if parse is int and not (isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())):
        raise RnnkitError(f"argument {flag}: invalid int value: {value!r}")
    if parse is float and isinstance(value, float) and math.isnan(value):
        raise RnnkitError(f"argument {flag}: invalid float value: {value!r}")
    try:
        parsed = parse(str(value)) if parse not in (int, float) else parse(value)
    except (ValueError, RnnkitError) as e:
        message = str(e) if parse not in (int, float, str) else f"invalid {parse.__name__} value: {value!r}"
        raise RnnkitError(message if message.startswith("--") else f"argument {flag}: {message}") from None
    choices = opt.choices() if callable(opt.choices) else opt.choices
    if choices is not None and parsed not in choices:
        raise RnnkitError(f"argument {flag}: invalid choice: {parsed!r} (choose from "
                          f"{', '.join(map(repr, choices))})")
    return parsed


def flag_of(opt: Option) -> str:
    return opt.flags[0] if opt.flags else "--" + opt.dest.replace("_", "-")


def closest(names, name: str, k: int = 3) -> list[str]:
    """The ``k`` of ``names`` closest to ``name`` (for "did you mean")."""
    return sorted(names, key=lambda known: _distance(known, name))[:k]


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, for the closest option names."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]
