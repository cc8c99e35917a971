"""Melodies: learn tunes as note events, then compose from a starting note (one-to-many).

Every piece is transposed by its key signature to the signature of C (a tune in G moves down 7
semitones or up 5, whichever stays nearer): the model learns melodies relative to their key,
and ``compose --key`` moves its notes back.  Bits per note do not change with this, as the key
signature is given with each piece.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import torch

from rnnkit.data import SentenceBatches, hold_out, pad_batch
from rnnkit.data.music import (Note, Piece, bar_quarters, note_name, parse_key, parse_meter, parse_pitch, read_music,
                               signature_shift, write_midi)
from rnnkit.decoding.melody import compose
from rnnkit.devices import device_of, to_device
from rnnkit.errors import DataError, RnnkitError
from rnnkit.models.melody import END, NO_POSITION, REST, START, MelodyBatch, MelodyModel
from rnnkit.models.modes import evaluating
from rnnkit.tasks.base import Output, Prepared, Task, Verb, load, parameters, write_export
from rnnkit.tasks.budget import Budget, batch_for, reading
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import (DEVICE, Option, held_out, like, non_negative_float, option, output_file,
                                  positive_int, run_dir_argument, top_p, valid_fraction_option)
from rnnkit.training.plots import plot_piano_roll

# the note values every duration vocabulary holds (quarter notes): 1/32 to 4 wholes, dotted, and triplets
STANDARD_DURATIONS = sorted({Fraction(16, 2 ** k) * f for k in range(8) for f in (1, Fraction(3, 2))}
                            | {Fraction(4, 3 * 2 ** k) for k in range(0, 5)})
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
            pitches = [REST if n.pitch is None else _in_midi(n.pitch - shift) for n in piece.notes]
            ids = []
            for n in piece.notes:
                if n.duration not in index:
                    moved += 1
                ids.append(index.get(n.duration) if n.duration in index else index[_nearest(n.duration, known)])
            places = [_place(n.position) for n in piece.notes]
            last = piece.notes[-1]
            bar = bar_quarters(piece.meter)
            after = NO_POSITION if last.position is None or bar is None else _place((last.position + last.duration
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


class MelodyTask(Task):
    name, noun = "melody", "melody model"
    help = "train a melody model on tunes (ABC, MIDI, MusicXML through music21) to compose from a starting note"
    description = ("Train a recurrent model of melodies as note events (pitch and duration, with the bar position and "
                   "metre as inputs) on music files; `rnnkit compose` then writes a melody from a starting note. "
                   "Pieces are transposed by their key signature to that of C. Needs music21 (pip install "
                   "'rnnkit[music]'); reading is slow the first time (parsed files are cached).")
    Config, model_class = MelodyConfig, MelodyModel
    unit = "event"
    select = "joint_bits"
    evaluate_options = (Option(READS, flags=("--music",), dest="music", nargs="+", metavar="FILE", required=True),)
    evaluate_help = ("a melody model gives pitch, duration and joint bits per note (--music: music files or "
                     "folders)")

    def prepare(self, run) -> Prepared:
        c = self.config
        pieces = read_music(c.music)
        if c.valid:
            train, valid = pieces, read_music(c.valid)
        else:
            fraction = held_out(c.valid_fraction)
            train, valid = hold_out(pieces, fraction, c.seed) if len(pieces) > 1 else (pieces, [])
        if run is not None:
            vocab = run.read_config()["model"]
            durations, meters = vocab["durations"], vocab["meters"]
        else:
            seen = {n.duration for piece in train for n in piece.notes}
            durations = [str(d) for d in sorted(seen | set(STANDARD_DURATIONS))]
            meters = ["unknown", *sorted({p.meter for p in train if p.meter})]
        melodies = Melodies(train, durations, meters)
        sounding = [p for pitches, *_ in melodies.examples for p in pitches if p != REST]
        if not sounding:
            raise DataError(f"{' '.join(c.music)}: the training pieces hold only rests")
        c = dataclasses.replace(c, batch_size=c.batch_size or batch_for(len(train), 16))
        training = budget(statistics.median(len(p.notes) for p in train)).length(len(train), c)
        options = c.recurrent_options()
        model = MelodyModel(durations, meters, embedding_dim=c.embedding, **options)
        common = Counter(p.meter for p in train if p.meter).most_common(1)
        notes = sum(len(p.notes) for p in train)
        data = {"pitch_range": [min(sounding), max(sounding)], "meter": common[0][0] if common else None,
                "pieces": len(train), "resolved": {"batch_size": c.batch_size}, "training": training}
        description = (f"{c.cell.upper()} melody model: {parameters(model)}, "
                       f"{len(train):,} training pieces ({notes:,} notes, {note_name(min(sounding))}-"
                       f"{note_name(max(sounding))} in C), {len(valid):,} validation pieces, {len(durations)} "
                       f"durations, {len(meters) - 1} metre(s), batch {c.batch_size}; {reading(training)}"
                       + (f", validating every {training['eval_every']} steps and stopping after "
                          f"{training['patience']} without improvement" if valid else ""))
        batches = melodies.batches(c.batch_size, c.seed)
        return Prepared(model, batches.epoch, Melodies(valid, durations, meters) if valid else None, data,
                        description, training=training)

    def loss(self, model, batch, carry, step):
        pitch, duration = model.event_nats(batch)
        return pitch.sum() + duration.sum(), int((batch.pitch_out >= 0).sum()), None

    def validate(self, model, valid) -> dict:
        return score(model, valid)

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation {summary['best_valid']:.4f} bits/note (pitch and duration)", []

    @classmethod
    def evaluate(cls, model, args):
        m = model.config
        return score(model, Melodies(read_music(args.music), m["durations"], m["meters"])), []

    @classmethod
    def export(cls, model, folder):
        """``step.onnx`` (the previous note, the next one's place in the bar and the metre -> the
        pitch scores, the hidden state and the next state) and ``duration.onnx`` (the hidden state
        and the chosen pitch -> the duration scores): ``rnnkit compose``'s loop, outside Python."""
        from rnnkit.models.melody import END, NO_POSITION, PITCH_OUTPUTS, REST, START
        from rnnkit.models.onnx import STATE_NAMES, melody_duration, melody_step

        states = list(STATE_NAMES[: model.rnn.cell.num_states])
        return write_export(folder, {"step.onnx": melody_step(model), "duration.onnx": melody_duration(model)}, {
            "task": cls.name, "durations": model.durations, "meters": model.meters,
            "pitches": {"midi": "0-127", "rest": REST, "end": END, "start": START, "outputs": PITCH_OUTPUTS},
            "first_duration": model.first_duration, "position": {"places_per_bar": NO_POSITION, "no_meter": NO_POSITION},
            "step": {"inputs": ["pitch", "duration", "position", "meter", *states],
                     "outputs": ["pitch_logits", "hidden", *(f"{s}_next" for s in states)],
                     "start": "pitch = start and duration = first_duration before the first note; the states zeros"},
            "duration": {"inputs": ["hidden", "pitch"], "outputs": ["duration_logits"]},
            "transposition": "pieces were transposed to the key signature of C: move the melody to the key wanted"})

    @staticmethod
    def format_metrics(m: dict) -> str:
        """``pitch 2.3456 bits/note  duration 0.8765 bits/note  joint 3.2221 bits/note``."""
        return (f"pitch {m['pitch_bits']:.4f} bits/note  duration {m['duration_bits']:.4f} bits/note  "
                f"joint {m['joint_bits']:.4f} bits/note")


@torch.no_grad()
def score(model: MelodyModel, melodies: Melodies, batch_size: int = 32) -> dict:
    """Bits per note of the pitch, of the duration given the pitch and of both (the end of each
    piece not counted), and the loss in nats per event (the ends counted)."""
    pitch = end = duration = 0.0
    notes = events = 0
    with evaluating(model):
        for batch in melodies.batches(batch_size, shuffle=False).epoch():
            batch = MelodyBatch(*to_device(tuple(batch), device_of(model)))
            pitch_nats, duration_nats = model.event_nats(batch)
            is_end = batch.pitch_out == END
            pitch += float(pitch_nats[~is_end].sum())
            end += float(pitch_nats[is_end].sum())
            duration += float(duration_nats.sum())
            events += int((batch.pitch_out >= 0).sum())
            notes += int((batch.duration_out >= 0).sum())
    bits = 1 / (math.log(2) * max(notes, 1))
    return {"loss": (pitch + end + duration) / max(events, 1), "pitch_bits": pitch * bits,
            "duration_bits": duration * bits, "joint_bits": (pitch + duration) * bits, "notes": notes}


def composed(model: MelodyModel, start: list[int], notes: int, *, sharps: int = 0, meter: str | None = None,
             temperature: float = 1.0, top_p: float | None = None, seed: int = 0) -> tuple[list[Note], list[str]]:
    """A melody of ``notes`` sounding notes beginning with the MIDI pitches ``start``, in the key
    signature ``sharps`` and ``meter`` (None: the commonest of training), and warnings."""
    data, notes_said = model.run_config["data"], []
    meter = meter or data["meter"] or "unknown"
    if meter not in model.meters:
        raise RnnkitError(f"--meter {meter}: the model knows the metres {', '.join(model.meters[1:]) or '(none)'}")
    if notes < len(start):
        raise RnnkitError(f"--notes {notes}: fewer than the {len(start)} start notes")
    shift = signature_shift(sharps)
    low, high = data["pitch_range"]
    octaves = 0
    while start[0] - shift + 12 * octaves < low:
        octaves += 1
    while start[0] - shift + 12 * octaves > high:
        octaves -= 1
    if octaves:
        notes_said.append(f"{note_name(start[0])} lies outside the range the model learnt ({note_name(low + shift)}-"
                          f"{note_name(high + shift)} in this key): it composes {abs(octaves)} octave(s) "
                          f"{'higher' if octaves > 0 else 'lower'} and the melody is moved back to start on "
                          f"{note_name(start[0])}")
    events = compose(model, [_in_midi(p - shift + 12 * octaves) for p in start], notes, model.meters.index(meter),
                     bar_quarters(meter), temperature=temperature, top_p=top_p,
                     generator=torch.Generator().manual_seed(seed))
    move = shift - 12 * octaves
    return [Note(None if p == REST else min(127, max(0, p + move)), d, None) for p, d in events], notes_said


def _in_midi(pitch: int) -> int:
    """A transposed pitch moved by octaves into the MIDI range."""
    while pitch < 0:
        pitch += 12
    while pitch > 127:
        pitch -= 12
    return pitch


def _nearest(duration: Fraction, known: list[Fraction]) -> Fraction:
    return min(known, key=lambda d: abs(math.log(d / duration)))


def _place(position: Fraction | None) -> int:
    return NO_POSITION if position is None else round(position * NO_POSITION) % NO_POSITION


def note_list(text: str) -> list[int]:
    """``--start``: one or more notes with their octaves (``C4``, ``"C4 E4 G4"``, ``C4,E4``)."""
    names = text.replace(",", " ").split()
    if not names:
        raise ValueError("give a note with its octave, e.g. C4")
    return [parse_pitch(name) for name in names]


def _compose(args) -> Output:
    model = load(args.run_dir, args.device, task="melody")
    start = [p for group in args.start for p in group]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        melody, said = composed(model, start, args.notes, sharps=args.key, meter=args.meter,
                                temperature=args.temperature, top_p=args.top_p, seed=args.seed)
    meter = args.meter or model.run_config["data"]["meter"]
    write_midi(melody, args.output, sharps=args.key, meter=meter)
    out = Output(" ".join(f"{note_name(n.pitch)}:{n.duration}" for n in melody) + "\n",
                 [*said, *(str(w.message) for w in caught), f"MIDI file: {args.output}"])
    if args.plot:
        plot_piano_roll([(n.pitch, n.duration) for n in melody], args.plot,
                        f"{len(start)} start note(s), {args.notes} notes, metre {meter or 'none'}", first=len(start))
        out.notes.append(f"piano roll: {args.plot}")
    return out


COMPOSE = Verb(
    "compose", "compose a melody from a starting note with a trained melody model",
    "Write a melody that begins with the --start note(s) (their durations are drawn) and has --notes sounding notes "
    "in all (the end of the melody is held back until then; rests do not count), as a MIDI file (--output, "
    "through music21), and print it on stdout as one line of NOTE:DURATION, durations in quarter notes (C4:1 "
    "E4:1/2 rest:1/2 ...). Each note's pitch is drawn first, then its duration given the pitch, with --temperature "
    "and --top-p. A start note outside the pitches the model learnt is moved by octaves into them (with a "
    "warning) and the melody moved back.",
    (run_dir_argument("melody"),
     Option("the first note(s), with octave: C4, F#3, Bb5 (several: --start C4 E4 G4)", flags=("--start",),
            dest="start", type=note_list, nargs="+", required=True, metavar="NOTE"),
     Option("the key the melody is written in: G, D major, e minor, Bb, f#m (its key signature counts; default C)",
            flags=("--key",), dest="key", type=parse_key, default=0, metavar="KEY"),
     Option("the metre, e.g. 3/4 or 6/8, one the model learnt (default: the commonest in training)",
            flags=("--meter",), dest="meter", type=parse_meter, metavar="M"),
     Option("sounding notes in the melody, the start notes included", flags=("--notes",), dest="notes",
            type=positive_int, default=32, metavar="N"),
     Option("softmax temperature; 0 always takes the most likely pitch and duration", flags=("--temperature",),
            dest="temperature", type=non_negative_float, default=1.0),
     Option("draw only from the smallest set of most likely choices with probability >= P (1: no filtering)",
            flags=("--top-p",), dest="top_p", type=top_p, default=0.95, metavar="P"),
     Option("random seed", flags=("--seed",), dest="seed", type=int, default=0),
     Option("the MIDI file to write", flags=("--output",), dest="output", type=output_file, required=True,
            metavar="FILE.mid"),
     Option("draw a piano roll into FILE.png", flags=("--plot",), dest="plot", type=output_file, metavar="FILE"),
     DEVICE),
    _compose)

MelodyTask.verbs = (COMPOSE,)
