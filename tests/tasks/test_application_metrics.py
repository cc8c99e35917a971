"""The metrics of single applications, in their slices (rnnkit.tasks.NAME.metrics): by hand."""
import math

import pytest
import torch

from rnnkit.tasks.language_model.metrics import bits_per_char, format_lm_metrics, lm_metrics


def test_lm_metrics():
    m = lm_metrics(total_nats=200 * math.log(2), num_tokens=100, num_chars=100)
    assert m["loss"] == pytest.approx(2 * math.log(2)) and m["perplexity"] == pytest.approx(4.0)
    assert m["bpc"] == pytest.approx(2.0)
    assert bits_per_char(10 * math.log(2), 5) == pytest.approx(2.0)
    assert format_lm_metrics(m) == "loss 1.3863 nats/token  perplexity 4.00  bpc 2.00"


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
