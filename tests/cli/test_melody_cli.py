"""`rnnkit train melody`, `rnnkit compose` and `rnnkit evaluate` of a melody model on tunes written
here; the bad-input errors; rnnkit without music21."""
import json
import re
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

pytest.importorskip("music21")

from rnnkit.cli.main import main  # noqa: E402
from rnnkit.data.music import read_music  # noqa: E402
from tests.cli.conftest import TEXT, fails  # noqa: E402

FAST = ["--epochs", "2", "--hidden", "16", "--embedding", "8", "--batch-size", "4", "--log-every", "2"]
LINES = ["C D E F | G2 G2 | A A G2 | F F E2 |]", "G E C E | G2 G2 | F D B, D | C4 |]",
         "E E F G | G F E D | C C D E | E D D2 |]", "c B A G | F E D C | E G c2 | c4 |]"]


def tunes(count: int, key: str = "C", meter: str = "4/4") -> str:
    return "\n".join(f"X:{k + 1}\nT:tune {k}\nM:{meter}\nL:1/4\nK:{key}\n{LINES[k % len(LINES)]}\n"
                     for k in range(count))


@pytest.fixture
def songs(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "c.abc").write_text(tunes(10))
    (tmp_path / "train" / "g.abc").write_text(tunes(6, "G", "3/4"))
    (tmp_path / "test.abc").write_text(tunes(4, "F"))
    return tmp_path


def test_train_compose_evaluate(songs, capsys):
    run = str(songs / "run")
    assert main(["train", "melody", "--music", str(songs / "train"), "--out", run, *FAST]) == 0
    assert "melody model" in capsys.readouterr().err
    assert main(["evaluate", run, "--music", str(songs / "test.abc")]) == 0
    line = capsys.readouterr().out
    assert re.fullmatch(r"pitch \d+\.\d{4} bits/note  duration \d+\.\d{4} bits/note  joint \d+\.\d{4} bits/note\n",
                        line), line
    pitch, duration, joint = (float(x) for x in re.findall(r"\d+\.\d{4}", line))
    assert abs(pitch + duration - joint) < 2e-4
    (songs / "odd.abc").write_text("X:1\nM:4/4\nL:1/4\nK:C\nC5/4 D11/4 |]\n")   # lengths no vocabulary holds
    assert main(["evaluate", run, "--music", str(songs / "odd.abc")]) == 0
    assert "2 note(s) have a duration the model does not know" in capsys.readouterr().err

    song = songs / "song.mid"
    compose = ["compose", run, "--start", "E4", "G4", "--notes", "9", "--output", str(song), "--seed", "4"]
    assert main([*compose, "--plot", str(songs / "roll.png")]) == 0
    out = capsys.readouterr()
    events = out.out.split()
    assert out.out.count("\n") == 1 and all(re.fullmatch(r"([A-G]#?-?\d|rest):\d+(/\d+)?", e) for e in events)
    assert [e.split(":")[0] for e in events[:2]] == ["E4", "G4"]
    assert sum(not e.startswith("rest") for e in events) == 9
    assert (songs / "roll.png").stat().st_size > 1000 and "MIDI file" in out.err
    written = read_music([str(song)])[0]
    assert sum(n.pitch is not None for n in written.notes) == 9 and written.meter == "4/4"
    assert main(compose) == 0 and capsys.readouterr().out == out.out    # the same seed, the same melody
    assert main([*compose, "--key", "G", "--meter", "3/4"]) == 0 and read_music([str(song)])[0].sharps == 1
    capsys.readouterr()
    assert main(["compose", run, "--start", "C1", "--notes", "4", "--output", str(song)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("C1:") and "outside the range the model learnt" in out.err


def test_training_length_and_batch_follow_the_pieces(songs):
    """A default run reads NOTES_READ notes (so a small collection is read more often, up to 100
    passes, and in at least 500 steps) and takes a batch of an eighth of its pieces; what resolved
    is in config.json, and --epochs overrides."""
    from rnnkit.tasks.melody.config import NOTES_READ, budget
    open_options = SimpleNamespace(batch_size=16, epochs=None, eval_every=None, patience=None)
    few, many = budget(50).length(100, open_options), budget(50).length(10_000, open_options)
    assert few["epochs"] == 100 and few["patience"] == 12 and few["eval_every"] == 100 * 7 // 50
    assert many["epochs"] == round(NOTES_READ / 50 / 10_000) == 3
    assert budget(50).length(400, open_options)["epochs"] == 75    # 30,000 pieces' notes read 400 at a time
    run = songs / "run"
    fast = [x for x in FAST if x not in ("--batch-size", "4")]
    assert main(["train", "melody", "--music", str(songs / "train"), "--out", str(run), *fast]) == 0
    data = json.loads((run / "config.json").read_text())["data"]
    assert data["resolved"] == {"batch_size": 4}    # an eighth of the 14 or so training pieces is below 4
    assert data["training"]["epochs"] == 2


def test_bad_melody_input_is_one_line(songs, capsys):
    run = str(songs / "run")
    (songs / "noise.mid").write_bytes(b"\x07\x01garbage" * 20)
    fails(["train", "melody", "--music", str(songs / "noise.mid"), "--out", run, *FAST], capsys,
          "noise.mid: music21 cannot read it")
    (songs / "silent.abc").write_text("X:1\nM:4/4\nL:1/4\nK:C\nz4 |]\n")
    fails(["train", "melody", "--music", str(songs / "silent.abc"), "--out", run, *FAST], capsys,
          "silent.abc: has no notes")
    assert main(["train", "melody", "--music", str(songs / "train"), "--out", run, *FAST]) == 0
    song = str(songs / "song.mid")
    fails(["compose", run, "--start", "C4", "--notes", "0", "--output", song], capsys,
          "--notes: must be a positive integer, got 0")
    fails(["compose", run, "--start", "C4", "E4", "--notes", "1", "--output", song], capsys,
          "--notes 1: fewer than the 2 start notes")
    fails(["compose", run, "--start", "H2", "--output", song], capsys, "not a note with its octave: 'H2'")
    fails(["compose", run, "--start", "C4", "--meter", "5/4", "--output", song], capsys,
          "--meter 5/4: the model knows the metres 3/4, 4/4")
    fails(["compose", run, "--start", "C4", "--key", "Q", "--output", song], capsys, "not a key: 'Q'")
    fails(["evaluate", run, "--music", str(songs / "silent.abc")], capsys, "silent.abc: has no notes")


def test_rnnkit_imports_and_trains_without_music21(tmp_path):
    (tmp_path / "text.txt").write_text(TEXT)
    (tmp_path / "a.abc").write_text(tunes(2))
    script = textwrap.dedent(f"""
        import sys
        sys.modules["music21"] = None          # as if it were not installed
        import rnnkit, rnnkit.tasks
        from rnnkit.cli.main import main
        assert main(["train", "lm", "--text", {str(tmp_path / "text.txt")!r}, "--out", {str(tmp_path / "lm")!r},
                     "--hidden", "16", "--epochs", "1", "--bptt", "20"]) == 0
        assert main(["train", "melody", "--music", {str(tmp_path / "a.abc")!r}, "--out",
                     {str(tmp_path / "melody")!r}]) == 2
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "reading and writing music needs music21: pip install 'rnnkit[music]'" in done.stderr
