"""The results store: one JSON file per benchmark topic in ``benchmarks/results/``, holding named
entries.  Each entry is a value (what the benchmark measured) and its provenance: the command,
commit, date, machine and speed index of the process that wrote it, the seeds with every
per-seed value, and whether it is a result or an exploratory run.  An entry keeps its
provenance for good: reopening the file to add or redo other entries never rewrites it.

    {"format": 2, "entries": {"NAME": {"value": ..., "provenance": {"command": ..., "commit": ...,
     "date": ..., "machine": {"cpu": ..., "cores": ..., "threads": ..., "torch": ...},
     "speed_index_ms": ..., "seeds": [...], "per_seed": {...}, "kind": "result"}}}}

Fields nobody recorded say ``"unknown"``.  Reading needs no torch (``load``); writing measures the
machine once per process (``Results``)."""
from __future__ import annotations

import fcntl
import functools
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

FORMAT = 2
UNKNOWN = "unknown"
KINDS = ("result", "exploratory")
RESULTS_DIR = Path(__file__).parent / "results"
REPO = Path(__file__).resolve().parent.parent


class StoreError(Exception):
    """A results file or entry that is missing, malformed, or asked for in a way it cannot serve."""


@dataclass(frozen=True)
class Entry:
    name: str
    value: object
    provenance: dict

    @property
    def exploratory(self) -> bool:
        return self.provenance.get("kind") == "exploratory"

    @property
    def seeds(self) -> list | str:
        return self.provenance.get("seeds", UNKNOWN)


def read_entries(path: Path) -> dict[str, Entry]:
    """The entries of one results file, in the order they were first written."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise StoreError(f"{path}: no such results file") from None
    except json.JSONDecodeError as error:
        raise StoreError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
        raise StoreError(f"{path}: expected a results file of format {FORMAT} with an 'entries' object")
    entries = {}
    for name, raw in data["entries"].items():
        if not isinstance(raw, dict) or set(raw) != {"value", "provenance"}:
            raise StoreError(f"{path}: entry {name!r} must hold exactly 'value' and 'provenance'")
        kind = raw["provenance"].get("kind")
        if kind not in KINDS:
            raise StoreError(f"{path}: entry {name!r} has kind {kind!r}, expected one of {', '.join(KINDS)}")
        entries[name] = Entry(name, raw["value"], raw["provenance"])
    return entries


def write_entries(path: Path, entries: dict[str, Entry]) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "entries": {e.name: {"value": e.value, "provenance": e.provenance}
                                          for e in entries.values()}}
    tmp = path.with_suffix(".partial.json")
    with open(tmp, "w") as f:
        f.write(json.dumps(data, indent=1) + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


class Store:
    """Read access to one topic's entries for rendering: ``result`` serves results only, so an
    exploratory run can never be rendered as one."""

    def __init__(self, topic: str, directory: Path = RESULTS_DIR):
        self.topic = topic
        self.path = directory / f"{topic}.json"
        self.entries = read_entries(self.path)

    def entry(self, name: str, exploratory: bool = False) -> Entry:
        """A result entry with its provenance; an exploratory one only when asked for by name
        (``exploratory=True``: for saying where it came from, never for showing it as a result)."""
        try:
            entry = self.entries[name]
        except KeyError:
            raise StoreError(f"{self.path}: no entry {name!r}") from None
        if entry.exploratory and not exploratory:
            raise StoreError(f"{self.path}: entry {name!r} is exploratory and is not rendered as a result")
        return entry

    def result(self, name: str):
        """The value of a result entry (never an exploratory one)."""
        return self.entry(name).value


@functools.lru_cache(maxsize=None)
def load(topic: str, directory: Path = RESULTS_DIR) -> Store:
    return Store(topic, directory)


# --- writing ---------------------------------------------------------------------------------

class Results:
    """A topic's results file opened for writing by a benchmark: ``results[name] = value`` (or
    ``record`` with the seeds) saves the entry at once with this process's provenance, so a rerun
    resumes where it stopped; ``fresh`` forgets the entries the file held when it was opened.
    Each save re-reads the file under a lock, so benchmarks of one topic may run side by side
    (the baselines of one while another trains) without losing each other's entries.
    ``kind="exploratory"`` marks every entry this process writes as exploratory."""

    def __init__(self, path: Path, fresh: bool = False, kind: str = "result"):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self.path, self.kind = path, kind
        self.entries = read_entries(path) if path.exists() else {}
        self.forgotten = set(self.entries) if fresh else set()
        self.entries = {n: e for n, e in self.entries.items() if n not in self.forgotten}
        print(f"machine: {describe(machine())}", file=sys.stderr, flush=True)

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def __getitem__(self, name: str):
        return self.entries[name].value

    def __setitem__(self, name: str, value) -> None:
        self.record(name, value)

    def record(self, name: str, value, seeds: list[int] | None = None, per_seed: dict | None = None) -> None:
        """Save ``value`` as entry ``name``; ``seeds`` are the seeds it was measured with and
        ``per_seed`` each seed's own value where ``value`` summarises several."""
        entry = Entry(name, value, provenance(self.kind, seeds, per_seed))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            on_disk = read_entries(self.path) if self.path.exists() else {}
            self.entries = {n: e for n, e in on_disk.items() if n not in self.forgotten} | {name: entry}
            write_entries(self.path, self.entries)

    def show(self) -> None:
        print(json.dumps({name: e.value for name, e in self.entries.items()}, indent=1))


def provenance(kind: str, seeds: list[int] | None, per_seed: dict | None) -> dict:
    m = machine()
    prov = {"command": command(), "commit": commit(), "date": date.today().isoformat(),
            "machine": {k: m[k] for k in ("cpu", "cores", "threads", "torch")},
            "speed_index_ms": m["speed_index_ms"], "seeds": list(seeds) if seeds is not None else UNKNOWN,
            "kind": kind}
    if per_seed is not None:
        prov["per_seed"] = {str(seed): v for seed, v in per_seed.items()}
    return prov


def command() -> str:
    """How this process was started, as a shell line run from the repository's root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(REPO) if script.is_relative_to(REPO) else script
    return shlex.join([".venv/bin/python", str(shown), *sys.argv[1:]])


@functools.lru_cache(maxsize=None)
def commit() -> str:
    """The checked-out commit of the code that runs, with ``+changes`` where tracked files differ
    (other than the results files themselves, which benchmarks write as they run)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short=7", "HEAD")
    if not head:
        return UNKNOWN
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", f":!{RESULTS_DIR.resolve().relative_to(REPO)}")
    return head + ("+changes" if changed else "")


@functools.lru_cache(maxsize=None)
def machine() -> dict:
    """The machine of this process, with its speed index measured once (per process)."""
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), UNKNOWN)
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "speed_index_ms": speed_index()}


def describe(m: dict) -> str:
    """The machine in one line, with its speed index."""
    return (f"{m['cpu']}, {m['cores']} cores, {m['threads']} torch threads, torch {m['torch']}, speed index "
            f"{m['speed_index_ms']} ms (torch.nn.LSTM forward + backward, 32 x 100 x 256 -> 256)")


def speed_index(repeats: int = 9) -> float:
    """The machine speed index: median milliseconds of one forward + backward of torch.nn.LSTM
    at batch 32, 100 steps, 256 inputs, 256 units (compare time-bound figures only with it)."""
    import torch

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(256, 256)
    x = torch.randn(100, 32, 256, requires_grad=True)
    times = []
    for _ in range(repeats + 2):
        start = time.perf_counter()
        lstm(x)[0].sum().backward()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times[2:]), 1)
