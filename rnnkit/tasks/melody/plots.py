"""A melody drawn as a piano roll."""
from __future__ import annotations

from pathlib import Path

from rnnkit.data.music import note_name
from rnnkit.figures import save_figure, subplots


def plot_piano_roll(notes, path: Path, title: str = "", *, first: int = 0) -> None:
    """A melody as a piano roll: ``notes`` (``(midi pitch or None for a rest, quarter notes)``)
    as bars of their length at their pitch, the ``first`` of them (the given start) in another
    colour."""
    onsets, onset = [], 0.0
    for _, length in notes:
        onsets.append(onset)
        onset += float(length)
    sounding = [(t, float(d), p, k < first) for k, (t, (p, d)) in enumerate(zip(onsets, notes)) if p is not None]
    fig, ax = subplots(figsize=(min(14.0, 3 + 0.35 * onset), 3.6), dpi=110)
    for start, length, pitch, given in sounding:
        ax.barh(pitch, length, left=start, height=0.8, color="tab:orange" if given else "tab:blue",
                edgecolor="black", linewidth=0.4)
    pitches = [p for _, _, p, _ in sounding] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    ticks = [p for p in range(low, high + 1) if p % 12 in (0, 4, 7)]
    ax.set_yticks(ticks, [note_name(p) for p in ticks])
    ax.set_ylim(low, high)
    ax.set_xlim(0, max(onset, 1.0))
    ax.set_xlabel("quarter notes")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    save_figure(fig, path)
