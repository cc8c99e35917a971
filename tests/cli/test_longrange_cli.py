"""`rnnkit longrange PROBLEM`: train and test in one go, on generated problems and on digits
written here as IDX files; `rnnkit evaluate` of its run gives the same line; the errors."""
import re

import numpy as np

from rnnkit.cli.main import main
from rnnkit.data import write_idx
from tests.cli.conftest import fails

FAST = ["--hidden", "8", "--epochs", "1", "--epoch-size", "200", "--test-size", "300", "--log-every", "2"]


def test_adding_and_copy(tmp_path, capsys):
    assert main(["longrange", "adding", "--cell", "irnn", "--length", "12", *FAST]) == 0
    out = capsys.readouterr()
    assert re.fullmatch(r"test mse \d\.\d+(e-\d+)?\n", out.out), out.out
    assert "temporary" in out.err
    run = tmp_path / "copy"
    assert main(["longrange", "copy", "--cell", "gru", "--length", "25", "--out", str(run), *FAST]) == 0
    line = capsys.readouterr().out
    assert re.fullmatch(r"test accuracy 0\.\d{4}\n", line), line
    assert main(["evaluate", str(run)]) == 0
    assert capsys.readouterr().out == line                # the same fixed test set
    assert main(["gradients", str(run), "--length", "30"]) == 0   # fed copy-problem inputs
    assert capsys.readouterr().out.startswith("gradient ratio ")
    assert (run / "plots" / "gradient-flow-30.png").is_file()


def test_digits_by_rows_and_pixels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 60).astype(np.uint8)
    images = (rng.random((60, 5, 4)) * 60 + labels[:, None, None] * 60).astype(np.uint8)
    write_idx(tmp_path / "images.idx", images)
    write_idx(tmp_path / "labels.idx", labels)
    data = ["--images", str(tmp_path / "images.idx"), "--labels", str(tmp_path / "labels.idx")]
    for problem in ("digits-rows", "digits-pixels"):
        assert main(["longrange", problem, *data, *FAST]) == 0
        assert re.fullmatch(r"test accuracy [01]\.\d{4}\n", capsys.readouterr().out)


def test_bad_long_range_input_is_one_line(tmp_path, capsys):
    fails(["longrange", "copy", "--length", "20", *FAST], capsys, "the copy problem needs at least 21 steps")
    fails(["longrange", "adding", *FAST], capsys, "give --length T")
    fails(["longrange", "adding", "--length", "9", "--cell", "gru", "--chrono", *FAST], capsys,
          "--chrono sets an LSTM's gate biases; it is not for --cell gru")
    fails(["longrange", "digits-rows", *FAST], capsys, "need --images FILE and --labels FILE")
    write_idx(tmp_path / "images.idx", np.zeros((4, 3, 3), np.uint8))
    write_idx(tmp_path / "labels.idx", np.zeros(5, np.uint8))
    fails(["longrange", "digits-rows", "--images", str(tmp_path / "images.idx"), "--labels",
           str(tmp_path / "labels.idx"), *FAST], capsys, "labels.idx: expected 4 labels")
    fails(["longrange", "adding", "--length", "5", "--cell", "irnn", "--layer-norm", *FAST], capsys,
          "--cell irnn takes neither")


def test_a_time_budget_is_not_cut_short_by_the_default_epochs():
    from rnnkit.tasks.longrange import EPOCHS, LongRangeConfig

    assert LongRangeConfig().train_options().epochs == EPOCHS
    assert LongRangeConfig(max_time=60).train_options().epochs is None
    assert LongRangeConfig(epochs=3, max_time=60).train_options().epochs == 3
