"""The task contract: what an application supplies, and the training and loading every task shares.

A task (one application: language model, classifier, ...) is a ``Task`` subclass made with its
configuration (a dataclass whose fields are the options of ``rnnkit train NAME``, saved in the
run's ``config.json``).  It reads its files and builds its model (``prepare``), gives the loss of
a batch as ``(summed loss, count, carried state)`` (``loss``), its validation metrics
(``validate``), the files it keeps in the run directory (``save``, ``load``), the metrics of test
data (``evaluate``) and any commands of its own (``verbs``: data the command line renders).
``Training`` runs any task through the generic trainer; ``load`` opens any run directory.
Tasks never print: what they report is returned, and warnings go through ``warnings``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_model

from rnnkit.devices import resolve_device
from rnnkit.errors import RnnkitError
from rnnkit.files import check_writable_folder, write_atomic
from rnnkit.tasks.config import ANEW
from rnnkit.tasks.options import Option, absolute_paths, make_config
from rnnkit.training import RunDir, Trainer, checkpoint, distributed, plot_confusion
from rnnkit.training.rundir import build_checked

TASKS: dict[str, type["Task"]] = {}


def register(task: type["Task"]) -> type["Task"]:
    """Make ``task`` an application of rnnkit: ``rnnkit train NAME``, its verbs, ``rnnkit evaluate``
    and ``rnnkit.load`` of its run directories (a test may register one of its own)."""
    if not (isinstance(getattr(task, "name", None), str) and dataclasses.is_dataclass(getattr(task, "Config", None))):
        raise TypeError(f"{task.__name__}: a task needs a name and a Config dataclass")
    TASKS[task.name] = task
    return task


def get_task(name: str) -> type["Task"]:
    if name not in TASKS:
        raise RnnkitError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}")
    return TASKS[name]


@dataclass
class Output:
    """What a verb gives the command line: ``text`` for standard output, ``notes`` (one line each)
    for standard error."""
    text: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Verb:
    """A command a task brings (``rnnkit generate RUN_DIR ...``): its options, and ``run``, which
    takes the parsed options (one attribute per option's dest) and returns an ``Output``.  With
    ``given_only`` an option left off the command line is left out of the parsed options too (a
    verb that trains passes on what was given, as ``rnnkit train`` does)."""
    name: str
    help: str
    description: str
    options: tuple[Option, ...]
    run: Callable[[Any], Output]
    given_only: bool = False


def parameters(model: torch.nn.Module) -> str:
    """``1,234 parameters``: the size of ``model`` in a run's description."""
    return f"{sum(p.numel() for p in model.parameters()):,} parameters"


@dataclass
class Prepared:
    """A task's training, ready: the model, the batches of each epoch, the validation data (or
    None), what ``config.json`` records under "data", and what the run is (one line).  In
    data-parallel training rank r of N reads batches r, r + N, ... of each epoch, unless
    ``sharded``: then ``batches`` gives this rank's own (as many on every rank; a language
    model's streams, whose state carries from one batch to the next).  ``training``: the task's
    values, from the data, for training options the user left unset (``epochs``, ``eval_every``,
    ``patience``)."""
    model: torch.nn.Module
    batches: Callable[[int], Sequence]
    valid: Any
    data: dict
    description: str
    sharded: bool = False
    training: dict = field(default_factory=dict)


class Task:
    name: ClassVar[str]                      # `rnnkit train NAME`; "task" in config.json
    noun: ClassVar[str]                      # "language model"
    help: ClassVar[str]                      # one line for `rnnkit train --help`
    description: ClassVar[str]               # the paragraph of `rnnkit train NAME --help`
    Config: ClassVar[type]                   # the configuration dataclass (options of `train NAME`)
    model_class: ClassVar[type]              # what config.json's "model" entry builds
    unit: ClassVar[str] = "token"            # what a batch loss's count counts
    select: ClassVar[str] = "loss"           # the validation metric that picks the best weights
    maximize: ClassVar[bool] = False
    show_perplexity: ClassVar[bool] = False
    verbs: ClassVar[tuple[Verb, ...]] = ()
    evaluate_options: ClassVar[tuple[Option, ...]] = ()   # the test data flags of `rnnkit evaluate`
    evaluate_help: ClassVar[str] = ""        # what `rnnkit evaluate` prints for this task
    test_options: ClassVar[dict[str, str]] = {}   # data_files' validation options -> evaluate_options
    files: ClassVar[tuple[str, ...]] = ()    # what ``save`` writes into the run directory
    exports: ClassVar[str] = ""              # what ``export`` writes, for `rnnkit export --help` ("" : none)

    def __init__(self, config):
        self.config = config

    # -- training ------------------------------------------------------------------------------
    def prepare(self, run: RunDir | None) -> Prepared:
        """Read the data and build the model; ``run`` is the run being resumed (its vocabularies
        and labels are reused), or None for a new run."""
        raise NotImplementedError

    def loss(self, model, batch, carry, step: int):
        """``(summed loss, count, state to carry into the next batch or None)`` of one batch at
        training step ``step``."""
        raise NotImplementedError

    def validate(self, model, valid) -> dict:
        """Validation metrics (floats; ``select`` among them) of ``model`` on ``prepare``'s ``valid``."""
        raise NotImplementedError

    def save(self, run: RunDir, prepared: Prepared) -> None:
        """Write the task's own files (vocabularies, tokenizers) into a new run directory."""

    def result(self, run: RunDir, prepared: Prepared, summary: dict) -> tuple[str, list[str]]:
        """After training: the result for the closing line, and the files written for it."""
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation {self.select} {summary['best_valid']:.4f}", []

    # -- a trained run -----------------------------------------------------------------------
    @classmethod
    def load(cls, run: RunDir, config: dict, device) -> torch.nn.Module:
        """The model of ``run``, with its vocabularies, tokenizers and labels, on ``device``."""
        return load_weights(cls, run, config, device)

    @classmethod
    def evaluate(cls, model, args) -> tuple[dict, list[str]]:
        """The metrics of the test data named by ``args`` (the ``evaluate_options``), and notes."""
        raise NotImplementedError

    @staticmethod
    def format_metrics(metrics: dict) -> str:
        raise NotImplementedError

    @classmethod
    def export(cls, model, folder: Path) -> list[Path]:
        """Write the model as ONNX files into ``folder`` (``rnnkit export``), with ``rnnkit.json``
        (what the files take and give, the vocabularies); the files written."""
        raise RnnkitError(f"exporting a {cls.noun} to ONNX is not supported yet (so far: {', '.join(exportable())})")

    @staticmethod
    def data_files(data, valid, folder: Path) -> dict:
        """Data given from Python (``rnnkit.train(NAME, data, valid=...)``), in memory, written
        into ``folder`` in a form ``rnnkit train NAME`` reads: the options that read it (``{"text":
        PATH}``).  A task that takes no data in memory raises NotImplementedError."""
        raise NotImplementedError

    @classmethod
    def test_files(cls, model, data, folder: Path) -> dict:
        """Test data given from Python (``model.evaluate(data)``), in memory, written into
        ``folder`` in a form ``rnnkit evaluate`` reads: the options that read it, by dest.  By
        default ``data`` is written as ``data_files`` writes validation data, with the options
        renamed by ``test_options``."""
        written = cls.data_files(None, data, folder)
        return {cls.test_options.get(name, name): value for name, value in written.items()}

    @classmethod
    def example_inputs(cls, model, length: int, batch: int, seed: int) -> torch.Tensor | None:
        """Inputs of the model's recurrent layer like those it was trained on, ``[length, batch,
        input_size]`` (for ``rnnkit gradients RUN_DIR``), or None where the task has no generator."""
        return None


def exportable() -> list[str]:
    """The nouns of the registered tasks that ``rnnkit export`` writes as ONNX."""
    return [task.noun for task in TASKS.values() if task.exports]


def write_export(folder: Path, graphs: dict, description: dict) -> list[Path]:
    """Each graph of ``graphs`` (file name -> ``rnnkit.layers.onnx.Graph``) and ``rnnkit.json``
    (``description`` with the task and the files), written atomically into ``folder``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RnnkitError(f"{folder}: exists and is not a folder; --output names a folder for the ONNX files")
    check_writable_folder(folder, "the ONNX files")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, graph in graphs.items():
        graph.save(folder / name)
        written.append(folder / name)
    write_atomic(folder / "rnnkit.json", json.dumps({**description, "files": list(graphs)}, indent=1) + "\n")
    return [*written, folder / "rnnkit.json"]


def load_weights(task: type[Task], run: RunDir, config: dict, device, **attached) -> torch.nn.Module:
    """The model that config.json describes, with the weights of ``run`` and the keyword
    arguments ``attached`` (vocabularies, tokenizers, labels) given to its constructor."""
    model = task.model_class(**config["model"], **attached)
    try:
        load_model(model, str(run.model))
    except (OSError, RuntimeError, ValueError, SafetensorError) as e:
        raise RnnkitError(f"{run.model}: cannot be read ({e})") from None
    return model.to(resolve_device(device)).eval()


def read_config(run: RunDir) -> tuple[type[Task], dict]:
    """The task of a run directory, and its config.json."""
    config = run.read_config()
    name = config.get("task")
    if name not in TASKS:
        raise RnnkitError(f"{run.config}: \"task\" must be one of {sorted(TASKS)}, found {name!r}")
    return TASKS[name], config


def load(run_dir, device="auto", *, task: str | None = None) -> torch.nn.Module:
    """The trained model of a run directory on ``device`` ("auto": the first CUDA GPU where there is
    one, else the CPU), in eval mode, holding what it needs to read and write text (vocabularies,
    tokenizers, labels) and ``.run_config`` (the run's config.json).  ``task``: refuse a run of
    another task."""
    run = RunDir(run_dir)
    task_class, config = read_config(run)
    if task is not None and task_class.name != task:
        raise RnnkitError(f"{run_dir}: holds a {task_class.noun}, not a {get_task(task).noun}")
    if not run.model.is_file():
        raise RnnkitError(f"{run.path}: has no model.safetensors yet (training has not saved a model)")
    build_checked(task_class.model_class, config["model"], run, task_class.name)
    try:
        model = task_class.load(run, config, device)
    except KeyError as e:
        raise RnnkitError(f"{run.config}: \"data\" lacks the entry {e}") from None
    model.run_config, model.run_dir = config, run.path
    return model


class Training:
    """A task's training set up from options (``values``: the options given, by dest; the rest take
    the task's defaults): ``description`` says what will be trained, ``run()`` trains and returns
    the closing line.  With ``resume`` the run directory's own options are used; only --epochs,
    --max-time and --device may be given anew (and are recorded), any other option that differs
    from the run's is refused."""

    def __init__(self, task_class: type[Task], values: dict):
        self.run_dir = None
        self.world = distributed.join(resolve_device(values.get("device") or "auto"))
        self.lock = None                 # this process's hold on the run directory (RunDir.lock)
        try:
            self._set_up(task_class, values)
        except BaseException:
            self.release()               # a run that never starts leaves its directory free
            raise

    def _set_up(self, task_class: type[Task], values: dict) -> None:
        if values.get("resume"):
            self.run_dir = RunDir(values["out"])
            if self.world.main and self.run_dir.config.is_file():
                self.lock = self.run_dir.lock()       # before the run's state is read
            values = self._resumed(task_class, values)
        else:
            values = absolute_paths(task_class.Config, values)   # config.json names the data from anywhere
        self.task = task_class(make_config(task_class.Config, values))
        config = self.task.config
        if self.world.size > 1 and config.nproc not in (1, self.world.size):
            raise RnnkitError(f"--nproc {config.nproc}, but {self.world.size} processes were started (by torchrun?)")
        config.nproc = self.world.size
        if self.run_dir is None and self.world.main:
            RunDir(config.out).refuse_if_held()
            RunDir(config.out).check_free(task_class.files)   # before reading any data
            self.lock = RunDir(config.out).lock()
        torch.manual_seed(config.seed)
        self.prepared = self.task.prepare(self.run_dir)
        self.description = self.prepared.description

    def release(self) -> None:
        """Let go of the run directory (``RunDir.lock``)."""
        if getattr(self, "lock", None) is not None:
            os.close(self.lock)
            self.lock = None

    __del__ = release                    # a training set up and never run holds nothing

    def _resumed(self, task_class: type[Task], given: dict) -> dict:
        run = self.run_dir
        config = run.read_config()
        checkpoint.refuse_other_world(run.checkpoints, self.world.size)
        if config["task"] != task_class.name:
            found = TASKS[config["task"]].noun if config["task"] in TASKS else config["task"]
            raise RnnkitError(f"{run.path}: holds a {found}, not a {task_class.noun}; resume it with "
                              f"`rnnkit train {config['task']} --out {run.path} --resume`")
        defaults = dataclasses.asdict(task_class.Config())
        started = {**defaults, **{k: v for k, v in config.get("args", {}).items() if k in defaults}}
        same = {k: same_path(v) for k, v in absolute_paths(task_class.Config, {**started, **given}).items()}
        was = {k: same_path(v) for k, v in absolute_paths(task_class.Config, started).items()}
        changed = [name for name in sorted(set(given) - {"out", "resume", *ANEW}) if same[name] != was.get(name)]
        if changed:
            shown = ", ".join(f"--{n.replace('_', '-')} {given[n]!r} (the run has {started.get(n)!r})"
                              for n in changed)
            raise RnnkitError(f"{run.path}: --resume continues the run with the options it was started with, but "
                              f"{shown} differ; only --epochs, --max-time and --device may change (start a new run "
                              "with another --out to change the others)")
        for name in ANEW:
            if name in given:
                started[name] = given[name]
                config.setdefault("args", {})[name] = given[name]
        if self.world.main:
            run.write_config(config)
        return {**started, "out": given["out"], "resume": True}

    def run(self) -> str:
        """Train; the closing line: why training stopped, the result, where everything is."""
        task, prepared, config = self.task, self.prepared, self.task.config
        run = self.run_dir
        if run is None and self.world.main:
            run = RunDir.create(config.out, resume=False, own_files=task.files)
            task.save(run, prepared)
            run.write_config({"task": task.name, "model": prepared.model.config, "data": prepared.data,
                              "args": dataclasses.asdict(config)})
        run = run or RunDir(config.out)   # the other ranks of a new run: they never write
        model = prepared.model.to(resolve_device(config.device))
        trainer = task_trainer(task, model, run, config.train_options(prepared.training), prepared.batches,
                               prepared.valid, resume=self.run_dir is not None, sharded=prepared.sharded)
        try:
            summary = trainer.fit()
        finally:
            distributed.leave()
            self.release()               # the run directory is free for the next process
        if not self.world.main:
            return f"rank {self.world.rank}: stopped after {summary['steps']} steps"
        result, files = task.result(run, prepared, summary)
        where = ", ".join([f"run directory {run.path}", f"loss plot {run.plots / 'loss.png'}", *files])
        nproc = f" on {self.world.size} processes" if self.world.size > 1 else ""
        return f"stopped after {summary['steps']} steps{nproc} ({summary['stopped_by']}), {result}; {where}"


def same_path(value):
    """A path option's value as the file it names (symbolic links followed), to compare two names."""
    if isinstance(value, list):
        return [same_path(v) for v in value]
    return os.path.realpath(value) if isinstance(value, str) and os.path.isabs(value) else value


def task_trainer(task: Task, model, run: RunDir, options, batches, valid, **extra) -> Trainer:
    """The generic trainer on ``task``'s loss and its validation on ``valid`` (None: none);
    ``extra``: the trainer's ``resume`` and ``sharded``."""
    trainer = Trainer(model, run, options, batches=batches,
                      step=lambda m, batch, carry: task.loss(m, batch, carry, trainer.state["step"]),
                      evaluate=(lambda: task.validate(model, valid)) if valid is not None else None,
                      unit=task.unit, show_perplexity=task.show_perplexity, select=task.select,
                      maximize=task.maximize, **extra)
    return trainer


def best_with_confusion(task: Task, run: RunDir, valid, score, labels: Callable, title: str) -> tuple[dict, Path]:
    """The metrics of the run's best weights on the validation data (``score(model, valid)`` gives
    them and a confusion matrix), and that confusion matrix drawn into ``plots/confusion.png``
    with ``labels(model)`` as its classes."""
    best = task.load(run, run.read_config(), task.config.device)
    metrics, confusion = score(best, valid)
    path = run.plots / "confusion.png"
    plot_confusion(confusion.tolist(), labels(best), path, title)
    return metrics, path


def writable_plots(run_dir) -> Path:
    """The run's plots/ folder, checked to be writable before the work whose plot goes there."""
    plots = RunDir(run_dir).plots
    check_writable_folder(plots, "the confusion matrix into the run's plots/")
    return plots


def evaluation_confusion_plot(plots: Path, test: str, confusion: torch.Tensor, labels: list[str],
                              what: str = "") -> Path:
    """The confusion matrix of ``rnnkit evaluate`` on ``test``, drawn into ``plots`` as
    ``confusion-NAME.png`` (NAME: the test file's name up to its first dot)."""
    path = plots / f"confusion-{Path(test).name.split('.')[0]}.png"
    path.parent.mkdir(exist_ok=True)
    plot_confusion(confusion.tolist(), labels, path, f"{Path(test).name} {what}".strip())
    return path


def warn_unknown(tokens: list[str], vocab, what: str) -> None:
    """One warning for the tokens of ``what`` that ``vocab`` reads as <unk>."""
    unknown = vocab.unknown(tokens)
    if unknown:
        shown = ", ".join(repr(t) for t in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        warnings.warn(f"{what} has {len(unknown)} token(s) outside the vocabulary ({shown}); they are read as <unk>")
