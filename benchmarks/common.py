"""What the task benchmarks share: a results file that a rerun resumes (``store``), ``rnnkit`` runs
into ``benchmarks/results/runs/NAME``, and the data every image benchmark splits alike."""
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

from store import RESULTS_DIR, Results

HERE = Path(__file__).parent
RUNS = HERE / "results" / "runs"
DATA = HERE.parent.parent / "shared" / "data"
RNNKIT = [sys.executable, "-m", "rnnkit.cli.main"]
os.environ.setdefault("PYTHONUNBUFFERED", "1")


def results_options(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark that records results takes."""
    parser.add_argument("--fresh", action="store_true", help="forget the recorded results of this topic")
    parser.add_argument("--exploratory", action="store_true",
                        help="record what this run writes as exploratory: kept, never rendered as a result")


def open_results(topic: str, args: argparse.Namespace) -> Results:
    """``benchmarks/results/TOPIC.json`` for writing, as ``results_options`` asked."""
    return Results(RESULTS_DIR / f"{topic}.json", args.fresh, "exploratory" if args.exploratory else "result")


def defaults_arguments(description: str, names, noun: str, task: str, argv=None,
                       baselines_help: str = "score the baselines and train nothing") -> argparse.Namespace:
    """The command line of a benchmark of default options (``forecast_defaults``, ``defaults``):
    the ``names`` to run (``noun``: what they are), the split, seeds, ``--max-time``, the
    baselines, ``--again`` and a candidate default under study (``--label``, ``--options`` of
    ``rnnkit train TASK``), checked."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar=noun.upper(), help=f"of {', '.join(names)} (default: all)")
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-time", type=int, default=600)
    parser.add_argument("--baselines-only", action="store_true", help=baselines_help)
    parser.add_argument("--skip-baselines", action="store_true", help="train rnnkit without scoring the baselines "
                        "first (an exploratory comparison of candidate defaults on a split whose baselines are not "
                        "needed for it)")
    parser.add_argument("--again", action="store_true", help=f"train rnnkit's runs of the named {noun}s anew, "
                        f"replacing their entries (after a change of the defaults; the baselines and other {noun}s' "
                        "entries are kept, where --fresh forgets every entry)")
    parser.add_argument("--label", help="record rnnkit's runs as rnnkit@LABEL (a version of the defaults under study)")
    parser.add_argument("--options", default="", help=f"with --split validation and --label: further options of "
                        f"rnnkit train {task}, a candidate default under study ('--options=--deltas' for one flag)")
    results_options(parser)
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(names)
    if unknown:
        parser.error(f"unknown {noun}(s) {sorted(unknown)}; choose from {', '.join(names)}")
    if args.options and (args.split != "validation" or not args.label):
        parser.error("--options is for studying candidate defaults: give it with --split validation and --label")
    return args


def seed_runs(results: Results, key: str, seeds: int, run, again: bool = False) -> dict[int, dict]:
    """Each seed's entry ``KEY/seedN``, made by ``run(seed)`` (a dict of figures) where the file
    lacks it or ``again`` asks for it anew, and recorded at once (so a rerun resumes)."""
    for seed in range(seeds):
        if again or f"{key}/seed{seed}" not in results:
            figures = run(seed)
            results.record(f"{key}/seed{seed}", figures, seeds=[seed])
            print(key, seed, {k: v for k, v in figures.items() if isinstance(v, (int, float))}, file=sys.stderr)
    return {seed: results[f"{key}/seed{seed}"] for seed in range(seeds)}


def record_summary(results: Results, key: str, runs: dict[int, dict], metrics: tuple, extra: tuple = ()) -> None:
    """The summary entry ``KEY``: the mean over the seeds' ``runs`` of each of ``metrics`` that
    every run has (older runs may lack some), each seed's figures (and ``extra``) in its
    per_seed; rewritten only where a seed's figures changed."""
    scored = [k for k in metrics if all(k in r for r in runs.values())]
    per_seed = {str(s): {k: r[k] for k in (*scored, *extra) if k in r} for s, r in runs.items()}
    summary = {k: statistics.mean(r[k] for r in runs.values()) for k in scored}
    if key not in results or results.entries[key].provenance.get("per_seed") != per_seed:
        results.record(key, summary, seeds=list(runs), per_seed=per_seed)


def defaults_runs(results: Results, args: argparse.Namespace, key: str, name: str, run, metrics: tuple,
                  extra: tuple = ("train_seconds",)) -> None:
    """rnnkit's runs of a defaults benchmark (``defaults_arguments``' ``args``) under ``KEY/rnnkit``
    (``@LABEL`` for a candidate): ``run(seed, folder)`` trains in run folder ``folder`` and gives its
    figures; each seed is recorded as it ends, then their summary."""
    label = [args.label] if args.label else []
    ours = f"{key}/rnnkit" + "".join(f"@{x}" for x in label)
    folder = "_".join(["defaults", args.split, *label, name])
    runs = seed_runs(results, ours, args.seeds, again=args.again, run=lambda seed: run(seed, f"{folder}_{seed}"))
    record_summary(results, ours, runs, metrics, extra=extra)


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
