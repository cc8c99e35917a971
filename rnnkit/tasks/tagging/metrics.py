"""A tagger scored: token accuracy overall, on words unseen in training, and per tag."""
from __future__ import annotations

import torch

from rnnkit.training import classification_metrics


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
