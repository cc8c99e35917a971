"""A trained model as Python uses it (what ``rnnkit.load`` and ``rnnkit.train`` return):
``predict`` on inputs held in memory, ``evaluate`` on test data in memory or in files (the metrics
``rnnkit evaluate --json`` prints, through the same code), and ``save`` (the run directory,
copied).  Each application's model class mixes ``Trained`` in over its network
(``class TrainedClassifier(Trained, SequenceClassifier)``) and defines ``predict``; ``rnnkit evaluate``
runs ``evaluate_run``.
"""
from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from argparse import Namespace
from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Task, get_task
from rnnkit.tasks.options import checked_value, closest

log = logging.getLogger(__name__)


class Trained:
    """What every trained model offers from Python.  ``run_config`` (the run's config.json) and
    ``run_dir`` (where it was loaded from) are set by ``rnnkit.load``."""
    run_config: dict
    run_dir: Path

    @property
    def task(self) -> type[Task]:
        return get_task(self.run_config["task"])

    def predict(self, inputs, **options):
        """The model's output for ``inputs`` in memory; each application's class says which."""
        raise NotImplementedError(f"a {self.task.noun} has no predict from Python yet")

    def settings(self, given: dict, verb, names: tuple[str, ...]) -> Namespace:
        """``predict``'s keyword arguments: the options ``names`` of the command line's ``verb``
        (``rnnkit classify``'s ``batch_size``), checked as it checks them, with its defaults."""
        known = {o.dest: o for o in verb.options if o.dest in names}
        for name in given:
            if name not in known:
                raise RnnkitError(f"predict: a {self.task.noun} takes no option {name!r} (it takes "
                                  f"{', '.join(map(repr, names))}: those of `rnnkit {verb.name}`, in snake_case)")
        return Namespace(**{name: opt.default if given.get(name) is None else checked_value(opt, given[name])
                            for name, opt in known.items()})

    def evaluate(self, data=None, **options) -> dict:
        """The metrics of test data, as ``rnnkit evaluate RUN_DIR --json`` prints them (a figure
        that is not finite is None): ``data`` in memory, in the forms ``rnnkit.train`` takes for this
        application, or files and settings given as the options of ``rnnkit evaluate`` in
        snake_case (``test="test.tsv"``)."""
        task = self.task
        known = {o.dest: o for o in task.evaluate_options}
        values = {}
        for name, value in options.items():
            if name not in known:
                raise RnnkitError(f"evaluate: a {task.noun} takes no option {name!r} (it takes "
                                  f"{', '.join(map(repr, closest(known, name)))}: the options of `rnnkit evaluate` "
                                  "for it, in snake_case)")
            values[name] = value if value is None else checked_value(known[name], value)
        with tempfile.TemporaryDirectory(prefix="rnnkit-test-") as folder:
            if data is not None:
                written = task.test_files(self, data, Path(folder))
                both = sorted(k for k in written if values.get(k) is not None)
                if both:
                    raise RnnkitError(f"{', '.join(both)}: given both as an option and through data= (which writes "
                                      "it); give one")
                values.update(written)
            metrics, notes = evaluate_run(self, values)
        for note in notes:
            log.info(note)
        return json_ready(metrics)

    def save(self, path) -> Path:
        """Copy the run directory into the new folder ``path`` (a run trained with ``out=None``
        lives in a temporary folder that goes with the model); ``rnnkit.load(path)`` opens it."""
        path = Path(path)
        if path.exists():
            raise RnnkitError(f"{path}: exists already; save writes a new folder (give another path, or remove it)")
        if path.parent.exists() and not path.parent.is_dir():
            raise RnnkitError(f"{path.parent}: is not a folder to save into")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
        try:
            shutil.copytree(self.run_dir, partial, dirs_exist_ok=True)
            os.replace(partial, path)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return path


def evaluate_run(model, values: dict) -> tuple[dict, list[str]]:
    """The metrics of the test data named by ``values`` (the task's ``evaluate_options`` by dest,
    and any reading options the data written from Python needs)
    and the notes (plots written)."""
    task = get_task(model.run_config["task"])
    needed = [o for o in task.evaluate_options if o.required]
    if any(values.get(o.dest) is None for o in needed):
        raise RnnkitError(f"{model.run_dir}: evaluating a {task.noun} needs "
                          + " and ".join(f"{o.flags[0]} {o.metavar}" for o in needed))
    args = Namespace(run_dir=str(model.run_dir), **{o.dest: o.default for o in task.evaluate_options})
    for name, value in values.items():
        setattr(args, name, value)
    return task.evaluate(model, args)


def json_ready(metrics: dict) -> dict:
    """``metrics`` as ``rnnkit evaluate --json`` prints them: a figure that is not finite is None."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in metrics.items()}
