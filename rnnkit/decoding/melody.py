"""Composing: a melody model's notes drawn one event at a time, the pitch first, then its duration
given the pitch, each through ``sample`` (temperature, top-k, top-p)."""
from __future__ import annotations

from fractions import Fraction

import torch

from rnnkit.decoding.sampling import ban, sample
from rnnkit.devices import device_of
from rnnkit.models.melody import END, NO_POSITION, REST, START


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
