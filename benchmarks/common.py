"""What the task benchmarks share: a results file that a rerun resumes, ``rnnkit`` runs into
``benchmarks/results/runs/NAME``, and the machine they ran on."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).parent
RUNS = HERE / "results" / "runs"
DATA = HERE.parent.parent / "shared" / "data"
RNNKIT = [sys.executable, "-m", "rnnkit.cli.main"]
os.environ.setdefault("PYTHONUNBUFFERED", "1")


class Results:
    """A JSON file of named results, saved atomically after each; ``fresh`` forgets them."""

    def __init__(self, path: Path, fresh: bool = False):
        self.path = path
        self.data = {} if fresh or not path.exists() else json.loads(path.read_text())
        self.data["machine"] = machine()
        print(f"machine: {describe(self.data['machine'])}", file=sys.stderr, flush=True)

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __getitem__(self, name: str):
        return self.data[name]

    def __setitem__(self, name: str, value) -> None:
        self.data[name] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".partial.json")
        tmp.write_text(json.dumps(self.data, indent=1))
        tmp.replace(self.path)

    def show(self) -> None:
        print(json.dumps({k: v for k, v in self.data.items() if k != "machine"}, indent=1))


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "speed_index_ms": speed_index()}


def describe(m: dict) -> str:
    """The machine in one line, with its speed index."""
    return (f"{m['cpu']}, {m['cores']} cores, {m['threads']} torch threads, torch {m['torch']}, speed index "
            f"{m['speed_index_ms']} ms (torch.nn.LSTM forward + backward, 32 x 100 x 256 -> 256)")


def speed_index(repeats: int = 9) -> float:
    """The machine speed index: median milliseconds of one forward + backward of torch.nn.LSTM
    at batch 32, 100 steps, 256 inputs, 256 units (compare time-bound figures only with it)."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(256, 256)
    x = torch.randn(100, 32, 256, requires_grad=True)
    times = []
    for _ in range(repeats + 2):
        start = time.perf_counter()
        lstm(x)[0].sum().backward()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times[2:]), 1)


def train(task: str, name: str, args: list[str]) -> tuple[Path, float]:
    """A fresh run of ``rnnkit train TASK``; returns its directory and wall time."""
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    subprocess.run([*RNNKIT, "train", task, *args, "--out", str(out)], check=True)
    return out, time.monotonic() - start


def evaluate(run: Path, test: Path) -> dict:
    return evaluate_with(run, ["--test", str(test)])


def evaluate_with(run: Path, args: list[str]) -> dict:
    """The metrics of ``rnnkit evaluate RUN ARGS --json``."""
    out = subprocess.run([*RNNKIT, "evaluate", str(run), *args, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def speed(records: list[dict], key: str = "tokens_per_s") -> float:
    """The median logged training speed."""
    return statistics.median(r[key] for r in records if key in r)


def best(records: list[dict], key: str, maximize: bool) -> dict:
    """The evaluation record with the best ``key``."""
    evals = [r for r in records if key in r]
    return (max if maximize else min)(evals, key=lambda r: r[key])


def digits(seed: int = 0) -> dict:
    """The 8,000 MNIST digits of shared/data/mnist, split once for every image and analysis
    benchmark: ``{"train" | "valid" | "test": (images uint8 [n, 28, 28], labels [n])}``, 80/10/10
    with ``seed`` (``rnnkit.data.split_indices``)."""
    from rnnkit.data import read_idx, split_indices

    images = read_idx(DATA / "mnist" / "digits-images-idx3-ubyte.gz")
    labels = read_idx(DATA / "mnist" / "digits-labels-idx1-ubyte.gz")
    parts = split_indices(len(images), (0.8, 0.1, 0.1), seed=seed)
    return {name: (images[idx], labels[idx]) for name, idx in zip(("train", "valid", "test"), parts)}


def generator_parser(doc: str, noun: str, sizes: dict[str, int]) -> argparse.ArgumentParser:
    """The command line of a benchmark data generator: OUT_DIR, how many ``noun`` each part (train,
    valid, test) gets (``sizes``: the defaults) and --seed; a generator adds its own options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    for part, count in sizes.items():
        name = {"train": "training", "valid": "validation"}.get(part, part)
        parser.add_argument(f"--{part}", type=int, default=count, help=f"{name} {noun} (default {count})")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def part_sizes(args) -> dict[str, int]:
    return {"train": args.train, "valid": args.valid, "test": args.test}
