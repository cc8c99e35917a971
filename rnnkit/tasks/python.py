"""Training from Python (``rnnkit.train``): the options of ``rnnkit train TASK`` as keyword
arguments, checked as the command line checks them, and data held in memory, which the task's
slice writes into the run directory (``data/``) in a form the command line reads, so that a run
trained from Python is exactly the run the command line makes of the same data: ``rnnkit``
commands, ``--resume`` and ``rnnkit.load`` work on it, and the weights are the same bit for bit.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnkit.errors import RnnkitError
from rnnkit.files import write_atomic
from rnnkit.tasks.base import Task, Training, get_task, load
from rnnkit.tasks.options import checked_value, closest, flag_of, options_of
from rnnkit.tasks.run_config import read_run_config
from rnnkit.training import RunDir

log = logging.getLogger(__name__)


def train(task: str, data: Any = None, *, valid: Any = None, out: str | Path | None = None,
          config: str | Path | None = None, **options) -> torch.nn.Module:
    """Train the application ``task`` ("lm", "classify", ...) and return its trained model, loaded
    as ``rnnkit.load`` loads it.  ``data`` and ``valid``: the training and validation data in
    memory, in the forms the application's slice takes (``Task.data_files``); files are given as
    the options of ``rnnkit train TASK`` instead (``text="input.txt"``).  ``options``: those
    options by their names in snake_case (``batch_size=32``), with the command line's defaults
    and checks.  ``out``: the run directory (default: a temporary one, removed with the model).
    ``config``: a file of options (TOML, or a run's config.json; ``rnnkit.tasks.run_config``),
    which ``options`` override."""
    task_class = get_task(task)
    values = {**(read_run_config(task_class, config) if config is not None else {}),
              **checked_options(task_class, options)}
    if values.get("nproc", 1) > 1:
        raise RnnkitError("nproc: training on several processes runs from the command line (`rnnkit train "
                          f"{task} --nproc N`); from Python give nproc=1")
    if values.get("resume") and (data is not None or valid is not None):
        raise RnnkitError("resume=True continues the run with the data it was started with; give no data")
    if values.get("resume") and out is None:
        raise RnnkitError("resume=True needs out=RUN_DIR, the run to continue")
    run = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="rnnkit-run-"))
    try:
        model = _trained(task_class, data, valid, run, values)
    except BaseException:
        if out is None:
            shutil.rmtree(run, ignore_errors=True)
        raise
    if out is None:
        weakref.finalize(model, shutil.rmtree, str(run), True)
    return model


def _trained(task_class: type[Task], data, valid, run: Path, values: dict) -> torch.nn.Module:
    if not values.get("resume"):
        RunDir(run).check_free(task_class.files)       # before any data is written into it
        if data is not None or valid is not None:
            values.update(data_options(task_class, data, valid, RunDir(run).data, values))
        check_exclusive(task_class, values)
        missing = [o for o in options_of(task_class.Config) if o.required and o.dest != "out"
                   and values.get(o.dest) is None]
        if missing:
            raise RnnkitError(f"rnnkit.train({task_class.name!r}): give the training data, in memory as data=... or "
                              f"as files with {', '.join(f'{o.dest}=...' for o in missing)}")
    values["out"] = str(run)
    training = Training(task_class, values)
    log.info(training.description)
    log.info(training.run())
    return load(run, values.get("device") or "auto")


def data_options(task_class: type[Task], data, valid, folder: Path, given: dict) -> dict:
    """The options that read ``data`` and ``valid``, written into ``folder`` by the task's slice;
    an option the user gave too is an error (which of the two would train?)."""
    try:
        written = task_class.data_files(data, valid, folder)
    except NotImplementedError:
        raise RnnkitError(f"rnnkit.train({task_class.name!r}) takes its data as files so far: give them as the "
                          f"options of `rnnkit train {task_class.name}` (see its --help), in snake_case") from None
    both = sorted(k for k in written if given.get(k) is not None)
    if both:
        raise RnnkitError(f"{', '.join(both)}: given both as an option and through data=/valid= (which writes it); "
                          "give one")
    return written


def checked_options(task_class: type[Task], given: dict) -> dict:
    """``given`` (option names in snake_case -> Python values) checked as the command line checks
    the same options: known names, values of the right kind, choices, parsers (``positive_int``),
    and options that exclude each other."""
    known = {o.dest: o for o in options_of(task_class.Config)}
    values = {}
    for name, value in given.items():
        if name not in known:
            raise RnnkitError(f"rnnkit.train({task_class.name!r}): no option {name!r} (did you mean "
                              f"{' or '.join(map(repr, closest(known, name)))}? the options are those of `rnnkit train "
                              f"{task_class.name}`, in snake_case)")
        values[name] = value if value is None else checked_value(known[name], value)
    return values


def check_exclusive(task_class: type[Task], values: dict) -> None:
    """Options that exclude each other (``--valid`` and ``--valid-fraction``) are not both given."""
    known = {o.dest: o for o in options_of(task_class.Config)}
    by_group: dict[str, list[str]] = {}
    for name, value in values.items():
        if name in known and known[name].exclusive and value is not None and value != known[name].default:
            by_group.setdefault(known[name].exclusive, []).append(name)
    for names in by_group.values():
        if len(names) > 1:
            raise RnnkitError(f"argument {flag_of(known[names[1]])}: not allowed with argument {flag_of(known[names[0]])}")


# -- what the slices write ----------------------------------------------------------------------

def one_line(text, what: str, k: int) -> str:
    """``text`` as one line of a file: a string, with tabs and line breaks read as spaces."""
    if not isinstance(text, str):
        raise RnnkitError(f"{what} {k}: expected a string, got {type(text).__name__} {text!r}")
    return " ".join(text.replace("\t", " ").splitlines())


def pair_of_lists(data, first: str, second: str, role: str) -> tuple[list, list]:
    """``(firsts, seconds)`` of equal, non-zero length, as lists."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise RnnkitError(f"{role}: expected a pair ({first}, {second}), got {type(data).__name__}")
    a, b = (list(x) if not isinstance(x, str) else None for x in data)
    if a is None or b is None:
        raise RnnkitError(f"{role}: expected a pair of lists ({first}, {second}), got a string inside")
    if len(a) != len(b):
        raise RnnkitError(f"{role}: {len(a)} {first} but {len(b)} {second}; they go in pairs")
    if not a:
        raise RnnkitError(f"{role}: no {first} (an empty list)")
    return a, b


def examples_of(inputs, role: str) -> list:
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
        raise RnnkitError(f"{role}: expected a list (or an array) of examples, got {type(inputs).__name__}")
    if not len(inputs):
        raise RnnkitError(f"{role}: no examples (an empty list)")
    return list(inputs)


def write_clips(folder: Path, given: list, prefix: str, role: str) -> list[str]:
    """Each clip as ``folder/PREFIXk.npy`` (checked: ``[frames, height, width(, 1 or 3)]`` numbers);
    their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for k, clip in enumerate(given):
        array = np.asarray(clip)
        if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] not in (1, 3)) or 0 in array.shape[:3]:
            raise RnnkitError(f"{role}: clip {k} has shape {list(array.shape)}; expected [frames, height, width] or "
                              "[frames, height, width, 1 or 3], at least one frame")
        if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
            raise RnnkitError(f"{role}: clip {k} holds {array.dtype} values; expected numbers (bytes 0-255 or values "
                              "in [0, 1])")
        names.append(f"{prefix}{k:05d}.npy")
        np.save(folder / names[-1], array, allow_pickle=False)
    return names


def write_images(folder: Path, given: list, prefix: str, role: str) -> list[str]:
    """Each image (a Pillow image, or an array ``[height, width(, 1 or 3)]`` of bytes or of values
    in [0, 1]) as ``folder/PREFIXk.png``, losslessly; their names."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for k, image in enumerate(given):
        if not isinstance(image, Image.Image):
            array = np.asarray(image)
            if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 3)) or 0 in array.shape:
                raise RnnkitError(f"{role}: image {k} has shape {list(array.shape)}; expected a Pillow image or an "
                                  "array [height, width] or [height, width, 1 or 3]")
            image = Image.fromarray(as_bytes(array, f"{role}: image {k}").squeeze(-1) if array.ndim == 3 and
                                    array.shape[-1] == 1 else as_bytes(array, f"{role}: image {k}"))
        names.append(f"{prefix}{k:05d}.png")
        image.save(folder / names[-1], "PNG")
    return names


def as_bytes(array: np.ndarray, what: str) -> np.ndarray:
    """Pixel values as bytes: bytes as they are, values in [0, 1] scaled by 255, others rounded and
    clipped to 0-255 (as the clip reader reads a ``.npy`` clip)."""
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise RnnkitError(f"{what} holds {array.dtype} values; expected numbers (bytes 0-255 or values in [0, 1])")
    if array.dtype == np.uint8:
        return array
    array = np.nan_to_num(array.astype(np.float64))
    return np.clip(np.rint(array * (255.0 if array.max() <= 1.0 else 1.0)), 0, 255).astype(np.uint8)


def write_file(folder: Path, name: str, text: str) -> str:
    """``text`` written atomically as ``folder/name``; its path, as the option's value."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / name, text)
    return str(folder / name)
