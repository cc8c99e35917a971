"""Where a translation model looked: its attention over the source, one row per output word."""
from __future__ import annotations

from pathlib import Path

from rnnkit.figures import save_figure, subplots


def plot_attention(weights, source: list[str], target: list[str], path: Path, title: str = "") -> None:
    """A translation's attention: one row per output token (the last row is [END]'s), one
    column per source token; colour is the weight alpha_{t,i}."""
    import numpy as np

    weights = np.asarray(weights, dtype=float)
    rows = list(target) + ["[END]"]
    fig, ax = subplots(figsize=(max(4.0, 0.38 * len(source) + 2), max(3.0, 0.32 * len(rows) + 1.5)), dpi=110)
    image = ax.imshow(weights[: len(rows), : len(source)], cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source)), source, rotation=60, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    fig.colorbar(image, ax=ax, fraction=0.046, label="attention weight")
    if title:
        ax.set_title(title)
    save_figure(fig, path)
