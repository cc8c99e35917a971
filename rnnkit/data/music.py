"""Music as note events, read and written through music21 (the optional extra ``rnnkit[music]``).

A piece becomes a list of ``Note(pitch, duration, position)``: the MIDI number of the sounding
pitch (None for a rest), the length in quarter notes (tied notes merged), and the onset within
its bar as a fraction of the bar (None where the piece has no metre).  A polyphonic piece is
reduced to its top voice: at each moment the highest sounding pitch (the "skyline").  The key
signature (sharps, negative for flats) and the metre ("3/4") come with each piece; a piece
without a key signature gets the one of music21's key estimate (Krumhansl-Schmuckler).

Parsing is slow, so each file's events are cached, keyed by its path, size and modification time,
in ``$RNNKIT_CACHE/music`` (default ``~/.cache/rnnkit/music``).  A file of ABC tunes is parsed
tune by tune, so that an error names the tune and its line.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from tqdm import tqdm

from rnnkit.errors import DataError, RnnkitError
from rnnkit.files import replace_atomic, write_atomic

EXTENSIONS = (".abc", ".mid", ".midi", ".mxl", ".musicxml", ".xml", ".krn")
GRID = 48              # durations and bar positions are kept as multiples of 1/48 (of a quarter, of a bar)
CACHE_VERSION = 1      # change when what is cached changes


@dataclass(frozen=True)
class Note:
    pitch: int | None              # MIDI number; None: a rest
    duration: Fraction             # quarter notes
    position: Fraction | None      # onset within the bar, a fraction of the bar in [0, 1)


@dataclass
class Piece:
    source: str                    # "FILE" or "FILE, line N (X:K)" for a tune of an ABC file
    title: str
    sharps: int                    # key signature: sharps, negative for flats
    meter: str | None              # "3/4"; None without a metre
    notes: list[Note]


def music21():
    """The music21 module, or an error saying how to install it."""
    try:
        import music21 as m21
    except ImportError:
        raise RnnkitError("reading and writing music needs music21: pip install 'rnnkit[music]' "
                          "(or pip install music21)") from None
    return m21


def music_files(paths: list[str]) -> list[Path]:
    """The files named, with the music files (EXTENSIONS) of the folders named, in name order."""
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
            if not found:
                raise DataError(f"{path}: the folder holds no music files ({', '.join(EXTENSIONS)})")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return files


def read_music(paths: list[str], *, progress: bool = True) -> list[Piece]:
    """Every piece of the files and folders of ``paths``; a piece without notes is left out with a
    warning, and a file without any is an error."""
    pieces, files = [], music_files(paths)
    for path in tqdm(files, desc="reading music", unit=" files", file=sys.stderr, leave=False,
                     disable=not progress or len(files) < 5):
        found = _cached(path)
        if found is None:
            found = _parse_file(path, progress)
            _store(path, found)
        if not any(piece.notes for piece in found):
            raise DataError(f"{path}: has no notes (music21 read {len(found)} piece(s) without a note or rest)")
        for piece in found:
            if not piece.notes:
                warnings.warn(f"{piece.source}: has no notes; left out")
        pieces += [piece for piece in found if piece.notes]
    return pieces


def _parse_file(path: Path, progress: bool) -> list[Piece]:
    m21 = music21()
    if path.suffix.lower() == ".abc":
        return [_piece(score, source, m21) for score, source in _abc_tunes(path, progress, m21)]
    try:
        parsed = m21.converter.parse(str(path))
    except Exception as e:   # music21 raises many kinds (its own, ValueError, IndexError, ...)
        raise DataError(f"{path}: music21 cannot read it ({_said(e)})") from None
    scores = list(parsed.scores) if isinstance(parsed, m21.stream.Opus) else [parsed]
    return [_piece(score, f"{path}" + (f", piece {k + 1}" if len(scores) > 1 else ""), m21)
            for k, score in enumerate(scores)]


def _said(error: Exception) -> str:
    """music21's complaint, on one line and short."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:100]}{'...' if len(text) > 100 else ''}"


def _abc_tunes(path: Path, progress: bool, m21):
    """(score, source) for each tune (from an ``X:`` line to the next) of an ABC file."""
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        raise DataError(f"{path}: is a binary file, not ABC text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")   # the Essen files and much ABC of their age are Latin-1
    lines = text.splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("X:")]
    if not starts:
        if not any(line.strip() for line in lines):
            raise DataError(f"{path}: is empty")
        starts = [0]
    bounds = list(zip(starts, starts[1:] + [len(lines)]))
    for first, last in tqdm(bounds, desc=f"reading {path.name}", unit=" tunes", file=sys.stderr,
                            disable=not progress or len(bounds) < 20, leave=False):
        tune = "\n".join(lines[first:last])
        number = lines[first][2:].strip()
        source = f"{path}, line {first + 1}" + (f" (X:{number})" if number else "")
        try:
            score = m21.converter.parseData(tune, format="abc")
        except Exception as e:
            raise DataError(f"{source}: music21 cannot read the tune ({_said(e)})") from None
        yield score, source


def _piece(score, source: str, m21) -> Piece:
    signature = next(iter(score.recurse().getElementsByClass(m21.key.KeySignature)), None)
    if signature is None and any(True for _ in score.recurse().notes):
        signature = score.analyze("key")
    meter = next(iter(score.recurse().getElementsByClass(m21.meter.TimeSignature)), None)
    title = (score.metadata.title if score.metadata is not None else None) or ""
    bar = Fraction(meter.barDuration.quarterLength) if meter is not None else None
    return Piece(source, title, signature.sharps if signature is not None else 0,
                 meter.ratioString if meter is not None else None, top_voice(score, bar, m21))


def top_voice(score, bar: Fraction | None, m21) -> list[Note]:
    """The highest sounding pitch at each moment (rests where nothing sounds), tied notes merged;
    bar positions counted in bars of ``bar`` quarter notes from the first bar line (a change of
    metre within the piece is not followed)."""
    parts = list(score.parts) or [score]
    monophonic = len(parts) == 1 and not any(True for _ in score.recurse().getElementsByClass(
        (m21.chord.Chord, m21.stream.Voice)))
    line = (parts[0] if monophonic else score.chordify()).stripTies().flatten()
    first_bar = next(iter(score.recurse().getElementsByClass(m21.stream.Measure)), None)
    pickup = Fraction(first_bar.paddingLeft) if first_bar is not None else Fraction(0)
    notes = []
    for element in line.notesAndRests:
        length = Fraction(element.quarterLength).limit_denominator(GRID)
        if length <= 0:       # grace notes
            continue
        pitch = None if element.isRest else max(p.midi for p in element.pitches)
        position = bar_position(Fraction(element.offset) + pickup, bar) if bar else None
        if notes and pitch is None and notes[-1].pitch is None:   # one rest, not several
            notes[-1] = Note(None, notes[-1].duration + length, notes[-1].position)
            continue
        notes.append(Note(pitch, length, position))
    while notes and notes[-1].pitch is None:   # trailing silence is the end, not a rest
        notes.pop()
    while notes and notes[0].pitch is None:
        notes.pop(0)
    return notes


def bar_position(onset: Fraction, bar: Fraction) -> Fraction:
    """``onset`` (quarter notes from the bar line) as a fraction of the bar, on the GRID."""
    return Fraction(round((onset % bar) / bar * GRID), GRID) % 1


def bar_quarters(meter: str | None) -> Fraction | None:
    """The length of a bar of ``meter`` ("3/4", "6/8", "2+3/8") in quarter notes; None without one."""
    try:
        numerator, denominator = meter.split("/")
        return sum(Fraction(int(n)) for n in numerator.split("+")) * 4 / int(denominator)
    except (AttributeError, ValueError, ZeroDivisionError):
        return None


def signature_shift(sharps: int) -> int:
    """Semitones from C to the major tonic of a key signature, in -5..6 (G: -5, F: 5, D: 2)."""
    return (7 * sharps + 5) % 12 - 5


# -- the cache ---------------------------------------------------------------------------------

def _cache_file(path: Path) -> Path:
    stat = path.stat()
    key = f"{CACHE_VERSION}\0{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
    root = Path(os.environ.get("RNNKIT_CACHE") or Path.home() / ".cache" / "rnnkit") / "music"
    return root / (hashlib.sha1(key.encode()).hexdigest() + ".json")


def _cached(path: Path) -> list[Piece] | None:
    try:
        rows = json.loads(_cache_file(path).read_text())
    except (OSError, ValueError):
        return None
    return [Piece(r["source"], r["title"], r["sharps"], r["meter"],
                  [Note(p, Fraction(d), None if q is None else Fraction(q)) for p, d, q in r["notes"]]) for r in rows]


def _store(path: Path, pieces: list[Piece]) -> None:
    rows = [{"source": p.source, "title": p.title, "sharps": p.sharps, "meter": p.meter,
             "notes": [[n.pitch, str(n.duration), None if n.position is None else str(n.position)] for n in p.notes]}
            for p in pieces]
    cache = _cache_file(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cache, json.dumps(rows))
    except OSError:   # a read-only home: parse again next time
        pass


# -- names and writing -------------------------------------------------------------------------

def parse_pitch(name: str) -> int:
    """``C4``, ``F#3``, ``Bb5`` or ``E-4`` (music21's flat) as a MIDI number."""
    m21 = music21()
    text = name.strip()
    if len(text) >= 2 and text[0].upper() in "ABCDEFG":
        text = text[0].upper() + text[1:].replace("b", "-")
    try:
        pitch = m21.pitch.Pitch(text)
    except Exception:
        pitch = None
    if pitch is None or pitch.octave is None or not text[-1].isdigit():
        raise ValueError(f"not a note with its octave: {name!r} (write e.g. C4, F#3, Bb5)")
    if not 0 <= pitch.midi <= 127:
        raise ValueError(f"{name!r} lies outside the MIDI range (C-1 to G9)")
    return pitch.midi


def parse_key(name: str) -> int:
    """A key (``G``, ``G major``, ``e minor``, ``Bb``, ``f#m``) as its signature's sharps."""
    m21 = music21()
    words = name.strip().split()
    if len(words) == 1 and len(words[0]) > 1 and words[0].endswith("m"):
        words = [words[0][:-1], "minor"]
    if not 1 <= len(words) <= 2 or words[0][:1].upper() not in "ABCDEFG":
        raise ValueError(f"not a key: {name!r} (write e.g. G, D major, e minor, Bb, f#m)")
    tonic = words[0][0].upper() + words[0][1:].replace("b", "-")
    try:
        return m21.key.Key(tonic, words[1].lower() if len(words) == 2 else "major").sharps
    except Exception:
        raise ValueError(f"not a key: {name!r} (write e.g. G, D major, e minor, Bb, f#m)") from None


def parse_meter(text: str) -> str:
    """A metre ``N/D`` (3/4, 6/8), as music21 writes it."""
    m21 = music21()
    try:
        return m21.meter.TimeSignature(text.strip()).ratioString
    except Exception:
        raise ValueError(f"not a metre: {text!r} (write e.g. 3/4 or 6/8)") from None


def note_name(pitch: int | None) -> str:
    """``C4`` (sharps spelt ``#``), or ``rest``."""
    if pitch is None:
        return "rest"
    return ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"][pitch % 12] + str(pitch // 12 - 1)


def write_midi(notes: list[Note], path: str | Path, *, sharps: int = 0, meter: str | None = None,
               tempo: int = 100) -> None:
    """``notes`` as a one-track MIDI file, through music21, written atomically."""
    m21 = music21()
    part = m21.stream.Part()
    part.append(m21.tempo.MetronomeMark(number=tempo))
    part.append(m21.key.KeySignature(sharps))
    if meter:
        part.append(m21.meter.TimeSignature(meter))
    for n in notes:
        element = m21.note.Rest() if n.pitch is None else m21.note.Note(n.pitch)
        element.quarterLength = n.duration
        part.append(element)
    midi = m21.midi.translate.streamToMidiFile(part)

    def write(temporary: Path) -> None:
        midi.open(str(temporary), "wb")
        midi.write()
        midi.close()

    replace_atomic(Path(path), write)
