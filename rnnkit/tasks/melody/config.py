"""The melody task's options and how long a default run reads."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.tasks.budget import Budget
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import like, option, positive_int, valid_fraction_option

NOTES_READ = 1_500_000   # notes a default run reads: about 30 passes over a thousand folk songs
READS = ("music files or folders of them, in any format music21 reads (ABC, MIDI, MusicXML, Humdrum **kern); "
         "a polyphonic piece is reduced to its top voice, the highest note sounding at each moment")


@dataclass
class MelodyConfig(RecurrentConfig, TrainingConfig):
    music: list = option(None, "training " + READS, required=True, metavar="FILE", nargs="+", group="data")
    valid: list | None = option(None, "validation music (files or folders)", flags=("--valid", "--dev"), nargs="+",
                                metavar="FILE", group="data", exclusive="valid")
    valid_fraction: float | None = valid_fraction_option("hold out this random fraction of the training pieces",
                                                         "--valid")
    embedding: int = option(64, "size of each input's embedding (pitch, duration, bar position, metre)",
                            type=positive_int, group="model")
    hidden: int = like(256)
    dropout: float = like(0.5)
    batch_size: int | None = like(None, help="pieces per batch (default: about an eighth of the training pieces, 4 "
                                             "to 16)")
    epochs: int | None = like(None, help="passes over the training pieces (default: from the number of notes, and the "
                                         "run stops when the validation bits per note stop improving)")


def budget(notes_per_piece: float) -> Budget:
    """A default run's length for pieces of ``notes_per_piece`` notes (the typical piece's): it reads
    ``NOTES_READ`` notes, so that a small collection is read many times and a large one a few
    times, in at least 500 steps and at most 100 passes, validating 50 times."""
    return Budget(NOTES_READ / notes_per_piece, max_epochs=100, min_steps=500, evaluations=50)
