"""What the data-parallel tests run in each process (importable, for torch.multiprocessing)."""
import os

import torch

from rnnkit.data import StreamBatches, pad_batch
from rnnkit.models import LanguageModel, SequenceClassifier
from rnnkit.training import RunDir, Trainer, TrainOptions, distributed
from rnnkit.training.schedule import Schedule

TOKENS = 2 * 4 * 12 + 1        # 2 ranks x 4 streams x 12 steps, and the last target


def language_model():
    torch.manual_seed(0)
    return LanguageModel(7, embedding_dim=6, hidden_size=5, num_layers=2).double()


def lm_data(world_size: int, rank: int):
    """The streams rank ``rank`` of ``world_size`` reads, as the language model task shards them."""
    ids = torch.arange(TOKENS) * 5 % 7
    part = (len(ids) - 1) // world_size
    streams = StreamBatches(ids[rank * part : (rank + 1) * part + 1], 8 // world_size, 6)
    return streams, True


def lm_step(model, batch, carry):
    return model.loss(*batch, carry)


def classifier():
    torch.manual_seed(0)
    return SequenceClassifier(9, 3, embedding_dim=4, hidden_size=5, pooling="max", dropout=0.0).double()


def classifier_data(world_size: int, rank: int):
    """Two batches of padded sentences of different lengths: one rank each, or one process both."""
    sentences = [[1, 2, 3], [4, 5], [6, 7, 8, 2, 1], [3], [2, 2, 2, 2], [5, 6, 7], [8, 1], [4]]
    labels = [0, 1, 2, 0, 1, 2, 0, 1]

    def batch(rows):
        x, lengths = pad_batch([sentences[i] for i in rows])
        return x, lengths, torch.tensor([labels[i] for i in rows])
    if world_size == 1:
        return [batch(range(8))], False
    return [batch(range(5)), batch(range(5, 8))], False


def classifier_step(model, batch, carry):
    x, lengths, y = batch
    logits, _ = model(x, lengths)
    return torch.nn.functional.cross_entropy(logits, y, reduction="sum"), len(y), None


CASES = {"lm": (language_model, lm_data, lm_step), "classifier": (classifier, classifier_data, classifier_step)}


def train(rank: int, world_size: int, case: str, folder: str, port: int) -> None:
    """Two SGD steps (lr 1, no clipping) of ``case`` on ``world_size`` ranks; rank 0 keeps the weights."""
    if world_size > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world_size))
    world = distributed.join(torch.device("cpu"))
    make, data, step = CASES[case]
    model = make()
    batches, sharded = data(world_size, rank)
    run = RunDir.create(folder, resume=False) if world.main else RunDir(folder)
    options = TrainOptions(epochs=1, lr=1.0, optimizer="sgd", weight_decay=0.0, clip=0.0,
                           schedule=Schedule(kind="constant", base_lr=1.0), log_every=1)
    Trainer(model, run, options, batches=lambda epoch: batches, step=step, sharded=sharded).fit()
    distributed.leave()
