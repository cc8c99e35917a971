"""Composing: a melody model's notes drawn one event at a time, the pitch first, then its duration
given the pitch, each through ``sample`` (temperature, top-k, top-p)."""
from __future__ import annotations

from fractions import Fraction

import torch

from rnnkit.data.music import Note, bar_quarters, note_name, signature_shift
from rnnkit.decoding.sampling import ban, sample
from rnnkit.devices import device_of
from rnnkit.errors import RnnkitError
from rnnkit.models.melody import END, NO_POSITION, REST, START, MelodyModel
from rnnkit.tasks.melody.melodies import in_midi


@torch.no_grad()
def compose(model, start: list[int], notes: int, meter: int, bar: Fraction | None, *, temperature: float = 1.0,
            top_k: int | None = None, top_p: float | None = None, generator: torch.Generator | None = None,
            allowed: range = range(128)) -> list[tuple[int, Fraction]]:
    """``(pitch token, duration)`` events of a melody with ``notes`` sounding notes that begins with
    the pitches ``start`` (their durations drawn), in metre ``meter`` (an index of the model's
    metres) whose bar lasts ``bar`` quarter notes (None: no bar positions).  The end is never
    drawn (the melody stops at ``notes`` notes); pitches outside ``allowed`` are never drawn; a
    melody is cut after ``4 * notes + 16`` events (rests included)."""
    device = device_of(model)
    banned = [END, *(p for p in range(128) if p not in allowed)]
    pitch, duration, position, state = START, model.first_duration, Fraction(0), None
    events, sounding = [], 0
    while sounding < notes and len(events) < 4 * notes + 16:
        place = NO_POSITION if bar is None else round(position * NO_POSITION) % NO_POSITION
        h, state = model.step(*(torch.tensor([v], device=device) for v in (pitch, duration, place, meter)), state)
        if len(events) < len(start):
            pitch = start[len(events)]
        else:
            pitch = int(sample(ban(model.pitch_logits(h), banned).cpu(), temperature, top_k, top_p, generator))
        duration = int(sample(model.duration_logits(h, torch.tensor([pitch], device=device)).cpu(), temperature,
                              top_k, top_p, generator))
        length = Fraction(model.durations[duration])
        events.append((pitch, length))
        sounding += pitch != REST
        if bar is not None:
            position = (position + length / bar) % 1
    return events


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
    events = compose(model, [in_midi(p - shift + 12 * octaves) for p in start], notes, model.meters.index(meter),
                     bar_quarters(meter), temperature=temperature, top_p=top_p,
                     generator=torch.Generator().manual_seed(seed))
    move = shift - 12 * octaves
    return [Note(None if p == REST else min(127, max(0, p + move)), d, None) for p, d in events], notes_said
