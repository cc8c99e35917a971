"""Reading music through music21: note events, the top voice, bar positions, the cache, the
errors; writing MIDI and reading it back.  The tunes are written here."""
import os
import warnings
from fractions import Fraction as F

import pytest

pytest.importorskip("music21")

from rnnkit.data.music import (bar_quarters, note_name, parse_key, parse_meter, parse_pitch, read_music,  # noqa: E402
                               signature_shift, write_midi)
from rnnkit.errors import DataError  # noqa: E402

TUNES = """X:1
T:Up and down
M:3/4
L:1/8
K:G
D2 | G2 A2 B2 | c4 B2- | B2 z2 d2 | g6 |]

X:2
T:Chords
M:2/4
L:1/4
K:C
[CEG] [DF] | c2 |]

X:3
T:Silent
M:4/4
L:1/4
K:C
z4 |]
"""


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))


def events(piece):
    return [(n.pitch, n.duration, n.position) for n in piece.notes]


def test_abc_tunes_become_note_events(tmp_path):
    (tmp_path / "tunes.abc").write_text(TUNES)
    with pytest.warns(UserWarning, match=r"tunes.abc, line 15 \(X:3\): has no notes; left out"):
        first, chords = read_music([str(tmp_path / "tunes.abc")])
    assert (first.title, first.sharps, first.meter) == ("Up and down", 1, "3/4")
    # the pickup D starts 2/3 into its bar; the tied B is one note of two quarters; the rest is kept
    assert events(first) == [(62, 1, F(2, 3)), (67, 1, 0), (69, 1, F(1, 3)), (71, 1, F(2, 3)), (72, 2, 0),
                             (71, 2, F(2, 3)), (None, 1, F(1, 3)), (74, 1, F(2, 3)), (79, 3, 0)]
    assert first.source.endswith("tunes.abc, line 1 (X:1)")
    assert events(chords) == [(67, 1, 0), (65, 1, F(1, 2)), (72, 2, 0)]   # the top voice of each chord


def test_parsed_files_are_cached_by_path_size_and_time(tmp_path):
    path = tmp_path / "one.abc"
    path.write_text("X:1\nM:2/4\nL:1/4\nK:C\nC D | E2 |]\n")
    assert [n.pitch for n in read_music([str(path)])[0].notes] == [60, 62, 64]
    assert len(os.listdir(tmp_path / "cache" / "music")) == 1
    path.write_text("X:1\nM:2/4\nL:1/4\nK:C\nC D | F2 |]\n")     # another size: parsed again
    os.utime(path, ns=(1, 1))
    assert [n.pitch for n in read_music([str(path)])[0].notes] == [60, 62, 65]
    assert len(os.listdir(tmp_path / "cache" / "music")) == 2


def test_folders_are_read_with_their_music_files(tmp_path):
    (tmp_path / "songs" / "more").mkdir(parents=True)
    (tmp_path / "songs" / "a.abc").write_text("X:1\nM:2/4\nL:1/4\nK:C\nC D |]\n")
    (tmp_path / "songs" / "more" / "b.abc").write_text("X:1\nM:2/4\nL:1/4\nK:C\nE F |]\n")
    (tmp_path / "songs" / "notes.txt").write_text("not music")
    assert [p.notes[0].pitch for p in read_music([str(tmp_path / "songs")])] == [60, 64]


@pytest.mark.parametrize("name, content, message", [
    ("noise.mid", b"\x07\x01garbage" * 20, "noise.mid: music21 cannot read it"),
    ("binary.abc", b"X:1\n\x00\x01\x02", "binary.abc: is a binary file"),
    ("empty.abc", b"\n\n", "empty.abc: is empty"),
    ("silent.abc", b"X:1\nM:4/4\nL:1/4\nK:C\nz4 |]\n", "silent.abc: has no notes"),
])
def test_unreadable_music_is_named(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match=message):
            read_music([str(tmp_path / name)])


def test_missing_files_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match="nothing.abc: no such file or folder"):
        read_music([str(tmp_path / "nothing.abc")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="the folder holds no music files"):
        read_music([str(tmp_path / "empty")])


def test_midi_written_reads_back(tmp_path):
    (tmp_path / "tunes.abc").write_text(TUNES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = read_music([str(tmp_path / "tunes.abc")])[0]
    write_midi(first.notes, tmp_path / "song.mid", sharps=first.sharps, meter=first.meter)
    again = read_music([str(tmp_path / "song.mid")])[0]
    assert [(n.pitch, n.duration) for n in again.notes] == [(n.pitch, n.duration) for n in first.notes]
    assert (again.sharps, again.meter) == (1, "3/4")
    assert not list(tmp_path.glob("*.tmp"))


def test_names_keys_and_metres():
    assert [parse_pitch(n) for n in ("C4", "F#3", "Bb5", "E-4", "c4", "A0")] == [60, 54, 82, 63, 60, 21]
    for bad in ("C", "H4", "x", "C#"):
        with pytest.raises(ValueError, match="not a note with its octave"):
            parse_pitch(bad)
    assert [parse_key(k) for k in ("C", "G", "D major", "e minor", "Bb", "f#m", "Eb minor")] == [0, 1, 2, 1, -2, 3, -6]
    with pytest.raises(ValueError, match="not a key"):
        parse_key("H")
    assert parse_meter("6/8") == "6/8"
    with pytest.raises(ValueError, match="not a metre"):
        parse_meter("three")
    assert [bar_quarters(m) for m in ("3/4", "6/8", "2+3/8", None, "free")] == [3, 3, F(5, 2), None, None]
    assert [signature_shift(s) for s in (0, 1, 2, -1, -2, 6)] == [0, -5, 2, 5, -2, 6]
    assert [note_name(p) for p in (60, 61, 21, None)] == ["C4", "C#4", "A0", "rest"]
