"""The many-to-one classifier over recordings (sequences of vectors): per-channel normalisation
fitted on training data and kept with the weights, variable lengths, and that it learns."""
import math

import pytest
import torch

from rnnkit.data.recordings import pad_cases
from rnnkit.models import SequenceClassifier


def model(**options):
    return SequenceClassifier(0, 2, embedding_dim=8, hidden_size=8, features=2, labels=["down", "up"], **options)


def cases(n, seed=0):
    """Two channels; "up" cases rise in channel 0, "down" ones fall; lengths 5 to 12."""
    g = torch.Generator().manual_seed(seed)
    out, labels = [], []
    for _ in range(n):
        up = bool(torch.randint(0, 2, (1,), generator=g))
        T = int(torch.randint(5, 13, (1,), generator=g))
        t = torch.arange(T, dtype=torch.float64)
        slope = 1.0 if up else -1.0
        out.append(torch.stack([100 + slope * t + 0.3 * torch.randn(T, generator=g, dtype=torch.float64),
                                torch.randn(T, generator=g, dtype=torch.float64)], -1))
        labels.append(int(up))
    return out, torch.tensor(labels)


def test_normalization_is_fitted_per_channel_without_missing_values_and_saved():
    m = model()
    m.fit_normalization([torch.tensor([[1.0, 5.0], [3.0, 5.0]], dtype=torch.float64),
                         torch.tensor([[math.nan, 5.0], [5.0, 5.0]], dtype=torch.float64)])
    torch.testing.assert_close(m.channel_mean, torch.tensor([3.0, 5.0]))
    torch.testing.assert_close(m.channel_std, torch.tensor([math.sqrt(8 / 3), 1.0]))   # a constant channel: 1
    state = m.state_dict()
    assert "channel_mean" in state and "channel_std" in state
    again = SequenceClassifier(**m.config)
    again.load_state_dict(state)
    torch.testing.assert_close(again.channel_mean, m.channel_mean)


@pytest.mark.parametrize("normalize", ["training", "case"])
def test_a_padded_batch_equals_each_recording_alone_and_missing_values_are_read(normalize):
    torch.manual_seed(0)
    m = model(dropout=0.0, normalize=normalize).eval()
    data, _ = cases(4)
    data[1][2, 0] = math.nan
    m.fit_normalization(data)
    x, lengths = pad_cases(data)
    logits, _ = m(x, lengths)
    assert torch.isfinite(logits).all()
    for b, case in enumerate(data):
        alone, _ = m(case[:, None], torch.tensor([len(case)]))
        torch.testing.assert_close(alone[0], logits[b], atol=1e-5, rtol=1e-4)


def test_it_learns_rising_from_falling():
    torch.manual_seed(0)
    m = model(dropout=0.0)
    data, labels = cases(64)
    m.fit_normalization(data)
    x, lengths = pad_cases(data)
    opt = torch.optim.Adam(m.parameters(), lr=0.02)
    for _ in range(60):
        opt.zero_grad()
        nats, n = m.loss(x, lengths, labels)
        (nats / n).backward()
        opt.step()
    test, test_labels = cases(32, seed=1)
    probabilities, _ = m.classify(test, pad_cases)
    predicted = [m.labels[int(k)] for k in probabilities.argmax(-1)]
    assert sum(p == ["down", "up"][int(y)] for p, y in zip(predicted, test_labels)) >= 30


def test_deltas_are_step_differences_normalised_as_channels_of_their_own():
    m = model(deltas=True)
    data = [torch.tensor([[1.0, 0.0], [3.0, 0.0], [7.0, 0.0]], dtype=torch.float64)]
    m.fit_normalization(data)
    # channel 0 is 1, 3, 7; its difference is unknown, 2, 4 (the first left out of the statistics)
    torch.testing.assert_close(m.channel_mean, torch.tensor([11 / 3, 0.0, 3.0, 0.0]))
    torch.testing.assert_close(m.channel_std[2], torch.tensor(1.0))
    x, lengths = m.steps(data[0][:, None], torch.tensor([3]))
    torch.testing.assert_close(x[:, 0, 2], torch.tensor([0.0, -1.0, 1.0]))   # the first step at the mean
    assert m.vectors.features == 4 and SequenceClassifier(**m.config).deltas


def test_case_normalisation_reads_the_shape_apart_from_the_level_and_scale():
    m = model(normalize="case")
    data, _ = cases(6)
    m.fit_normalization(data)
    assert m.vectors.features == 6 and SequenceClassifier(**m.config).normalize == "case"
    a = data[0]
    x, _ = m.steps(a[:, None], torch.tensor([len(a)]))
    y, _ = m.steps((a * 1000 + 7)[:, None], torch.tensor([len(a)]))
    z = (a - a.mean(0)) / a.std(0, unbiased=False)                       # each channel by the case's own figures
    level = torch.cat([a.mean(0), a.std(0, unbiased=False).log()]).expand(len(a), -1)
    torch.testing.assert_close(x[:, 0], ((torch.cat([z, level], -1) - m.channel_mean) / m.channel_std).float())
    torch.testing.assert_close(x[..., :2], y[..., :2])                   # the same shape...
    assert (x[..., 2:] - y[..., 2:]).abs().min() > 0.1                   # ...at another level and scale
    with pytest.raises(ValueError, match="normalize must be one of"):
        model(normalize="each")


def test_frames_read_k_steps_as_one_vector_and_the_rest_past_the_end_as_the_mean():
    m = model(frame=3)
    m.fit_normalization([torch.zeros(1, 2, dtype=torch.float64)])   # mean 0, std 1: values read as they are
    a = torch.arange(14.0).reshape(7, 2) + 1
    x, lengths = m.steps(pad_cases([a, a[:2]])[0], torch.tensor([7, 2]))
    assert x.shape == (3, 2, 6) and lengths.tolist() == [3, 1]
    torch.testing.assert_close(x[0, 0], a[:3].reshape(-1))
    torch.testing.assert_close(x[2, 0], torch.cat([a[6], torch.zeros(4)]))
    torch.testing.assert_close(x[0, 1], torch.cat([a[:2].reshape(-1), torch.zeros(2)]))
    logits, _ = m.eval()(*pad_cases([a, a[:2]]))
    alone, _ = m(a[:2, None], torch.tensor([2]))
    torch.testing.assert_close(alone[0], logits[1], atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="frame must be >= 1"):
        model(frame=0)


def test_a_clip_classifier_with_deltas_reads_each_frame_with_its_difference_from_the_one_before():
    """The CNN sees [frame, frame - previous] (zero difference at the first frame): a still clip and
    the same frames shuffled differ only through the differences."""
    torch.manual_seed(0)
    model = SequenceClassifier(0, 2, embedding_dim=8, hidden_size=8, image_size=(8, 8), cnn_channels=(4,),
                               deltas=True, dropout=0.0).eval()
    assert model.cnn.in_channels == 2 and model.config["deltas"] is True
    seen = []
    model.cnn.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    clips = torch.randint(0, 256, (3, 1, 1, 8, 8), dtype=torch.uint8)
    model(clips, torch.tensor([3]))
    frames = clips[:, 0].float() / 255
    torch.testing.assert_close(seen[0][:, :1], frames)
    torch.testing.assert_close(seen[0][:, 1:], torch.cat([torch.zeros_like(frames[:1]), frames[1:] - frames[:-1]]))
