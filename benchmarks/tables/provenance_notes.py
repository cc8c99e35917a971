"""The provenance notes of entries ("note" in an entry's provenance: where a figure was restored
from, which part of a record is not known), one line per distinct note, naming its entries; for a
topic's provenance block beside ``render.provenance``."""
from typing import Sequence

from render import provenance
from store import load


def notes(topic: str, names: Sequence[str] | None = None) -> str:
    store = load(topic)
    groups: dict[str, list[str]] = {}
    for name in (list(store.entries) if names is None else names):
        note = store.entry(name, exploratory=True).provenance.get("note")
        if note:
            groups.setdefault(note, []).append(f"`{name}`")
    return "\n".join(f"- {', '.join(entries)}: {note}" for note, entries in groups.items())


def provenance_with_notes(topic: str, names: Sequence[str] | None = None) -> str:
    """``render.provenance`` and, below it, the notes of those entries."""
    below = notes(topic, names)
    return provenance(topic, names) + (f"\n\nNotes:\n\n{below}" if below else "")
