"""How long a default run trains, from the size of its training set.

A run the user gives no ``--epochs`` reads a fixed number of training examples in all (its
budget), so that a small set is read many times and a large one about once, and the run takes
about the same time whatever the data; the count of examples alone decides, never the speed of
the machine, so the same seed gives the same run.  It validates ``evaluations`` times over the
run and stops after a quarter of them without improvement (early stopping: the best weights on
validation are the model).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

FRAMES_READ = 600_000   # frames of clips a default run reads (37,500 clips of 16 frames)


@dataclass(frozen=True)
class Budget:
    """``read`` examples in all, in whole epochs (at most ``max_epochs``, and at least ``min_steps``
    optimizer steps, so that a small set still trains); where one epoch holds more than ``read``
    and ``partial_epoch``, part of the first (``max_steps``)."""
    read: float
    max_epochs: int
    min_steps: int = 0
    partial_epoch: bool = False
    evaluations: int = 100

    def length(self, examples: int, c) -> dict:
        """The training length of ``examples`` at ``c.batch_size`` where ``c`` (a configuration) leaves
        ``epochs``, ``eval_every`` and ``patience`` open: ``epochs``, ``max_steps`` (None but for
        part of an epoch), ``eval_every`` (steps) and ``patience`` (validations)."""
        per_epoch = math.ceil(examples / c.batch_size)
        epochs = c.epochs or max(1, min(self.max_epochs, max(math.ceil(self.min_steps / per_epoch),
                                                             round(self.read / examples))))
        max_steps = (math.ceil(self.read / c.batch_size)
                     if self.partial_epoch and not c.epochs and examples > self.read else None)
        steps = min(epochs * per_epoch, max_steps or math.inf)
        return {"epochs": epochs, "max_steps": max_steps,
                "eval_every": c.eval_every or max(1, steps // self.evaluations),
                "patience": c.patience or self.evaluations // 4}


def batch_for(examples: int, most: int) -> int:
    """The default batch: about an eighth of the ``examples``, so that a small set still takes
    several steps an epoch; at least 4 and at most ``most``."""
    return max(4, min(most, examples // 8))


def reading(training: dict) -> str:
    """What ``Budget.length`` resolved to, in words."""
    if training.get("max_steps"):
        return f"{training['max_steps']:,} steps (part of one epoch)"
    return f"{training['epochs']} epoch(s)"


def clips_budget(frames: int) -> Budget:
    """The budget of a run on clips of ``frames`` frames (the typical clip's): ``FRAMES_READ`` frames,
    so that longer clips are read fewer times; 40 validations, as each reads every validation clip."""
    return Budget(FRAMES_READ / frames, max_epochs=300, min_steps=600, evaluations=40)
