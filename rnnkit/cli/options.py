"""The command-line options every ``rnnkit train TASK`` shares, and the TrainOptions they make."""
from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.cells import cell_names, form_name
from rnnkit.devices import resolve_device
from rnnkit.errors import RnnkitError
from rnnkit.files import check_writable_folder
from rnnkit.training.schedule import KINDS, Schedule
from rnnkit.training.trainer import OPTIMIZERS, TrainOptions


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be zero or positive, got {text}")
    return value


def output_file(text: str) -> str:
    """A file to write: its folder must exist and be writable (checked before any work is done)."""
    folder = Path(text).parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: folder {folder} does not exist")
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: it is a folder")
    try:
        check_writable_folder(folder, text)
    except RnnkitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def device(text: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``, checked against this machine."""
    try:
        resolve_device(text)
    except RnnkitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def add_device_option(parser) -> None:
    parser.add_argument("--device", type=device, default="auto",
                        help="where the model runs: auto (the first CUDA GPU where there is one, else the CPU), "
                             "cpu, cuda or cuda:N")


def run_directory(text: str) -> str:
    """A run directory to create or continue: it, or the folder it will be made in, must be
    writable (checked before any work is done)."""
    try:
        check_writable_folder(text, f"the run directory {text}")
    except RnnkitError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def probability(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text}")
    return value


def top_p(text: str) -> float:
    """A nucleus-sampling threshold: in (0, 1]; 1 keeps every token (no filtering)."""
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {text}")
    return value


DEFAULT_EPOCHS = 10   # when neither --epochs nor --max-time is given and the task has no default of its own


def add_training_options(parser: argparse.ArgumentParser, *, lr: float, batch_size: int,
                         epochs: int | None = None, schedule: str = "cosine") -> None:
    g = parser.add_argument_group("training")
    g.add_argument("--out", required=True, type=run_directory, metavar="RUN_DIR",
                   help="run directory to create (config, best model, vocabulary, metrics, plots, checkpoints)")
    g.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its latest checkpoint with the options it was started "
                        "with; only --epochs and --max-time may be given anew (they are recorded in config.json)")
    g.add_argument("--epochs", type=positive_int, default=epochs,
                   help="passes over the training data" if epochs is not None else
                   f"passes over the training data (default: {DEFAULT_EPOCHS} unless --max-time is given)")
    g.add_argument("--max-time", type=positive_float, metavar="SECONDS",
                   help="wall-clock budget of the training loop, evaluation included, counted over the whole "
                        "run: a run resumed with --max-time 600 stops when it has trained 600 s in all")
    g.add_argument("--batch-size", type=positive_int, default=batch_size, help="sequences per batch")
    g.add_argument("--lr", type=positive_float, default=lr, help="learning rate")
    g.add_argument("--seed", type=int, default=0, help="random seed (same seed, machine and threads: same run)")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default="adamw", help="optimizer")
    g.add_argument("--weight-decay", type=non_negative_float, default=0.01, help="weight decay")
    g.add_argument("--momentum", type=non_negative_float, default=0.0, help="SGD momentum")
    g.add_argument("--clip", type=non_negative_float, default=1.0,
                   help="clip gradients to this global norm (0: no clipping)")
    g.add_argument("--schedule", choices=KINDS, default=schedule,
                   help="learning-rate schedule: cosine decays to --min-lr over the run (epochs or --max-time); "
                        "step multiplies by --lr-decay every --decay-every epochs after --decay-start; "
                        "plateau multiplies by --lr-decay after --plateau-patience evaluations without improvement")
    g.add_argument("--warmup", type=int, default=0, metavar="STEPS", help="linear warm-up steps")
    g.add_argument("--min-lr", type=non_negative_float, default=0.0, help="final rate of the cosine schedule")
    g.add_argument("--lr-decay", type=positive_float, default=0.5, help="factor of the step and plateau schedules")
    g.add_argument("--decay-start", type=int, default=0, metavar="EPOCHS", help="step schedule: epochs before decay")
    g.add_argument("--decay-every", type=positive_int, default=1, metavar="EPOCHS", help="step schedule: period")
    g.add_argument("--plateau-patience", type=positive_int, default=1, metavar="EVALS",
                   help="plateau schedule: evaluations without improvement before decaying")
    g.add_argument("--eval-every", type=positive_int, metavar="STEPS",
                   help="evaluate on the validation data every this many steps (default: after each epoch)")
    g.add_argument("--patience", type=positive_int, metavar="EVALS",
                   help="stop after this many evaluations without improvement (default: never)")
    g.add_argument("--log-every", type=positive_int, default=50, metavar="STEPS",
                   help="log the training loss every this many steps")
    add_device_option(g)
    g.add_argument("--checkpoint-every", type=positive_float, default=300.0, metavar="SECONDS",
                   help="save a resumable checkpoint this often")


def train_options(args: argparse.Namespace, **overrides) -> TrainOptions:
    if args.epochs is None and args.max_time is None:
        args.epochs = DEFAULT_EPOCHS
    schedule = Schedule(kind=args.schedule, base_lr=args.lr, min_lr=args.min_lr, warmup_steps=args.warmup,
                        gamma=args.lr_decay, every=args.decay_every, start=args.decay_start,
                        factor=args.lr_decay, patience=args.plateau_patience)
    return TrainOptions(epochs=args.epochs, max_time=args.max_time, lr=args.lr, optimizer=args.optimizer,
                        weight_decay=args.weight_decay, momentum=args.momentum, clip=args.clip,
                        schedule=schedule, eval_every=args.eval_every, patience=args.patience,
                        log_every=args.log_every, checkpoint_every=args.checkpoint_every, **overrides)


def add_recurrent_options(group, *, layers: int, hidden: int, dropout: float, dropout_help: str,
                          cells: bool = True, hidden_help: str = "units per layer (and direction)") -> None:
    """The recurrent layers' options every model shares (``cells=False``: the LSTM only)."""
    if cells:
        families = ["lstm", "gru", "rnn"]
        group.add_argument("--cell", choices=families + [n for n in cell_names() if n not in families], default="lstm",
                           help="recurrent cell: lstm, gru or rnn (with --layer-norm or --reset), or any registered "
                                "form by name (rnn_relu, lstm_ln, gru_before, or one registered with "
                                "rnnkit.cells.register_cell)")
    group.add_argument("--layers", type=positive_int, default=layers, help="stacked recurrent layers")
    group.add_argument("--hidden", type=positive_int, default=hidden, help=hidden_help)
    group.add_argument("--dropout", type=probability, default=dropout, help=dropout_help)
    group.add_argument("--recurrent-dropout", type=probability, default=0.0,
                       help="variational dropout on h_{t-1} (one mask per sequence)")
    group.add_argument("--layer-norm", action="store_true", help="LayerNorm LSTM (Ba et al. 2016)")
    if cells:
        group.add_argument("--reset", choices=("after", "before"), default="after",
                           help="GRU form: reset after (torch/cuDNN) or before (Cho et al. 2014) the product")


def recurrent_options(args: argparse.Namespace) -> dict:
    """Model keyword arguments from ``add_recurrent_options``: cell, sizes and the layer extras."""
    cell, reset = getattr(args, "cell", "lstm"), getattr(args, "reset", "after")
    if args.layer_norm and cell != "lstm":
        raise RnnkitError(f"--layer-norm is for --cell lstm, not --cell {cell}")
    if reset != "after" and cell != "gru":
        raise RnnkitError(f"--reset is for --cell gru, not --cell {cell}")
    name = form_name(cell, layer_norm=args.layer_norm or None, reset=reset if cell == "gru" else None)
    return dict(cell=name, num_layers=args.layers, hidden_size=args.hidden, dropout=args.dropout,
                recurrent_dropout=args.recurrent_dropout)
