"""The long-range problems: what each generator makes, seeded; the readout model's start."""
import pytest
import torch

from rnnkit.analysis.longrange import DELIMITER, RECALL, SYMBOLS, adding, copy_sequences, digit_sequences, generate
from rnnkit.models import SequenceReadout


def test_the_adding_problem_marks_one_value_in_each_half_and_sums_them():
    x, target = adding(500, 11, torch.Generator().manual_seed(0))
    assert x.shape == (11, 500, 2) and target.shape == (500,)
    markers = x[..., 1]
    assert torch.equal(markers.sum(0), torch.full((500,), 2.0))
    assert torch.equal(markers[:5].sum(0), torch.ones(500)) and torch.equal(markers[5:].sum(0), torch.ones(500))
    torch.testing.assert_close((x[..., 0] * markers).sum(0), target)
    assert 0 <= float(x[..., 0].min()) and float(x[..., 0].max()) <= 1
    # predicting the mean, 1, scores about 1/6
    assert abs(float((target - 1).pow(2).mean()) - 1 / 6) < 0.03
    with pytest.raises(ValueError, match="at least 2 steps"):
        adding(3, 1, torch.Generator())


def test_the_copy_problem_asks_for_the_first_ten_symbols_after_the_delimiter():
    x, target = copy_sequences(4, 30, torch.Generator().manual_seed(1))
    assert x.shape == (30, 4, SYMBOLS + 2) and target.shape == (RECALL, 4)
    ids = x.argmax(-1)
    assert torch.equal(ids[:RECALL], target) and bool(((target >= 1) & (target <= SYMBOLS)).all())
    assert bool((ids[RECALL:19] == 0).all()) and bool((ids[19] == DELIMITER).all()) and bool((ids[20:] == 0).all())
    with pytest.raises(ValueError, match="at least 21 steps"):
        copy_sequences(1, 20, torch.Generator())


def test_generation_is_seeded_and_digits_read_by_rows_or_pixels():
    a, b = generate("adding", 3, 8, seed=5), generate("adding", 3, 8, seed=5)
    assert torch.equal(a[0], b[0]) and not torch.equal(a[0], generate("adding", 3, 8, seed=6)[0])
    images = torch.arange(2 * 3 * 4, dtype=torch.uint8).view(2, 3, 4)
    rows, pixels = digit_sequences(images, False), digit_sequences(images, True)
    assert rows.shape == (3, 2, 4) and pixels.shape == (12, 2, 1)
    assert float(rows[1, 1, 2]) == images[1, 1, 2] / 255 and float(pixels[6, 1, 0]) == images[1, 1, 2] / 255


def test_the_readout_answers_in_the_last_steps_and_starts_as_the_lectures_say():
    lstm = SequenceReadout(3, 5, answers=2, hidden_size=6)
    assert lstm(torch.randn(7, 4, 3)).shape == (2, 4, 5)
    forget = (lstm.rnn.bias_ih_l0 + lstm.rnn.bias_hh_l0)[6:12]
    assert torch.equal(forget, torch.ones(6))
    irnn = SequenceReadout(3, 1, hidden_size=6, cell="irnn", num_layers=2)
    assert irnn.rnn.cell.name == "rnn_relu" and irnn.config["cell"] == "irnn"
    assert torch.equal(irnn.rnn.weight_hh_l1, torch.eye(6)) and irnn.rnn.bias_hh_l0.abs().sum() == 0


def test_chrono_initialisation_spreads_the_forget_biases_over_the_length():
    torch.manual_seed(0)
    lstm = SequenceReadout(1, 2, hidden_size=500, chrono=100)
    bias = lstm.rnn.bias_ih_l0 + lstm.rnn.bias_hh_l0
    forget, remember = bias[500:1000], bias[:500]
    assert forget.min() >= 0 and forget.max() <= torch.log(torch.tensor(99.0))
    assert forget.max() > 4 and forget.min() < 1             # spread from a step's to the length's memory
    torch.testing.assert_close(remember, -forget)
    assert lstm.config["chrono"] == 100 and "chrono" not in SequenceReadout(1, 2, hidden_size=4).config
    with pytest.raises(ValueError, match="3 or more steps"):
        SequenceReadout(1, 2, chrono=2)
