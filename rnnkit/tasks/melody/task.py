"""Melodies (one-to-many from a starting note): a model of note events trained on music files."""
from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter

import torch

from rnnkit.data import hold_out
from rnnkit.data.music import note_name, read_music
from rnnkit.devices import device_of, to_device
from rnnkit.errors import DataError
from rnnkit.models.melody import END, REST, MelodyBatch, MelodyModel
from rnnkit.models.modes import evaluating
from rnnkit.tasks.base import Prepared, Task, parameters, write_export
from rnnkit.tasks.budget import batch_for, reading
from rnnkit.tasks.melody import python
from rnnkit.tasks.melody.config import READS, MelodyConfig, budget
from rnnkit.tasks.melody.melodies import STANDARD_DURATIONS, Melodies
from rnnkit.tasks.melody.verbs import VERBS
from rnnkit.tasks.options import Option, held_out


class MelodyTask(Task):
    name, noun = "melody", "melody model"
    help = "train a melody model on tunes (ABC, MIDI, MusicXML through music21) to compose from a starting note"
    description = ("Train a recurrent model of melodies as note events (pitch and duration, with the bar position and "
                   "metre as inputs) on music files; `rnnkit compose` then writes a melody from a starting note. "
                   "Pieces are transposed by their key signature to that of C. Needs music21 (pip install "
                   "'rnnkit[music]'); reading is slow the first time (parsed files are cached).")
    Config, model_class = MelodyConfig, python.TrainedMelodyModel
    data_files = staticmethod(python.data_files)
    test_options = {"valid": "music"}
    verbs = VERBS
    exports = "a melody model gives step.onnx and duration.onnx"
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
        from rnnkit.models.onnx import STATE_NAMES
        from rnnkit.tasks.melody.export import melody_duration, melody_step

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


