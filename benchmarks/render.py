"""What the figure renderers of ``benchmarks/tables/`` share: the registry of named blocks that
``report.py`` writes between markers in README.md and BENCHMARKS.md, markdown tables, number
formats, and the provenance of the entries a block shows.  A renderer reads the store
(``store.load(topic).result(name)``) and returns markdown; it never types a figure itself."""
from __future__ import annotations

import statistics
from typing import Callable, Iterable, Sequence

from store import UNKNOWN, Entry, StoreError, load

BLOCKS: dict[str, Callable[[], str]] = {}


def renderer(name: str) -> Callable[[], str] | None:
    """The renderer of block ``name``: a registered one, or for ``provenance/TOPIC`` the provenance of
    every entry of that topic."""
    if name in BLOCKS:
        return BLOCKS[name]
    kind, _, topic = name.partition("/")
    return (lambda: provenance(topic)) if kind == "provenance" and topic else None


def renders(name: str):
    """Register the decorated function as the renderer of block ``name``."""
    def register(fn: Callable[[], str]) -> Callable[[], str]:
        if name in BLOCKS:
            raise ValueError(f"two renderers for block {name!r}")
        BLOCKS[name] = fn
        return fn
    return register


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A markdown table; ``align`` has one letter per column, ``l`` or ``r`` (default: all left)."""
    align = align or "l" * len(header)
    if len(align) != len(header):
        raise ValueError(f"{len(header)} columns but alignment {align!r}")
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |"]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells under {len(header)} columns: {row!r}")
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def fixed(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def grouped(x: float, digits: int = 0) -> str:
    """Thousands separated by commas: 19,396."""
    return f"{x:,.{digits}f}"


def percent(fraction: float, digits: int = 2) -> str:
    return f"{100 * fraction:.{digits}f}%"


def times(x: float, digits: int = 2) -> str:
    """A ratio: 1.20x."""
    return f"{x:.{digits}f}x"


def sci(x: float, digits: int = 1) -> str:
    """2.4e-12."""
    return f"{x:.{digits}e}".replace("e-0", "e-").replace("e+0", "e+")


def mean_sd(values: Sequence[float], digits: int, scale: float = 1.0) -> str:
    """Mean ± sample standard deviation; a single value is shown alone."""
    values = [scale * v for v in values]
    if len(values) == 1:
        return fixed(values[0], digits)
    return f"{fixed(statistics.mean(values), digits)} ± {fixed(statistics.stdev(values), digits)}"


def flags(config: str) -> dict[str, str | None]:
    """The ``--flag value`` pairs of a recorded command-line configuration (a bare flag: None)."""
    words, out, i = config.split(), {}, 0
    while i < len(words):
        value = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else None
        out[words[i]] = value
        i += 1 if value is None else 2
    return out


def per_seed(entry: Entry) -> dict[str, object]:
    """Each seed's value of a summary entry (its provenance's ``per_seed``), in seed order."""
    values = entry.provenance.get("per_seed")
    if not values:
        raise StoreError(f"{entry.name} records no per-seed values")
    return {seed: values[seed] for seed in sorted(values, key=int)}


def seeds(entry: Entry) -> str:
    """How many seeds a figure rests on: '1 seed', '5 seeds', or 'seeds unknown'."""
    s = entry.seeds
    if s == UNKNOWN:
        return "seeds unknown"
    return "1 seed" if len(s) == 1 else f"{len(s)} seeds"


def provenance(topic: str, names: Sequence[str] | None = None) -> str:
    """Where the entries of a topic (or the named ones) come from: one row per distinct
    provenance, naming its entries, then the entries' notes (where a figure was restored from,
    what part of a record is not known)."""
    store = load(topic)
    names = list(store.entries) if names is None else names
    groups: dict[tuple, list[str]] = {}
    notes: dict[str, list[str]] = {}
    for name in names:
        p = store.entry(name, exploratory=True).provenance
        m = p.get("machine", {})
        speed, s = p.get("speed_index_ms", UNKNOWN), p.get("seeds", UNKNOWN)
        key = (p["kind"], p.get("date", UNKNOWN), p.get("commit", UNKNOWN),
               f"{m.get('cpu', UNKNOWN)}, {m.get('cores', UNKNOWN)} cores, torch {m.get('torch', UNKNOWN)}",
               f"{speed} ms" if speed != UNKNOWN else UNKNOWN,
               ", ".join(map(str, s)) if s != UNKNOWN else UNKNOWN,
               f"`{p['command']}`" if p.get("command", UNKNOWN) != UNKNOWN else UNKNOWN)
        groups.setdefault(key, []).append(f"`{name}`")
        if p.get("note"):
            notes.setdefault(p["note"], []).append(f"`{name}`")
    rows = [(", ".join(entries), *key) for key, entries in groups.items()]
    text = table(("entries", "kind", "date", "commit", "machine", "speed index", "seeds", "command"), rows)
    if notes:
        text += "\n\nNotes:\n\n" + "\n".join(f"- {', '.join(entries)}: {note}" for note, entries in notes.items())
    return text
