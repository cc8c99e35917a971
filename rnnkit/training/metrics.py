"""Metrics: cross-entropy in nats per token, perplexity and bits per character (language
models); accuracy, macro-F1, per-class precision and recall and the confusion matrix
(classification); token accuracy overall, on unseen words and per tag (tagging)."""
from __future__ import annotations

import math

import torch

LN2 = math.log(2.0)


def perplexity(nats_per_token: float) -> float:
    """``exp(loss)``; infinite where the loss is (or overflows)."""
    return math.exp(nats_per_token) if nats_per_token < 700 else math.inf


def bits_per_char(total_nats: float, num_chars: int) -> float:
    """Total information over the characters it covers, in bits: for a character model this is
    the loss divided by ln 2."""
    return total_nats / max(num_chars, 1) / LN2


def lm_metrics(total_nats: float, num_tokens: int, num_chars: int) -> dict[str, float]:
    loss = total_nats / max(num_tokens, 1)
    return {"loss": loss, "perplexity": perplexity(loss), "bpc": bits_per_char(total_nats, num_chars),
            "tokens": num_tokens}


def format_lm_metrics(m: dict[str, float]) -> str:
    """``loss 1.2345 nats/token  perplexity 3.44  bpc 1.78``."""
    return f"loss {m['loss']:.4f} nats/token  perplexity {m['perplexity']:.2f}  bpc {m['bpc']:.2f}"


# -- classification and tagging ------------------------------------------------------------
def confusion_matrix(predicted: torch.Tensor, gold: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``[C, C]`` counts on the CPU, rows the gold class, columns the predicted one."""
    index = gold.reshape(-1).long().cpu() * num_classes + predicted.reshape(-1).long().cpu()
    return torch.bincount(index, minlength=num_classes * num_classes).view(num_classes, num_classes)


def classification_metrics(confusion: torch.Tensor, labels: list[str]) -> dict:
    """Accuracy, macro-F1 (over the classes that occur in gold or predictions) and per-class
    precision, recall, F1 and support."""
    confusion = confusion.double()
    correct = confusion.diagonal()
    gold, predicted = confusion.sum(1), confusion.sum(0)
    precision = torch.where(predicted > 0, correct / predicted.clamp(min=1), torch.zeros_like(correct))
    recall = torch.where(gold > 0, correct / gold.clamp(min=1), torch.zeros_like(correct))
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall).clamp(min=1e-12),
                     torch.zeros_like(correct))
    present = (gold + predicted) > 0
    per_class = {label: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]),
                         "support": int(gold[k])} for k, label in enumerate(labels) if present[k]}
    return {"accuracy": float(correct.sum() / confusion.sum().clamp(min=1)),
            "macro_f1": float(f1[present].mean()) if present.any() else 0.0, "per_class": per_class}


def format_classification_metrics(m: dict) -> str:
    """``accuracy 0.8532  macro-F1 0.8530  loss 0.3456 nats/example``."""
    return f"accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  loss {m['loss']:.4f} nats/example"


def tagging_metrics(confusion: torch.Tensor, labels: list[str], unseen_correct: int, unseen_total: int) -> dict:
    """Token accuracy overall and on words unseen in training, and the accuracy per gold tag."""
    m = classification_metrics(confusion, labels)
    return {"accuracy": m["accuracy"], "unseen_accuracy": unseen_correct / unseen_total if unseen_total else None,
            "unseen_tokens": unseen_total, "tokens": int(confusion.sum()), "macro_f1": m["macro_f1"],
            "per_tag": {label: c["recall"] for label, c in m["per_class"].items() if c["support"]}}


def format_tagging_metrics(m: dict) -> str:
    """``accuracy 0.9551  unseen 0.8712  loss 0.1234 nats/token`` (UPOS; XPOS appended if any)."""
    unseen = "n/a" if m["unseen_accuracy"] is None else f"{m['unseen_accuracy']:.4f}"
    line = f"accuracy {m['accuracy']:.4f}  unseen {unseen}  loss {m['loss']:.4f} nats/token"
    if "xpos_accuracy" in m:
        line += f"  xpos {m['xpos_accuracy']:.4f}"
    return line


