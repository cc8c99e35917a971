"""Where a captioner looked for each word: its attention over the image regions."""
from __future__ import annotations

from pathlib import Path

from rnnkit.figures import save_figure, subplots


def plot_image_attention(image, weights, grid: tuple[int, int], words: list[str], path: Path, title: str = "") -> None:
    """Where a captioner looked for each word: the image (``[channels, height, width]``, 0-255),
    then one panel per output word ([END] last) with its attention over the ``grid`` (rows,
    columns) of regions stretched over the image."""
    import numpy as np

    picture = np.asarray(image, dtype=float).transpose(1, 2, 0) / 255.0
    picture = picture[..., 0] if picture.shape[-1] == 1 else picture
    height, width = picture.shape[:2]
    rows = list(words) + ["[END]"]
    columns = min(len(rows) + 1, 6)
    lines = -(-(len(rows) + 1) // columns)
    scale = 2.2 / max(height, width) * max(width, height)
    fig, axes = subplots(lines, columns, figsize=(columns * scale * width / max(height, width) + 0.4,
                                                      lines * scale * height / max(height, width) + 0.6),
                             dpi=110, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    axes.flat[0].imshow(picture, cmap="gray", vmin=0, vmax=1)
    axes.flat[0].set_title("image", fontsize=9)
    weights = np.asarray(weights, dtype=float)
    for k, word in enumerate(rows[: len(weights)]):
        ax = axes.flat[k + 1]
        ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
        ax.imshow(weights[k].reshape(grid), cmap="magma", alpha=0.6, extent=(-0.5, width - 0.5, height - 0.5, -0.5),
                  interpolation="bilinear")
        ax.set_title(word, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
