"""TensorBoard curves: each record of metrics.jsonl as scalars under train/ and valid/ at its
step; without the tensorboard package, --tensorboard is one clear error; the loss plot draws
the selection metric beside the loss."""
import sys

import pytest
from PIL import Image

from rnnkit.errors import RnnkitError
from rnnkit.training.board import open_board, write_record
from rnnkit.training.plots import plot_loss


class Writer:
    def __init__(self):
        self.scalars, self.flushed = [], 0

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))

    def flush(self):
        self.flushed += 1


def test_a_record_becomes_scalars_at_its_step():
    writer = Writer()
    write_record(writer, {"step": 7, "epoch": 1, "elapsed": 3.2, "train_loss": 0.5, "lr": 1e-3, "tokens_per_s": 900.0})
    write_record(writer, {"step": 9, "epoch": 1, "elapsed": 4.0, "valid_loss": 0.4, "valid_accuracy": 0.75,
                          "valid_per_class": {"a": 1.0}, "valid_flag": True})
    assert writer.scalars == [("train/loss", 0.5, 7), ("train/lr", 1e-3, 7), ("train/tokens_per_s", 900.0, 7),
                              ("valid/loss", 0.4, 9), ("valid/accuracy", 0.75, 9)]
    assert writer.flushed == 2


def test_without_tensorboard_the_option_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(RnnkitError, match=r"--tensorboard needs the tensorboard package: pip install 'rnnkit\["):
        open_board(tmp_path / "board")


def test_the_loss_plot_draws_the_selection_metric_beside_the_loss(tmp_path):
    records = [{"step": 1, "train_loss": 0.9}, {"step": 2, "valid_loss": 0.8, "valid_accuracy": 0.6},
               {"step": 3, "train_loss": 0.7}, {"step": 4, "valid_loss": 0.6, "valid_accuracy": 0.7}]
    plot_loss(records, tmp_path / "loss.png")
    plot_loss(records, tmp_path / "both.png", metric="accuracy")
    alone, both = (Image.open(tmp_path / name).size for name in ("loss.png", "both.png"))
    assert both[0] > 1.5 * alone[0] and both[1] == alone[1]
