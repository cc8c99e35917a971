"""Render the figures of README.md and BENCHMARKS.md from the results store.

Every figure block in the two files sits between markers,

    <!-- render NAME -->
    ...
    <!-- end NAME -->

and is the output of the renderer registered as NAME in ``benchmarks/tables/`` (which reads
``benchmarks/results/*.json``).  ``make bench-report`` rewrites the blocks; ``--check`` only says
which differ, and fails also where a table of BENCHMARKS.md (or of the README's results and speed
sections) stands outside a block, so that a hand-typed figure cannot drift.

    python benchmarks/report.py [--check]
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import tables  # noqa: E402
from render import BLOCKS, renderer  # noqa: E402
from store import StoreError  # noqa: E402

ROOT = HERE.parent
BLOCK = re.compile(r"<!-- render (\S+) -->\n(.*?)<!-- end (\S+) -->\n", re.DOTALL)
# file -> the sections (level-2 headings) whose tables must all be rendered; None: the whole file
GUARDED = {"BENCHMARKS.md": None, "README.md": ("## Speed", "## Results on real data")}


def load_renderers() -> None:
    for module in pkgutil.iter_modules(tables.__path__):
        importlib.import_module(f"tables.{module.name}")


def render(text: str, where: str) -> tuple[str, list[str]]:
    """``text`` with every block rendered anew, and the names of the blocks it holds."""
    names = []

    def fill(match: re.Match) -> str:
        name, end = match.group(1), match.group(3)
        if end != name:
            raise StoreError(f"{where}: block {name!r} ends with the marker of {end!r}")
        render_block = renderer(name)
        if render_block is None:
            raise StoreError(f"{where}: no renderer for block {name!r} (benchmarks/tables/, or provenance/TOPIC)")
        names.append(name)
        try:
            body = render_block().strip("\n")
        except StoreError:
            raise
        except Exception as error:   # a renderer that no longer fits its entries: name the block
            raise StoreError(f"{where}: block {name!r} failed: {type(error).__name__}: {error}") from error
        return f"<!-- render {name} -->\n{body}\n<!-- end {name} -->\n"

    return BLOCK.sub(fill, text), names


def unrendered_tables(text: str, sections: tuple[str, ...] | None, where: str) -> list[str]:
    """Lines of a markdown table outside any block, in the guarded sections."""
    outside = BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    problems, guarded = [], sections is None
    for number, line in enumerate(outside.splitlines(), 1):
        if line.startswith("## ") and sections is not None:
            guarded = line.strip() in sections
        if guarded and line.startswith("|"):
            problems.append(f"{where}:{number}: a table line outside a rendered block: {line[:60]}")
    return problems


def report(root: Path = ROOT, write: bool = True) -> list[str]:
    """Render every guarded file; return what is wrong or (with ``write=False``) out of date."""
    load_renderers()
    problems, placed = [], set()
    for name, sections in GUARDED.items():
        path = root / name
        text = path.read_text()
        try:
            new, names = render(text, name)
        except StoreError as error:
            problems.append(str(error))
            continue
        placed.update(names)
        problems += unrendered_tables(text, sections, name)
        if new != text:
            if write:
                path.write_text(new)
            else:
                old_blocks = {m.group(1): m.group(2) for m in BLOCK.finditer(text)}
                problems += [f"{name}: block {b!r} differs from its rendering (make bench-report)"
                             for b, body in ((m.group(1), m.group(2)) for m in BLOCK.finditer(new))
                             if old_blocks.get(b) != body]
    problems += [f"block {name!r} is rendered nowhere" for name in sorted(set(BLOCKS) - placed)]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 where a file differs")
    args = parser.parse_args()
    problems = report(write=not args.check)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
