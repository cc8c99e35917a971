"""Figures as PNG files: matplotlib without a display, and a figure written atomically.

matplotlib is imported at the first figure, not with rnnkit: it takes about half a second, which
every command and every rank of a process group would otherwise pay."""
from __future__ import annotations

import functools
from pathlib import Path

from rnnkit.files import replace_atomic


@functools.cache
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def subplots(*args, **kwargs):
    """``matplotlib.pyplot.subplots`` on the Agg backend."""
    return _pyplot().subplots(*args, **kwargs)


def save_figure(fig, path: Path) -> None:
    """Write the figure atomically (its folder made if missing) and close it."""
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        replace_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        _pyplot().close(fig)


__all__ = ["save_figure", "subplots"]
