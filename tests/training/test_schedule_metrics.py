import math

import pytest
import torch

from rnnkit.training import Schedule, perplexity


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


def test_confusion_and_classification_metrics_by_hand():
    from rnnkit.training import classification_metrics, confusion_matrix

    gold = torch.tensor([0, 0, 0, 1, 1, 2])
    predicted = torch.tensor([0, 0, 1, 1, 2, 2])
    confusion = confusion_matrix(predicted, gold, 4)
    assert confusion[:3, :3].tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]] and confusion[3].sum() == 0
    m = classification_metrics(confusion, ["a", "b", "c", "d"])
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert set(m["per_class"]) == {"a", "b", "c"}                   # "d" never occurs
    assert m["per_class"]["a"] == {"precision": 1.0, "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8),
                                   "support": 3}
    assert m["per_class"]["b"]["precision"] == pytest.approx(0.5) and m["per_class"]["b"]["recall"] == 0.5
    assert m["per_class"]["c"]["precision"] == pytest.approx(0.5) and m["per_class"]["c"]["recall"] == 1.0
    assert m["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_perplexity_overflows_to_infinity():
    assert perplexity(math.log(4.0)) == pytest.approx(4.0) and perplexity(1e6) == math.inf
