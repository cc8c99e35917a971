"""Metrics several applications share: perplexity (of any model scored in nats per token), and
the confusion matrix with accuracy, macro-F1 and per-class precision and recall (classifiers and
taggers).  An application's own metrics live in its slice (``rnnkit.tasks.NAME.metrics``)."""
from __future__ import annotations

import math

import torch

def perplexity(nats_per_token: float) -> float:
    """``exp(loss)``; infinite where the loss is (or overflows)."""
    return math.exp(nats_per_token) if nats_per_token < 700 else math.inf


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
