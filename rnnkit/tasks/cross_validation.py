"""How long to train, by k-fold cross-validation, where the training set is too small to hold a
part of it out.

With very few cases per class (UCR's PigCVP: 2 of each of 52 classes) a hold-out either takes a
class out of training or validates on a handful of cases.  Instead the cases are dealt into k
stratified folds (``rnnkit.data.stratified_folds``); k times a model built from the same options
trains on all folds but one and is validated on that one, a hundred times over its run; the
validation with the best score averaged over the folds (ties: the lower mean loss) says how many
passes over the data to make, and the run then trains on every case for that many passes, with
nothing held out (Hastie, Tibshirani and Friedman, *The Elements of Statistical Learning*, 7.10).
"""
from __future__ import annotations

import math
import statistics
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from rnnkit.data import stratified_folds
from rnnkit.tasks.base import task_trainer
from rnnkit.training import RunDir, TrainingInterrupted

FEW_PER_CLASS = 5   # a typical class with fewer training cases is cross-validated, not held out from
MAX_FOLDS = 4       # folds at most: the typical class's count, so that each fold validates on one of it


def folds_for(labels: Sequence) -> int | None:
    """The number of folds for a training set of ``labels``, or None: where a hold-out will do (the
    median class has ``FEW_PER_CLASS`` cases or more), and where nothing can be held out (one)."""
    typical = statistics.median_low([list(labels).count(x) for x in set(labels)])
    return None if typical >= FEW_PER_CLASS or typical < 2 else min(MAX_FOLDS, typical)


def cross_validate(task, examples: list, labels: Sequence, folds: int, seed: int,
                   build: Callable[[list], tuple[object, Callable, dict]], max_time: float | None = None) -> dict:
    """The passes over the data that score best on validation, averaged over ``folds`` folds of
    ``examples`` (stratified by ``labels``).  ``build(examples)`` gives a new model, its batches
    of each epoch and its training length (``epochs``, ``eval_every``); ``task`` its loss and
    validation; each fold trains for at most ``max_time`` seconds.  The result, for config.json:
    ``folds``, ``passes`` (chosen), and per validation the mean ``score``, ``loss`` and passes."""
    fold_of = stratified_folds(list(labels), folds, seed)
    curves = []
    with tempfile.TemporaryDirectory(prefix="rnnkit-folds-") as folder:
        for k in range(folds):
            train = [e for e, f in zip(examples, fold_of) if f != k]
            valid = [e for e, f in zip(examples, fold_of) if f == k]
            curves.append(_fold_curve(task, Path(folder) / f"fold-{k + 1}", train, valid, build, max_time))
    shortest = min(len(curve) for curve in curves)
    mean = [{key: round(sum(curve[i][key] for curve in curves) / folds, 6) for key in ("passes", "score", "loss")}
            for i in range(shortest)]
    sign = 1.0 if task.maximize else -1.0
    best = max(range(shortest), key=lambda i: (sign * mean[i]["score"], -mean[i]["loss"], -i))
    return {"folds": folds, "select": task.select, "passes": mean[best]["passes"], "curve": mean}


def refit_training(cross_validation: dict, batches_per_epoch: int) -> dict:
    """The training length of the run on every case: the chosen passes, in steps."""
    steps = max(1, round(cross_validation["passes"] * batches_per_epoch))
    return {"epochs": math.ceil(steps / batches_per_epoch), "max_steps": steps}


def _fold_curve(task, folder: Path, train: list, valid: list, build, max_time: float | None) -> list[dict]:
    """Train on ``train``, validating on ``valid`` at every ``eval_every`` steps and never stopping
    early; per validation the passes made, the score and the loss."""
    model, batches, training = build(train)
    run = RunDir.create(folder, resume=False)
    run.write_config({"task": task.name})
    options = task.config.train_options({**training, "max_time": max_time})
    options.patience, options.log_every = None, 10 ** 9
    trainer = task_trainer(task, model, run, options, batches, valid)
    try:
        trainer.fit()
    except TrainingInterrupted:
        raise TrainingInterrupted("interrupted in the cross-validation that chooses how long to train, before the "
                                  "run began: there is nothing to resume; start it again") from None
    per_epoch = len(batches(0))
    return [{"passes": r["step"] / per_epoch, "score": r[f"valid_{task.select}"], "loss": r["valid_loss"]}
            for r in run.read_metrics() if f"valid_{task.select}" in r and r["step"] % options.eval_every == 0]
