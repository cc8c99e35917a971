import math

import pytest

from rnnkit.training import Schedule, bits_per_char, format_lm_metrics, lm_metrics, perplexity


def test_cosine_goes_from_base_to_min():
    s = Schedule("cosine", base_lr=1.0, min_lr=0.1)
    assert s.lr(0, 0, 0.0) == pytest.approx(1.0)
    assert s.lr(50, 0, 0.5) == pytest.approx(0.55)
    assert s.lr(99, 0, 1.0) == pytest.approx(0.1)


def test_step_decay_as_zaremba():
    """lr 1 for four epochs, then halved every epoch."""
    s = Schedule("step", base_lr=1.0, gamma=0.5, start=4, every=1)
    assert [s.lr(0, e, 0) for e in range(7)] == [1, 1, 1, 1, 0.5, 0.25, 0.125]


def test_plateau_warmup_and_backoff():
    s = Schedule("plateau", base_lr=1.0, factor=0.1, patience=2, warmup_steps=4)
    assert s.lr(0, 0, 0) == pytest.approx(0.25) and s.lr(3, 0, 0) == pytest.approx(1.0)
    for loss in (3.0, 2.0, 2.5, 2.4):
        s.observe(loss)
    assert s.lr(10, 0, 0) == pytest.approx(0.1)
    s.backoff = 0.5
    assert s.lr(10, 0, 0) == pytest.approx(0.05)
    assert Schedule.from_state(s.state_dict()) == s
    with pytest.raises(ValueError, match="schedule must be one of"):
        Schedule("linear")


def test_lm_metrics():
    m = lm_metrics(total_nats=200 * math.log(2), num_tokens=100, num_chars=100)
    assert m["loss"] == pytest.approx(2 * math.log(2)) and m["perplexity"] == pytest.approx(4.0)
    assert m["bpc"] == pytest.approx(2.0)
    assert bits_per_char(10 * math.log(2), 5) == pytest.approx(2.0)
    assert perplexity(1e6) == math.inf
    assert format_lm_metrics(m) == "loss 1.3863 nats/token  perplexity 4.00  bpc 2.00"
