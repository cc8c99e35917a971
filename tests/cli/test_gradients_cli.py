"""`rnnkit gradients`: a fresh cell or a trained run, its plot and its one line; the usage errors."""
import re

import pytest

from rnnkit.cli.main import main
from tests.cli.conftest import fails, small_lm


@pytest.mark.parametrize("cell", ["rnn", "irnn", "lstm_ln", "gru_before"])
def test_a_fresh_cell(cell, tmp_path, capsys):
    plot = tmp_path / "flow.png"
    assert main(["gradients", "--cell", cell, "--length", "12", "--output", str(plot)]) == 0
    out = capsys.readouterr()
    assert re.fullmatch(r"gradient ratio \d\.\d{3}e[+-]\d{2}\n", out.out), out.out
    assert plot.stat().st_size > 1000 and f"plot: {plot}" in out.err


def test_a_trained_run(tmp_path, capsys):
    small_lm(tmp_path, 50, "--epochs", "1")
    assert main(["gradients", str(tmp_path / "run"), "--length", "10"]) == 0
    assert capsys.readouterr().out.startswith("gradient ratio ")
    assert (tmp_path / "run" / "plots" / "gradient-flow-10.png").is_file()


def test_usage_errors_are_one_line(tmp_path, capsys):
    fails(["gradients", "--length", "5"], capsys, "give either --cell NAME (a fresh cell) or RUN_DIR")
    fails(["gradients", str(tmp_path), "--cell", "lstm", "--length", "5"], capsys, "not both or neither")
    fails(["gradients", "--cell", "lstm", "--length", "0"], capsys, "--length")
    fails(["gradients", "--cell", "elman", "--length", "5"], capsys, "--cell")
