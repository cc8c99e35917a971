"""The configuration every task shares: training (``TrainingConfig``) and the recurrent layers
(``RecurrentConfig``).  A task's configuration dataclass derives from both, adds its own options,
and changes a default with ``like(value)``."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.cells import cell_names, form_name
from rnnkit.errors import RnnkitError
from rnnkit.tasks.options import (DEVICE, device, like, non_negative_float, option, positive_float, positive_int,
                                  probability, run_directory)
from rnnkit.training.schedule import KINDS, Schedule
from rnnkit.training.trainer import OPTIMIZERS, TrainOptions

DEFAULT_EPOCHS = 10   # when neither --epochs nor --max-time is given and the task has no default of its own
ANEW = ("epochs", "max_time", "device", "tensorboard")   # the options a resumed run may be given anew
FAMILIES = ("lstm", "gru", "rnn")


def _training(default, help, **spec):
    return option(default, help, group="training", **spec)


def _model(default, help, **spec):
    return option(default, help, group="model", **spec)


def cell_choices() -> tuple[str, ...]:
    """The families, then every registered form (read when the command line is built, so cells
    registered by then are offered)."""
    return FAMILIES + tuple(n for n in cell_names() if n not in FAMILIES)


@dataclass
class RecurrentConfig:
    """The recurrent layers' options every model shares."""
    cell: str = _model("lstm", "recurrent cell: lstm, gru or rnn (with --layer-norm or --reset), or any registered "
                               "form by name (rnn_relu, lstm_ln, gru_before, or one registered with "
                               "rnnkit.cells.register_cell)", choices=cell_choices)
    layers: int = _model(1, "stacked recurrent layers", type=positive_int)
    hidden: int = _model(256, "units per layer (and direction)", type=positive_int)
    dropout: float = _model(0.0, "dropout on embeddings, between layers and before the output layer",
                            type=probability)
    recurrent_dropout: float = _model(0.0, "variational dropout on h_{t-1} (one mask per sequence)", type=probability)
    layer_norm: bool = _model(False, "LayerNorm LSTM (Ba et al. 2016)")
    reset: str = _model("after", "GRU form: reset after (torch/cuDNN) or before (Cho et al. 2014) the product",
                        choices=("after", "before"))

    def recurrent_options(self) -> dict:
        """Model keyword arguments: the cell's registry name, sizes and the layer extras."""
        if self.layer_norm and self.cell != "lstm":
            raise RnnkitError(f"--layer-norm is for --cell lstm, not --cell {self.cell}")
        if self.reset != "after" and self.cell != "gru":
            raise RnnkitError(f"--reset is for --cell gru, not --cell {self.cell}")
        name = form_name(self.cell, layer_norm=self.layer_norm or None,
                         reset=self.reset if self.cell == "gru" else None)
        return dict(cell=name, num_layers=self.layers, hidden_size=self.hidden, dropout=self.dropout,
                    recurrent_dropout=self.recurrent_dropout)


def own_epochs(default: int):
    """``--epochs`` with a task's own default."""
    return like(default, help="passes over the training data")


@dataclass
class TrainingConfig:
    """The options of ``rnnkit train TASK`` that every task shares."""
    out: str = _training(None, "run directory to create (config, best model, vocabulary, metrics, plots, checkpoints)",
                         required=True, type=run_directory, metavar="RUN_DIR")
    resume: bool = _training(False, "continue the run in --out from its latest checkpoint with the options it was "
                                    "started with; only --epochs, --max-time and --device may be given anew (they "
                                    "are recorded in config.json)")
    epochs: int | None = _training(None, f"passes over the training data (default: {DEFAULT_EPOCHS} unless "
                                         "--max-time is given)", type=positive_int)
    max_time: float | None = _training(None, "wall-clock budget of the training loop, evaluation included, counted "
                                             "over the whole run: a run resumed with --max-time 600 stops when it "
                                             "has trained 600 s in all", type=positive_float, metavar="SECONDS")
    batch_size: int = _training(32, "sequences per batch", type=positive_int)
    lr: float = _training(2e-3, "learning rate", type=positive_float)
    seed: int = _training(0, "random seed (same seed, machine and threads: same run)", type=int)
    optimizer: str = _training("adamw", "optimizer", choices=OPTIMIZERS)
    weight_decay: float = _training(0.01, "weight decay", type=non_negative_float)
    momentum: float = _training(0.0, "SGD momentum", type=non_negative_float)
    clip: float = _training(1.0, "clip gradients to this global norm (0: no clipping)", type=non_negative_float)
    schedule: str = _training("cosine", "learning-rate schedule: cosine decays to --min-lr over the run (epochs or "
                                        "--max-time); step multiplies by --lr-decay every --decay-every epochs after "
                                        "--decay-start; plateau multiplies by --lr-decay after --plateau-patience "
                                        "evaluations without improvement", choices=KINDS)
    warmup: int = _training(0, "linear warm-up steps", type=int, metavar="STEPS")
    min_lr: float = _training(0.0, "final rate of the cosine schedule", type=non_negative_float)
    lr_decay: float = _training(0.5, "factor of the step and plateau schedules", type=positive_float)
    decay_start: int = _training(0, "step schedule: epochs before decay", type=int, metavar="EPOCHS")
    decay_every: int = _training(1, "step schedule: period", type=positive_int, metavar="EPOCHS")
    plateau_patience: int = _training(1, "plateau schedule: evaluations without improvement before decaying",
                                      type=positive_int, metavar="EVALS")
    eval_every: int | None = _training(None, "evaluate on the validation data every this many steps (default: "
                                             "after each epoch)", type=positive_int, metavar="STEPS")
    patience: int | None = _training(None, "stop after this many evaluations without improvement (default: never)",
                                     type=positive_int, metavar="EVALS")
    log_every: int = _training(50, "log the training loss every this many steps", type=positive_int, metavar="STEPS")
    device: str = _training("auto", DEVICE.help, type=device)
    nproc: int = _training(1, "train with N processes on this machine (data parallel on torch.distributed: gloo on "
                              "CPUs, NCCL on GPUs, one torch thread each unless OMP_NUM_THREADS is set); each reads "
                              "--batch-size, so a step reads N batches. Several machines: start rnnkit with torchrun "
                              "instead (see the README)", type=positive_int, metavar="N")
    tensorboard: str | None = _training(None, "also write the training curves (loss, learning rate, speed, every "
                                              "validation metric) for TensorBoard into DIR (pip install "
                                              "'rnnkit[tensorboard]')", metavar="DIR")
    checkpoint_every: float = _training(300.0, "save a resumable checkpoint this often", type=positive_float,
                                        metavar="SECONDS")

    def train_options(self, from_data: dict | None = None) -> TrainOptions:
        """The trainer's options; ``from_data``: the task's values for ``epochs``, ``eval_every``
        and ``patience`` where the user gave none, ``max_steps`` unless the user gave epochs, and
        ``max_time``, a part of the user's (a run that trains several models shares it out)."""
        def pick(name):
            given = getattr(self, name)
            return given if given is not None else (from_data or {}).get(name)

        epochs = pick("epochs")
        epochs = DEFAULT_EPOCHS if epochs is None and self.max_time is None else epochs
        schedule = Schedule(kind=self.schedule, base_lr=self.lr, min_lr=self.min_lr, warmup_steps=self.warmup,
                            gamma=self.lr_decay, every=self.decay_every, start=self.decay_start,
                            factor=self.lr_decay, patience=self.plateau_patience)
        max_steps = (from_data or {}).get("max_steps") if self.epochs is None else None
        max_time = min((t for t in (self.max_time, (from_data or {}).get("max_time")) if t is not None), default=None)
        return TrainOptions(epochs=epochs, max_steps=max_steps, max_time=max_time, lr=self.lr, optimizer=self.optimizer,
                            weight_decay=self.weight_decay, momentum=self.momentum, clip=self.clip,
                            schedule=schedule, eval_every=pick("eval_every"), patience=pick("patience"),
                            log_every=self.log_every, checkpoint_every=self.checkpoint_every,
                            tensorboard=self.tensorboard)


__all__ = ["ANEW", "DEFAULT_EPOCHS", "RecurrentConfig", "TrainingConfig", "cell_choices", "like"]
