"""The melody model: its two heads give an exact joint probability, every MIDI pitch has one, the
lean step is the whole-sequence forward, and composing keeps to the start and the note count."""
from fractions import Fraction

import torch

from rnnkit.tasks.melody.compose import compose
from rnnkit.models.melody import END, NO_POSITION, PITCH_OUTPUTS, REST, START, MelodyBatch, MelodyModel

DURATIONS = ["1/2", "1", "3/2", "2"]
METERS = ["unknown", "3/4"]


def model(**options) -> MelodyModel:
    torch.manual_seed(0)
    return MelodyModel(DURATIONS, METERS, embedding_dim=8, hidden_size=16, **options).eval()


def batch() -> MelodyBatch:
    """Two melodies: 60 62 rest (durations 1, 1/2, 2) and 67 (3/2), in 3/4 and without a metre."""
    pitch_in = torch.tensor([[START, START], [60, 67], [62, 0], [REST, 0]])
    duration_in = torch.tensor([[4, 4], [1, 2], [0, 0], [3, 0]])
    position = torch.tensor([[0, NO_POSITION], [16, NO_POSITION], [24, 0], [0, 0]])
    pitch_out = torch.tensor([[60, 67], [62, END], [REST, -1], [END, -1]])
    duration_out = torch.tensor([[1, 2], [0, -1], [3, -1], [-1, -1]])
    return MelodyBatch(pitch_in, duration_in, position, torch.tensor([1, 0]), torch.tensor([4, 2]), pitch_out,
                       duration_out)


def test_event_nats_are_the_two_heads_cross_entropies():
    m, b = model(), batch()
    pitch_nats, duration_nats = m.event_nats(b)
    h, _ = m(b.pitch_in, b.duration_in, b.position, b.meter, b.lengths)
    for t in range(4):
        for k in range(2):
            if b.pitch_out[t, k] < 0:
                assert pitch_nats[t, k] == 0 and duration_nats[t, k] == 0
                continue
            pitch_logp = m.pitch_logits(h[t, k]).log_softmax(-1)[b.pitch_out[t, k]]
            torch.testing.assert_close(pitch_nats[t, k], -pitch_logp)
            if b.duration_out[t, k] < 0:
                assert duration_nats[t, k] == 0
            else:
                duration_logp = m.duration_logits(h[t, k], b.pitch_out[t, k]).log_softmax(-1)[b.duration_out[t, k]]
                torch.testing.assert_close(duration_nats[t, k], -duration_logp)


def test_every_pitch_has_a_probability_built_from_its_class_and_octave():
    m = model()
    h = torch.randn(3, 16)
    logits = m.pitch_logits(h)
    assert logits.shape == (3, PITCH_OUTPUTS) and torch.isfinite(logits.log_softmax(-1)).all()
    own = m.pitch_head(h)
    by_class, by_octave = m.class_head(h), m.octave_head(h)
    torch.testing.assert_close(logits[:, 61], own[:, 61] + by_class[:, 1] + by_octave[:, 5])
    torch.testing.assert_close(logits[:, REST], own[:, REST] + by_class[:, 12] + by_octave[:, 11])


def test_the_lean_step_is_the_whole_sequence_forward():
    m, b = model(cell="gru"), batch()
    h, _ = m(b.pitch_in[:, :1], b.duration_in[:, :1], b.position[:, :1], b.meter[:1])
    state = None
    for t in range(4):
        step, state = m.step(b.pitch_in[t, :1], b.duration_in[t, :1], b.position[t, :1], b.meter[:1], state)
        torch.testing.assert_close(step, h[t])


def test_gradients_reach_every_parameter():
    m = model().train()
    pitch_nats, duration_nats = m.event_nats(batch())
    (pitch_nats.sum() + duration_nats.sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_compose_keeps_the_start_and_counts_sounding_notes():
    m = model()
    for notes in (1, 5, 12):
        events = compose(m, [60, 64], max(notes, 2), 1, Fraction(3), generator=torch.Generator().manual_seed(1))
        assert [p for p, _ in events[:2]] == [60, 64]
        assert sum(p != REST for p, _ in events) == max(notes, 2)
        assert all(0 <= p < 128 or p == REST for p, _ in events)
        assert all(str(d) in DURATIONS for _, d in events)
    again = [compose(m, [60], 8, 0, None, generator=torch.Generator().manual_seed(3)) for _ in range(2)]
    assert again[0] == again[1]
    assert compose(m, [60], 8, 0, None, temperature=0) == compose(m, [60], 8, 0, None, temperature=0)
