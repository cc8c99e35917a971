"""Pieces of music as the model's events (pitch, duration, bar position, metre), batched."""
from __future__ import annotations

import math
import warnings
from fractions import Fraction

import torch

from rnnkit.data import SentenceBatches, pad_batch
from rnnkit.data.music import Piece, bar_quarters, signature_shift
from rnnkit.models.melody import END, NO_POSITION, REST, START, MelodyBatch

# the note values every duration vocabulary holds (quarter notes): 1/32 to 4 wholes, dotted, and triplets
STANDARD_DURATIONS = sorted({Fraction(16, 2 ** k) * f for k in range(8) for f in (1, Fraction(3, 2))}
                            | {Fraction(4, 3 * 2 ** k) for k in range(0, 5)})


class Melodies:
    """Pieces as model events: pitches in the signature of C (``REST`` for rests), duration ids, bar
    positions (1/48ths, ``NO_POSITION`` without a metre) and the metre id."""

    def __init__(self, pieces: list[Piece], durations: list[str], meters: list[str]):
        self.pieces, self.first_duration = pieces, len(durations)
        index = {Fraction(d): k for k, d in enumerate(durations)}
        known = sorted(index)
        meter_ids = {m: k for k, m in enumerate(meters)}
        self.examples, moved = [], 0
        for piece in pieces:
            shift = signature_shift(piece.sharps)
            pitches = [REST if n.pitch is None else in_midi(n.pitch - shift) for n in piece.notes]
            ids = []
            for n in piece.notes:
                if n.duration not in index:
                    moved += 1
                ids.append(index.get(n.duration) if n.duration in index else index[nearest_duration(n.duration, known)])
            places = [bar_place(n.position) for n in piece.notes]
            last = piece.notes[-1]
            bar = bar_quarters(piece.meter)
            after = NO_POSITION if last.position is None or bar is None else bar_place((last.position + last.duration
                                                                                     / bar) % 1)
            self.examples.append((pitches, ids, places + [after], meter_ids.get(piece.meter, 0)))
        if moved:
            warnings.warn(f"{moved} note(s) have a duration the model does not know; each is read as the nearest "
                          "it knows")

    def __len__(self) -> int:
        return len(self.examples)

    def lengths(self) -> list[int]:
        return [len(pitches) + 1 for pitches, *_ in self.examples]

    def collate(self, indices: list[int]) -> MelodyBatch:
        examples = [self.examples[k] for k in indices]
        pitch_in, lengths = pad_batch([[START, *e[0]] for e in examples])
        duration_in, _ = pad_batch([[self.first_duration, *e[1]] for e in examples])
        position, _ = pad_batch([e[2] for e in examples])
        pitch_out, _ = pad_batch([[*e[0], END] for e in examples], -1)
        duration_out, _ = pad_batch([[*e[1], -1] for e in examples], -1)
        return MelodyBatch(pitch_in, duration_in, position, torch.tensor([e[3] for e in examples]), lengths,
                           pitch_out, duration_out)

    def batches(self, batch_size: int, seed: int = 0, shuffle: bool = True) -> SentenceBatches:
        return SentenceBatches(list(range(len(self))), self.lengths(), batch_size, self.collate, seed=seed,
                               shuffle=shuffle)


def in_midi(pitch: int) -> int:
    """A transposed pitch moved by octaves into the MIDI range."""
    while pitch < 0:
        pitch += 12
    while pitch > 127:
        pitch -= 12
    return pitch


def nearest_duration(duration: Fraction, known: list[Fraction]) -> Fraction:
    return min(known, key=lambda d: abs(math.log(d / duration)))


def bar_place(position: Fraction | None) -> int:
    return NO_POSITION if position is None else round(position * NO_POSITION) % NO_POSITION
