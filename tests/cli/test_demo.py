import argparse
import re
import subprocess
import sys

import pytest

from rnnkit.tasks.language_model import demo
from rnnkit.cli.main import main


def test_demo_trains_generates_and_shows_gates(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    assert main(["demo", "--seconds", "3", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "--- sample at temperature 0.5 ---" in out and "--- sample at temperature 1.0 ---" in out
    assert "--- autocomplete of 'The stat'" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("char"))
    rows = lines[header + 1 : header + 1 + len(demo.SENTENCE)]
    assert [row.split()[0] for row in rows if not row.split()[0].startswith("'")] == []
    assert len(rows) == len(demo.SENTENCE)
    assert f"Run directory: {out_dir}" in out and (out_dir / "plots" / "loss.png").is_file()
    assert main(["demo", "--seconds", "1", "--out", str(out_dir)]) == 0     # a previous demo is replaced


def test_demo_never_replaces_other_files(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me")
    assert main(["demo", "--seconds", "1", "--out", str(tmp_path)]) == 2
    assert "is not a previous demo" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_corpus_is_real_text():
    text, source = demo.corpus()
    assert len(text) > 20_000 and source


def test_bad_option_is_one_line_and_status_2(capsys):
    assert main(["demo", "--seconds", "-3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --seconds must be positive, got -3.0"]
    assert main(["demo", "--nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unrecognized arguments: --nonsense" in err[0]


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "rnnkit.cli.main", "train", "lm", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "--valid-fraction" in result.stdout and "(default: 32)" in result.stdout


@pytest.mark.parametrize("command, expected", [
    (["train", "classify"], ["--text-column", "--pooling", "(default: attention for text, mean for recordings and "
                              "clips)", "(default: 64 for text; recordings and clips: about an eighth",
                              "--deltas, --no-deltas"]),
    (["train", "tag"], ["--word-dropout", "--xpos", "(default: 0.1)", "(default: 32)"]),
    (["classify"], ["--explain", "LABEL<TAB>PROBABILITY"]),
    (["tag"], ["--output", "byte for byte"]),
    (["evaluate"], ["tagger", "classifier", "perplexity"]),
])
def test_every_command_explains_its_options(command, expected, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert done.value.code == 0
    for text in expected:
        assert text in out, text


def _commands(parser=None, path=()):
    """Every command line that has its own --help: rnnkit, each subcommand, each train TASK."""
    from rnnkit.cli.main import build_parser

    parser = parser or build_parser()
    found = [list(path)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*path, name))
    return found


def _option_helps(text):
    """The help entries of a --help text (an option or argument with its wrapped help)."""
    entries, open_entry = [], False
    for line in text.splitlines():
        if re.match(r"  \S", line):
            entries.append(line.strip())
            open_entry = True
        elif line.startswith("   ") and open_entry:
            entries[-1] += " " + line.strip()
        else:
            open_entry = False
    return entries


HELP_COMMANDS = _commands()


def test_help_covers_every_command():
    names = {" ".join(c) for c in HELP_COMMANDS}
    assert {"", "train lm", "train classify", "train tag", "train translate", "generate", "complete", "classify",
            "tag", "translate", "attention", "evaluate", "demo"} <= names


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "rnnkit")
def test_help_states_each_default_once(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "(default: None)" not in out
    entries = _option_helps(out)
    assert entries
    for entry in entries:
        assert len(re.findall(r"\bdefault\b", entry, re.IGNORECASE)) <= 1, entry
    text = " ".join(out.split())
    if command[:1] == ["train"] and len(command) == 2:
        assert "--log-every STEPS log the training loss every this many steps (default: 50)" in text
    if command == ["train", "lm"]:
        assert "passes over the training data (default: 10 unless --max-time is given)" in text
        assert "(default: 100 for char, 35 for word)" in text
