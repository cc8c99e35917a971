"""Figures as PNG files: matplotlib without a display, and a figure written atomically."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnnkit.files import replace_atomic  # noqa: E402


def save_figure(fig, path: Path) -> None:
    """Write the figure atomically (its folder made if missing) and close it."""
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        replace_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)


__all__ = ["plt", "save_figure"]
