"""An application written from outside rnnkit: many-to-one regression over sequences of vectors.

Each example is a sequence of vectors and one real number, here the sum of all the values.
A file holds one example per line: the steps separated by spaces, each step's features by
commas, then a tab and the target, e.g. ``0.5,-1.0 0.25,2.0<TAB>1.75``.

This module is the walk-through of ``docs/adding-an-application.md``: a model (the structure
is new: nothing in rnnkit.models reads vectors and predicts one number), a configuration, a
task, and ``rnnkit.tasks.register(SumTask)`` in the test that uses it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.data import SentenceBatches, pad_batch, read_text
from rnnkit.devices import device_of, to_device
from rnnkit.errors import DataError
from rnnkit.layers import RealHead, Recurrent, VectorInput
from rnnkit.models.classifier import final_states
from rnnkit.models.modes import evaluating
from rnnkit.tasks import Option, Output, Prepared, RecurrentConfig, Task, TrainingConfig, Verb, like, load, option
from rnnkit.tasks.options import DEVICE, run_dir_argument, test_data


class SequenceRegressor(nn.Module):
    """``y = w . h_T + b``, where ``h_T`` is the last state of a recurrent layer reading ``x_t W + c``."""

    def __init__(self, features: int, hidden_size: int = 32, num_layers: int = 1, cell: str = "gru",
                 dropout: float = 0.0, **rnn_options):
        super().__init__()
        cell, rnn_options = resolve(cell, rnn_options)
        self.config = dict(features=features, hidden_size=hidden_size, num_layers=num_layers, cell=cell,
                           dropout=dropout, **rnn_options)
        self.input = VectorInput(features, hidden_size, dropout)
        self.rnn = Recurrent(cell, hidden_size, hidden_size, num_layers, **rnn_options)
        self.head = RealHead(hidden_size, 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``x [T, B, F]``, ``lengths [B]`` -> predictions ``[B]``."""
        _, h_n = self.rnn(self.input(x), lengths=lengths)
        return self.head(final_states(h_n, 1))[:, 0]

    def loss(self, x, lengths, y):
        """Summed squared error and the number of examples."""
        return RealHead.squared_error(self(x, lengths), y)


def read_examples(path: str) -> list[tuple[torch.Tensor, float]]:
    """(steps ``[T, F]``, target) per line of ``path``; errors name the file and line."""
    examples = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            steps, target = line.split("\t")
            x = torch.tensor([[float(v) for v in step.split(",")] for step in steps.split()])
            examples.append((x, float(target)))
        except ValueError:
            raise DataError(f"{path}, line {number}: expected steps of comma-separated numbers, a tab and the "
                            f"target, found {line[:40]!r}") from None
        if x.shape[-1] != examples[0][0].shape[-1]:
            raise DataError(f"{path}, line {number}: {x.shape[-1]} features per step, the first line has "
                            f"{examples[0][0].shape[-1]}")
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def collate(examples):
    x, lengths = pad_batch([x for x, _ in examples])
    return x, lengths, torch.tensor([y for _, y in examples])


def predictions(model, examples) -> torch.Tensor:
    batches = SentenceBatches(examples, [len(x) for x, _ in examples], 64, collate, shuffle=False).epoch()
    out = torch.empty(len(examples))
    with evaluating(model), torch.no_grad():
        for k, (x, lengths, _) in enumerate(batches):
            out[batches.order[k]] = model(*to_device((x, lengths), device_of(model))).cpu()
    return out


def squared_error(model, examples) -> float:
    return float(((predictions(model, examples) - torch.tensor([y for _, y in examples])) ** 2).mean())


@dataclass
class SumConfig(RecurrentConfig, TrainingConfig):
    train: str = option(None, "training examples", required=True, metavar="FILE", group="data")
    valid: str | None = option(None, "validation examples", metavar="FILE", group="data")
    cell: str = like("gru")
    hidden: int = like(32)
    batch_size: int = like(16)


def _predict(args) -> Output:
    model = load(args.run_dir, args.device, task="sum")
    return Output("".join(f"{y:.4f}\n" for y in predictions(model, read_examples(args.input)).tolist()))


PREDICT = Verb("sum", "predict the target of each example", "Print one prediction per example.",
               (run_dir_argument("sum"), Option("examples", flags=("input",), dest="input", metavar="FILE"), DEVICE),
               _predict)


class SumTask(Task):
    name, noun = "sum", "sequence regressor"
    help = "train a many-to-one regressor over sequences of vectors"
    description = "Learn one real number per sequence of vectors (here: the sum of their values)."
    Config, model_class = SumConfig, SequenceRegressor
    unit = "example"
    evaluate_options = (test_data("examples, one per line"),)
    evaluate_help = "a sequence regressor gives its mean squared error (--test)"
    verbs = (PREDICT,)

    def prepare(self, run) -> Prepared:
        c = self.config
        train = read_examples(c.train)
        valid = read_examples(c.valid) if c.valid else None
        model = SequenceRegressor(train[0][0].shape[-1], **c.recurrent_options())
        batches = SentenceBatches(train, [len(x) for x, _ in train], c.batch_size, collate, seed=c.seed)
        return Prepared(model, batches.epoch, valid, {}, f"sequence regressor, {len(train)} training examples")

    def loss(self, model, batch, carry, step):
        return (*model.loss(*batch), None)

    def validate(self, model, valid) -> dict:
        return {"loss": squared_error(model, valid)}

    @classmethod
    def evaluate(cls, model, args):
        return {"mse": squared_error(model, read_examples(args.test))}, []

    @staticmethod
    def format_metrics(metrics: dict) -> str:
        return f"mse {metrics['mse']:.4f}"
