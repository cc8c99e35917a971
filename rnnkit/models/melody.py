"""One-to-many: a melody from its first note, one note event (pitch, duration) at a time.

    x_t = [e(p_{t-1}); D[d_{t-1}]; B[b_t]; M[m]]       the previous note, where this one starts in
                                                       the bar, the metre
    h_t, state = RNN(x_t, state)
    p(p_t | past)      = softmax(W_p h_t + (W_c h_t)[class(p_t)] + (W_o h_t)[octave(p_t)])
    p(d_t | p_t, past) = softmax(W_d [h_t; e(p_t)])

Pitch and duration are two heads of one step, the duration read after the pitch: the joint
``p(p_t, d_t) = p(p_t) p(d_t | p_t)`` is exact, so bits per note add up, and a rest's length or a
long final note is learnt with the pitch it belongs to.  Pitches span the whole MIDI range (0-127)
plus a rest and the end of the melody; a pitch is embedded, and scored, as the sum of its own
vector, its pitch class's and its octave's, so a pitch never seen in training still has a
meaningful input and a probability (through its class and octave).  ``e`` is that embedding.
Durations are a vocabulary of quarter-note lengths; bar positions are 1/48ths of the bar (49th: no
metre); metres a vocabulary (0: unknown).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.engine.projection import linear
from rnnkit.layers import Recurrent

MIDI = 128
REST, END, START = 128, 129, 130     # pitch tokens past the MIDI range; START is an input only
PITCH_OUTPUTS = 130                  # MIDI pitches, the rest and the end
POSITIONS = 49                       # 48 places in the bar, and "no metre"
NO_POSITION = 48


class MelodyBatch(NamedTuple):
    """Melodies, time-major: at step t the model reads the previous note (``pitch_in``,
    ``duration_in``; START and ``first_duration`` at t = 0) and where the next starts in the bar
    (``position``), and predicts ``pitch_out`` and ``duration_out`` (-1 where nothing is predicted:
    padding, and the duration of END)."""
    pitch_in: torch.Tensor       # [T, B]
    duration_in: torch.Tensor    # [T, B]
    position: torch.Tensor       # [T, B]
    meter: torch.Tensor          # [B]
    lengths: torch.Tensor        # [B]: notes + 1 (the end)
    pitch_out: torch.Tensor      # [T, B]
    duration_out: torch.Tensor   # [T, B]


def _class_and_octave() -> tuple[torch.Tensor, torch.Tensor]:
    tokens = torch.arange(START + 1)
    midi = tokens < MIDI
    return torch.where(midi, tokens % 12, 12), torch.where(midi, tokens // 12, 11)


class MelodyModel(nn.Module):
    def __init__(self, durations: list[str], meters: list[str], embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0, **rnn_options):
        """``durations``: the duration vocabulary (quarter notes, as "1/2"); ``meters``: the metres
        known ("3/4"), index 0 being "unknown"."""
        super().__init__()
        cell, rnn_options = resolve(cell, rnn_options)
        self.config = dict(durations=list(durations), meters=list(meters), embedding_dim=embedding_dim,
                           hidden_size=hidden_size, num_layers=num_layers, cell=cell, dropout=dropout, **rnn_options)
        self.durations, self.meters = list(durations), list(meters)
        pitch_class, octave = _class_and_octave()
        self.register_buffer("pitch_class", pitch_class, persistent=False)
        self.register_buffer("octave", octave, persistent=False)
        E = embedding_dim
        self.pitch_own, self.pitch_class_embedding, self.octave_embedding = (
            nn.Embedding(START + 1, E), nn.Embedding(13, E), nn.Embedding(12, E))
        self.duration_embedding = nn.Embedding(len(durations) + 1, E)   # the last: before the first note
        self.position_embedding = nn.Embedding(POSITIONS, E)
        self.meter_embedding = nn.Embedding(len(meters), E)
        self.dropout = nn.Dropout(dropout)
        self.rnn = Recurrent(cell, 4 * E, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                             **rnn_options)
        self.pitch_head = nn.Linear(hidden_size, PITCH_OUTPUTS)
        self.class_head = nn.Linear(hidden_size, 13)
        self.octave_head = nn.Linear(hidden_size, 12)
        self.duration_head = nn.Linear(hidden_size + E, len(durations))

    @property
    def first_duration(self) -> int:
        """The duration token read before the first note."""
        return len(self.durations)

    def embed_pitch(self, pitch: torch.Tensor) -> torch.Tensor:
        """e(p): the pitch's own vector plus its class's and octave's."""
        return (self.pitch_own(pitch) + self.pitch_class_embedding(self.pitch_class[pitch])
                + self.octave_embedding(self.octave[pitch]))

    def inputs(self, pitch, duration, position, meter) -> torch.Tensor:
        """x_t for the previous notes ``pitch``, ``duration`` and the ``position`` of the next, all
        ``[T, B]`` (or ``[B]``), in metre ``meter [B]``."""
        m = self.meter_embedding(meter).expand(*pitch.shape, -1)
        x = torch.cat([self.embed_pitch(pitch), self.duration_embedding(duration), self.position_embedding(position),
                       m], -1)
        return self.dropout(x)

    def pitch_logits(self, h: torch.Tensor) -> torch.Tensor:
        """``h [..., H]`` -> pitch logits ``[..., PITCH_OUTPUTS]``: own + class + octave scores."""
        h = self.dropout(h)
        own = linear(h, self.pitch_head.weight, self.pitch_head.bias)
        by_class = linear(h, self.class_head.weight, self.class_head.bias)
        by_octave = linear(h, self.octave_head.weight, self.octave_head.bias)
        return own + by_class[..., self.pitch_class[:PITCH_OUTPUTS]] + by_octave[..., self.octave[:PITCH_OUTPUTS]]

    def duration_logits(self, h: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        """``h [..., H]`` and the chosen ``pitch [...]`` -> duration logits ``[..., durations]``."""
        x = torch.cat([self.dropout(h), self.embed_pitch(pitch)], -1)
        return linear(x, self.duration_head.weight, self.duration_head.bias)

    def forward(self, pitch, duration, position, meter, lengths=None, state=None):
        """Inputs ``[T, B]`` (see ``inputs``) -> ``(h [T, B, H], state)``."""
        return self.rnn(self.inputs(pitch, duration, position, meter), state, lengths=lengths)

    def event_nats(self, batch: "MelodyBatch") -> tuple[torch.Tensor, torch.Tensor]:
        """The pitch and the duration cross-entropy (nats) of every event of ``batch``, ``[T, B]``
        each, 0 where there is no such prediction (padding; the duration of the end)."""
        h, _ = self(batch.pitch_in, batch.duration_in, batch.position, batch.meter, batch.lengths)
        pitch, duration = batch.pitch_out.clamp(min=0), batch.duration_out.clamp(min=0)
        pitch_nats = nn.functional.cross_entropy(self.pitch_logits(h).flatten(0, 1), pitch.flatten(),
                                                 reduction="none").view_as(pitch)
        duration_nats = nn.functional.cross_entropy(self.duration_logits(h, pitch).flatten(0, 1), duration.flatten(),
                                                    reduction="none").view_as(duration)
        return pitch_nats * (batch.pitch_out >= 0), duration_nats * (batch.duration_out >= 0)

    def initial_state(self, batch_size: int = 1):
        return None

    def step(self, pitch, duration, position, meter, state=None):
        """One event per melody, ``[B]`` each -> ``(h [B, H], state)`` on the layer's lean step."""
        return self.rnn.step(self.inputs(pitch, duration, position, meter), state)
