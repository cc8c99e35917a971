"""The long-range problems as a task: train a recurrent network on the adding problem, the copy
problem or digits read row by row or pixel by pixel (``rnnkit.analysis.longrange``), and test it.

Generated problems draw new training sequences every epoch (from ``--seed`` and the epoch) and
keep fixed validation (1,000) and test (``--test-size``) sets whatever the seed, so that runs
with other cells, lengths and seeds are scored on the same sequences.  The digits are split
80/10/10 into train / valid / test with seed 0.
"""
from __future__ import annotations

import dataclasses
import logging
import tempfile
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from rnnkit.analysis.longrange import PROBLEMS, RECALL, SYMBOLS, digit_sequences, generate
from rnnkit.data import read_idx, split_indices
from rnnkit.devices import device_of
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models.modes import evaluating
from rnnkit.models.readout import SequenceReadout
from rnnkit.tasks.base import Output, Prepared, Task, Training, Verb, get_task, load, parameters
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig, cell_choices
from rnnkit.tasks.options import Option, like, option, options_of, positive_int
from rnnkit.tasks.trained import Trained

TEST_SEED, VALID_SEED = 1 << 40, (1 << 40) + 1   # fixed sets, whatever --seed
VALID_SIZE = 1000
EPOCHS = 20   # without --epochs and --max-time
DESCRIPTION = ("Train a recurrent network on a problem whose answer depends on inputs far back: the adding "
               "problem, the copy problem (both generated at any --length), or digits read row by row or "
               "pixel by pixel (--images, --labels: IDX files). `rnnkit longrange PROBLEM ...` trains and "
               "tests in one go.")

log = logging.getLogger(__name__)


@dataclass
class LongRangeConfig(RecurrentConfig, TrainingConfig):
    problem: str = option("adding", "adding: the sum of the two marked values; copy: recall 10 symbols after a "
                                    "delay; digits-rows / digits-pixels: the class of an image read row by row or "
                                    "pixel by pixel", choices=PROBLEMS, group="data")
    length: int | None = option(None, "steps of each sequence of a generated problem (adding: 2 or more; copy: 21 "
                                      "or more, 10 symbols, the delay, the delimiter, 10 to recall); the digits' "
                                      "length is the image's", type=positive_int, metavar="T", group="data")
    images: str | None = option(None, "digits: an IDX file of images [N, height, width] (.gz accepted)",
                                metavar="FILE", group="data")
    labels: str | None = option(None, "digits: an IDX file of their N labels", metavar="FILE", group="data")
    epoch_size: int = option(10_000, "generated problems: new training sequences each epoch", type=positive_int,
                             metavar="N", group="data")
    test_size: int = option(10_000, "generated problems: test sequences (a fixed set, whatever --seed)",
                            type=positive_int, metavar="N", group="data")
    cell: str = like("lstm", choices=lambda: (*cell_choices(), "irnn"),
                     help="recurrent cell: lstm (forget-gate bias 1), gru, rnn (tanh; --cell rnn_relu for ReLU), irnn "
                          "(ReLU with identity recurrent weights, Le et al. 2015), or any registered form by name")
    chrono: bool = option(False, "LSTM: chrono initialisation (Tallec & Ollivier 2018): each unit's forget-gate bias "
                                 "log(u), u uniform in [1, T - 1] for sequences of T steps, and its input-gate bias "
                                 "-log(u), so that the memory starts with time scales up to the sequence's length",
                          group="model")
    hidden: int = like(128)
    batch_size: int = like(50)
    lr: float = like(1e-3)
    schedule: str = like("constant", help="learning-rate schedule (default constant: these problems sit on a "
                                          "plateau before they are solved, and a decaying rate may end before it): "
                                          "cosine, step, plateau or constant")
    epochs: int | None = like(None, help=f"passes over the training data (a generated problem's epoch: --epoch-size "
                                         f"new sequences; default: {EPOCHS} unless --max-time is given)")

    def train_options(self, from_data: dict | None = None):
        if self.epochs is None and self.max_time is None:
            return dataclasses.replace(self, epochs=EPOCHS).train_options(from_data)
        return super().train_options(from_data)

    def recurrent_options(self) -> dict:
        if self.chrono and self.cell != "lstm":
            raise RnnkitError(f"--chrono sets an LSTM's gate biases; it is not for --cell {self.cell}")
        if self.cell != "irnn":
            return super().recurrent_options()
        if self.layer_norm or self.reset != "after":
            raise RnnkitError("--cell irnn takes neither --layer-norm nor --reset")
        return dict(cell="irnn", num_layers=self.layers, hidden_size=self.hidden, dropout=self.dropout,
                    recurrent_dropout=self.recurrent_dropout)


class Generated:
    """An epoch of a generated problem: batch k made from the seed of (run seed, epoch, k)."""

    def __init__(self, problem: str, length: int, size: int, batch: int, seed: int):
        self.problem, self.length, self.size, self.batch, self.seed = problem, length, size, batch, seed

    def __len__(self) -> int:
        return -(-self.size // self.batch)

    def __getitem__(self, k: int):
        if not 0 <= k < len(self):
            raise IndexError(k)
        n = min(self.batch, self.size - k * self.batch)
        return generate(self.problem, n, self.length, self.seed * 1_000_003 + k)


def read_digits(images: str | None, labels: str | None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Images ``uint8 [N, H, W]``, label ids ``[N]`` and the label names, checked."""
    if not (images and labels):
        raise RnnkitError("the digits problems need --images FILE and --labels FILE (IDX, as MNIST's)")
    pixels, classes = read_idx(images), read_idx(labels)
    if pixels.ndim != 3:
        raise DataError(f"{images}: expected images [N, height, width], found an array of shape {list(pixels.shape)}")
    if classes.ndim != 1 or len(classes) != len(pixels):
        raise DataError(f"{labels}: expected {len(pixels)} labels (one per image of {images}), found an array of "
                        f"shape {list(classes.shape)}")
    names = sorted(set(classes.tolist()))
    index = {c: k for k, c in enumerate(names)}
    return (torch.from_numpy(pixels.astype("uint8")), torch.tensor([index[c] for c in classes.tolist()]),
            [str(c) for c in names])


def digit_parts(c) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], list[str]]:
    """The train / valid / test digits (80/10/10, seed 0) as ``(sequences [T, N, F], label ids [N])``."""
    images, ids, names = read_digits(c.images, c.labels)
    pixels = c.problem == "digits-pixels"
    parts = {part: (digit_sequences(images[torch.from_numpy(k)], pixels), ids[torch.from_numpy(k)])
             for part, k in zip(("train", "valid", "test"), split_indices(len(ids), (0.8, 0.1, 0.1), seed=0))}
    return parts, names


def train_and_test(args) -> Output:
    """``rnnkit longrange PROBLEM``: a run trained on the problem (in a temporary run directory
    without --out), then its test line."""
    task = get_task("longrange")
    given = {k: v for k, v in vars(args).items() if k not in ("command", "run", "argv")}
    if given.get("resume") and not given.get("out"):
        raise RnnkitError("--resume needs --out RUN_DIR, the run to continue")
    notes = []
    with tempfile.TemporaryDirectory(prefix="rnnkit-longrange-") as scratch:
        given.setdefault("out", f"{scratch}/run")
        training = Training(task, given)
        log.info(training.description)
        log.info(training.run())
        if given["out"].startswith(scratch):
            notes.append("(the run directory was temporary: give --out RUN_DIR to keep it)")
        metrics, _ = task.evaluate(load(given["out"], given.get("device", "auto")), args)
    return Output(task.format_metrics(metrics) + "\n", notes)


TRAIN_AND_TEST = Verb(
    "longrange", "train and test a recurrent network on a long-range problem",
    DESCRIPTION + " The last line on stdout is `test mse X` (adding) or `test accuracy X` (the others). Without "
                  "--out the run directory is temporary.",
    (Option(f"one of {', '.join(PROBLEMS)}", flags=("problem",), dest="problem", choices=PROBLEMS, metavar="PROBLEM"),
     *(dataclasses.replace(o, required=False) if o.dest == "out" else o   # several processes: `rnnkit train
       for o in options_of(LongRangeConfig) if o.dest not in ("problem", "nproc"))),   # longrange --nproc`
    train_and_test, given_only=True)


class TrainedReadout(Trained, SequenceReadout):
    """A network trained on a long-range problem; ``evaluate()`` scores it on the problem's test set."""

    def predict(self, inputs, **options):
        """The answers to the sequences ``inputs`` (an array ``[cases, steps, inputs]``, laid out as the
        problem's own): numbers for the adding problem, the class of each answer otherwise (digits:
        their labels); ``[cases]`` where the problem answers once, ``[cases, K]`` for K answers."""
        if options:
            raise RnnkitError(f"predict: a {self.task.noun} takes no options, got {', '.join(map(repr, options))}")
        x = torch.as_tensor(np.asarray(inputs, dtype=np.float64))
        inputs_size = self.config["inputs"]
        if x.dim() != 3 or x.shape[-1] != inputs_size or 0 in x.shape:
            raise RnnkitError(f"inputs: expected an array [cases, steps, {inputs_size}], got shape {list(x.shape)}")
        with evaluating(self), torch.no_grad():
            out = self(x.transpose(0, 1).to(self.head.weight)).transpose(0, 1).double().cpu()   # [cases, K, outputs]
        if out.shape[-1] == 1:
            answers = out[..., 0].numpy()
        else:
            ids = out.argmax(-1)
            names = self.run_config["data"].get("labels")
            answers = np.array([[names[int(k)] for k in row] for row in ids]) if names else ids.numpy()
        return answers[:, 0] if self.answers == 1 else answers


class LongRangeTask(Task):
    name, noun = "longrange", "long-range model"
    help = "train a recurrent network on a long-range problem (adding, copy, digits by rows or pixels)"
    description = DESCRIPTION
    Config, model_class = LongRangeConfig, TrainedReadout
    verbs = (TRAIN_AND_TEST,)
    unit, select = "answer", "loss"
    evaluate_help = "a long-range model gives its test MSE (adding) or accuracy (the others) on its fixed test set"

    def prepare(self, run) -> Prepared:
        c = self.config
        options = c.recurrent_options()
        if c.problem in ("adding", "copy"):
            if c.images or c.labels:
                raise RnnkitError(f"--images and --labels are the digits problems' data; the {c.problem} problem "
                                  "makes its own")
            if c.length is None:
                raise RnnkitError(f"give --length T: the steps of each {c.problem} sequence")
            try:
                generate(c.problem, 1, c.length, 0)   # the length is checked before training
            except ValueError as e:
                raise RnnkitError(f"--length {c.length}: {e}") from None
            outputs, answers = (1, 1) if c.problem == "adding" else (SYMBOLS + 2, RECALL)
            model = SequenceReadout(2 if c.problem == "adding" else SYMBOLS + 2, outputs, answers,
                                    chrono=c.length if c.chrono else None, **options)

            def batches(epoch):
                return Generated(c.problem, c.length, c.epoch_size, c.batch_size, c.seed * 1_000_003 + epoch)

            valid = [generate(c.problem, VALID_SIZE, c.length, VALID_SEED)]
            data, what = {"length": c.length}, f"{c.epoch_size:,} new sequences an epoch of {c.length} steps"
        else:
            parts, names = digit_parts(c)
            (x, y), (vx, vy) = parts["train"], parts["valid"]
            model = SequenceReadout(x.shape[-1], len(names), 1, chrono=len(x) if c.chrono else None, **options)

            def batches(epoch):
                order = torch.randperm(len(y), generator=torch.Generator().manual_seed(c.seed * 1_000_003 + epoch))
                return [(x[:, k], y[k]) for k in order.split(c.batch_size)]

            valid = [(vx[:, k], vy[k]) for k in torch.arange(len(vy)).split(250)]
            data, what = {"labels": names}, f"{len(y):,} training digits of {x.shape[0]} steps of {x.shape[-1]}"
        description = (f"{options['cell'].upper()} on {c.problem}: {parameters(model)}, "
                       f"{what}")
        return Prepared(model, batches, valid, data, description)

    def loss(self, model, batch, carry, step):
        x, target = batch
        return (*answer_loss(model(x), target), None)

    def validate(self, model, valid) -> dict:
        return score(model, valid)

    @classmethod
    def evaluate(cls, model, args):
        config = model.run_config["args"]
        c = LongRangeConfig(**{k: v for k, v in config.items() if k in LongRangeConfig.__dataclass_fields__})
        if c.problem in ("adding", "copy"):
            x, y = generate(c.problem, c.test_size, c.length, TEST_SEED)
            test = [(x[:, k], y[..., k]) for k in torch.arange(c.test_size).split(500)]
        else:
            parts, _ = digit_parts(c)
            x, y = parts["test"]
            test = [(x[:, k], y[k]) for k in torch.arange(len(y)).split(250)]
        return {"problem": c.problem, **score(model, test)}, []

    @classmethod
    def example_inputs(cls, model, length, batch, seed):
        problem = model.run_config["args"]["problem"]
        return generate(problem, batch, length, seed)[0] if problem in ("adding", "copy") else None

    @staticmethod
    def format_metrics(metrics: dict) -> str:
        if "mse" in metrics:
            return f"test mse {metrics['mse']:.4g}"
        return f"test accuracy {metrics['accuracy']:.4f}"


def answer_loss(out: torch.Tensor, target: torch.Tensor):
    """``(summed loss, answers)`` of the answers ``out [K, B, outputs]``: squared error for a number,
    cross-entropy for classes (``target [B]``, or ``[K, B]`` for K answers)."""
    target = target.to(out.device)
    if out.shape[-1] == 1:
        return (out[-1, :, 0] - target).pow(2).sum(), len(target)
    target = target.view(out.shape[0], -1)
    return F.cross_entropy(out.flatten(0, 1), target.flatten(), reduction="sum"), target.numel()


def score(model: SequenceReadout, batches) -> dict:
    """``loss`` per answer, and ``mse`` (a number) or ``accuracy`` (classes) over ``batches``."""
    total, count, correct = 0.0, 0, 0
    with evaluating(model):
        for x, target in batches:
            out = model(x.to(device_of(model)))
            loss, n = answer_loss(out, target)
            total, count = total + float(loss), count + n
            if out.shape[-1] > 1:
                correct += int((out.argmax(-1) == target.to(out.device).view(out.shape[0], -1)).sum())
    if model.head.out_features == 1:
        return {"loss": total / count, "mse": total / count}
    return {"loss": total / count, "accuracy": correct / count}
