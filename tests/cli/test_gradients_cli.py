"""`rnnkit gradients`: a fresh cell or a trained run, its plot and its one line; `rnnkit gates` on a
trained language model; the usage errors."""
import json
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


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gates_of_a_trained_language_model(cell, tmp_path, capsys):
    small_lm(tmp_path, 200, "--epochs", "1", "--cell", cell)
    plot = tmp_path / "gates.png"
    assert main(["gates", str(tmp_path / "run"), str(tmp_path / "test.txt"), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out.splitlines()
    gates = "ifgo" if cell == "lstm" else "rzn"
    assert [line.split()[1] for line in out[:-1]] == list(gates)
    assert out[-1].startswith(f"memory: the {'f' if cell == 'lstm' else 'z'} gates keep ")
    assert plot.stat().st_size > 1000
    assert main(["gates", str(tmp_path / "run"), str(tmp_path / "test.txt"), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {*gates, "retention"}


def test_gates_need_a_gated_cell_and_a_text(tmp_path, capsys):
    small_lm(tmp_path, 200, "--epochs", "1", "--cell", "rnn")
    fails(["gates", str(tmp_path / "run"), str(tmp_path / "test.txt")], capsys, "has no gates to measure")
    (tmp_path / "empty.txt").write_text("")
    fails(["gates", str(tmp_path / "run"), str(tmp_path / "empty.txt")], capsys, "empty.txt")
