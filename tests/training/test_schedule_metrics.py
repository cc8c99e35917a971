import math

import pytest
import torch

from rnnkit.tasks.language_model.metrics import bits_per_char, format_lm_metrics, lm_metrics
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


def test_lm_metrics():
    m = lm_metrics(total_nats=200 * math.log(2), num_tokens=100, num_chars=100)
    assert m["loss"] == pytest.approx(2 * math.log(2)) and m["perplexity"] == pytest.approx(4.0)
    assert m["bpc"] == pytest.approx(2.0)
    assert bits_per_char(10 * math.log(2), 5) == pytest.approx(2.0)
    assert perplexity(1e6) == math.inf
    assert format_lm_metrics(m) == "loss 1.3863 nats/token  perplexity 4.00  bpc 2.00"


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


def test_tagging_metrics_and_lines():
    from rnnkit.tasks.tagging.metrics import format_tagging_metrics, tagging_metrics
    from rnnkit.training import confusion_matrix, format_classification_metrics

    confusion = confusion_matrix(torch.tensor([0, 1, 1, 1]), torch.tensor([0, 1, 1, 0]), 2)
    m = tagging_metrics(confusion, ["NOUN", "VERB"], unseen_correct=1, unseen_total=2)
    assert m["accuracy"] == 0.75 and m["unseen_accuracy"] == 0.5 and m["per_tag"] == {"NOUN": 0.5, "VERB": 1.0}
    assert format_tagging_metrics({**m, "loss": 0.25}) == "accuracy 0.7500  unseen 0.5000  loss 0.2500 nats/token"
    assert (format_classification_metrics({"accuracy": 0.5, "macro_f1": 0.25, "loss": 1.0})
            == "accuracy 0.5000  macro-F1 0.2500  loss 1.0000 nats/example")


def test_translation_metrics_are_sacrebleu_cased_and_lowercased():
    from rnnkit.tasks.translation.metrics import format_translation_metrics, translation_metrics

    refs = ["A man is running down the street.", "Two dogs play in the snow."]
    same = translation_metrics(refs, refs)
    assert same["bleu"] == pytest.approx(100) and same["chrf"] == pytest.approx(100)
    lowered = translation_metrics([r.lower() for r in refs], refs)
    assert lowered["bleu"] < 90 and lowered["bleu_lowercase"] == pytest.approx(100)
    assert format_translation_metrics({**same, "sentences_per_s": 12.5, "beam": 5}) == \
        "BLEU 100.00  BLEU (lowercased) 100.00  chrF 100.00  12.5 sentences/s (beam 5)"
