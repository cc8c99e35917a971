"""A clip's last frame with the path seen and the path predicted."""
from __future__ import annotations

from pathlib import Path

from rnnkit.figures import save_figure, subplots


def plot_path(plot: str, clips: int, k: int, name: str) -> Path:
    """Where ``--plot`` draws the k-th clip: the file itself where it names a .png and one clip is
    given, else ``NNN-CLIP.png`` in it as a folder."""
    if plot.lower().endswith(".png") and clips == 1:
        return Path(plot)
    return Path(plot) / f"{k:03d}-{Path(name.rstrip('/')).stem}.png"


def plot_trajectory(frame, seen, ahead, path: Path, title: str = "") -> None:
    """Where an object went and where it will go: the frame (``[channels, height, width]``, 0-255),
    the path ``seen [T, 2]`` so far and the predicted ``ahead [K, 2]`` drawn over it, in the frame's
    pixels (x right, y down)."""
    import numpy as np

    picture = np.asarray(frame, dtype=float).transpose(1, 2, 0) / 255.0
    picture = picture[..., 0] if picture.shape[-1] == 1 else picture
    height, width = picture.shape[:2]
    seen, ahead = np.asarray(seen, dtype=float), np.asarray(ahead, dtype=float)
    fig, ax = subplots(figsize=(4.2, 4.2 * height / width + 0.3), dpi=110)
    ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
    ax.plot(seen[:, 0], seen[:, 1], "-o", color="tab:cyan", markersize=2.5, linewidth=1, label="seen")
    joined = np.concatenate([seen[-1:], ahead])
    ax.plot(joined[:, 0], joined[:, 1], "--", color="tab:orange", linewidth=1)
    ax.plot(ahead[:, 0], ahead[:, 1], "o", color="tab:orange", markersize=3.5, label=f"next {len(ahead)}")
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="upper right", fontsize=7, framealpha=0.6)
    if title:
        ax.set_title(title, fontsize=9)
    save_figure(fig, path)
