import subprocess
import sys

from rnnkit.cli import demo
from rnnkit.cli.main import main


def test_demo_trains_and_prints_a_gate_table(capsys):
    demo.run(seconds=2.0, seed=0)
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("char"))
    rows = lines[header + 1 : header + 1 + len(demo.SENTENCE)]
    assert len(rows) == len(demo.SENTENCE)
    for row, ch in zip(rows, demo.SENTENCE):
        fields = row.split()
        assert fields[0] == repr(ch) or ch == " "
    assert "Greedy continuation of 'Although'" in out


def test_bad_option_is_one_line_and_status_2(capsys):
    assert main(["demo", "--seconds", "-3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --seconds must be positive, got -3.0"]
    assert main(["demo", "--nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unrecognized arguments: --nonsense" in err[0]


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "rnnkit.cli.main", "demo", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "--seconds" in result.stdout and "(default: 20.0)" in result.stdout
