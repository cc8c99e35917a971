"""Plots several applications share, as PNG (matplotlib, no display needed): the training curves
and the confusion matrix."""
from __future__ import annotations

from pathlib import Path

from rnnkit.figures import save_figure, subplots


def plot_loss(records: list[dict], path: Path, ylabel: str = "loss (nats/token)", metric: str = "loss") -> None:
    """Training loss per logged step and validation loss per evaluation, against steps; where the
    run selects its weights on another validation metric (accuracy, BLEU, MAPE), that metric in a
    panel beside."""
    train = [(r["step"], r["train_loss"]) for r in records if "train_loss" in r]
    valid = [(r["step"], r["valid_loss"]) for r in records if "valid_loss" in r]
    selected = [(r["step"], r[f"valid_{metric}"]) for r in records
                if metric != "loss" and isinstance(r.get(f"valid_{metric}"), (int, float))]
    if not train and not valid:
        return
    fig, axes = subplots(1, 2 if selected else 1, figsize=(12 if selected else 7, 4), dpi=110, squeeze=False)
    ax = axes[0][0]
    if train:
        ax.plot(*zip(*train), label="train", color="tab:blue", linewidth=1, alpha=0.8)
    if valid:
        ax.plot(*zip(*valid), label="validation", color="tab:orange", marker="o", markersize=3)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    if selected:
        right = axes[0][1]
        right.plot(*zip(*selected), color="tab:orange", marker="o", markersize=3)
        right.set_xlabel("step")
        right.set_ylabel(f"validation {metric} (selects the weights)")
        right.grid(alpha=0.3)
    save_figure(fig, path)


def plot_confusion(confusion, labels: list[str], path: Path, title: str = "") -> None:
    """Rows the gold class, columns the prediction; colour is the row-normalised rate (recall
    on the diagonal), the number in each cell the count."""
    import numpy as np

    counts = np.asarray(confusion, dtype=float)
    rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    n = len(labels)
    size = max(4.0, 0.45 * n + 2)
    fig, ax = subplots(figsize=(size + 1, size), dpi=110)
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=90 if n > 6 else 0)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if n <= 25:
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7,
                            color="white" if rates[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, label="fraction of the gold class")
    if title:
        ax.set_title(title)
    save_figure(fig, path)


