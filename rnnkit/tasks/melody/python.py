"""The melody model from Python: its data, pieces as music21 streams (written as MusicXML files) or
the paths of music files and folders; and the trained model's ``predict``: a melody composed from
starting notes, as ``rnnkit compose`` composes it."""
from __future__ import annotations

from pathlib import Path

from rnnkit.data.music import Note
from rnnkit.errors import RnnkitError
from rnnkit.models.melody import MelodyModel
from rnnkit.tasks.melody.compose import composed
from rnnkit.tasks.melody.verbs import COMPOSE, note_list
from rnnkit.tasks.python import examples_of
from rnnkit.tasks.trained import Trained


class TrainedMelodyModel(Trained, MelodyModel):
    """A trained melody model."""

    def predict(self, inputs, **options) -> list[Note]:
        """A melody that begins with the notes ``inputs`` (a note with its octave, ``"C4"``, several
        in one string, ``"C4 E4 G4"``, or a list of names or MIDI numbers): its notes and rests
        (``pitch``: MIDI number, None for a rest; ``duration`` in quarter notes; ``position`` in the
        bar).  ``options``: ``notes``, ``key``, ``meter``, ``temperature``, ``top_p`` and ``seed``, as
        for ``rnnkit compose``."""
        s = self.settings(options, COMPOSE, ("notes", "key", "meter", "temperature", "top_p", "seed"))
        melody, _ = composed(self, start_pitches(inputs), s.notes, sharps=s.key, meter=s.meter,
                             temperature=s.temperature, top_p=s.top_p, seed=s.seed)
        return melody


def start_pitches(inputs) -> list[int]:
    """The MIDI numbers of the starting notes: names with octaves or MIDI numbers."""
    items = [inputs] if isinstance(inputs, (str, int)) else examples_of(inputs, "inputs")
    pitches = []
    for item in items:
        if isinstance(item, str):
            try:
                pitches += note_list(item)
            except (ValueError, RnnkitError) as e:
                raise RnnkitError(f"inputs: {item!r} is not a note with its octave, such as C4 ({e})") from None
        elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 127:
            pitches.append(item)
        else:
            raise RnnkitError(f"inputs: {item!r} is neither a note name with its octave (C4) nor a MIDI number 0-127")
    return pitches


def data_files(data, valid, folder: Path) -> dict:
    """The options ``music`` and ``valid``: paths as given, music21 streams written as MusicXML
    into ``folder``."""
    options = {}
    for role, given, option in (("data", data, "music"), ("valid", valid, "valid")):
        if given is None:
            continue
        items = [given] if isinstance(given, (str, Path)) or hasattr(given, "write") else examples_of(given, role)
        paths = []
        for k, item in enumerate(items):
            if isinstance(item, (str, Path)):
                paths.append(str(item))
            elif hasattr(item, "write") and hasattr(item, "flatten"):
                folder.mkdir(parents=True, exist_ok=True)
                paths.append(str(folder / f"{role}-{k:05d}.musicxml"))
                item.write("musicxml", fp=paths[-1])
            else:
                raise RnnkitError(f"{role}: item {k} is {type(item).__name__}; expected a music21 stream or the path "
                                  "of a music file or folder")
        options[option] = paths
    return options
