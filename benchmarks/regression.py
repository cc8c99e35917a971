"""Regression check of a redesign: the same three training runs with two versions of rnnkit, one
after the other on this machine, side by side.

    python benchmarks/regression.py --code NAME=DIR[@SEEDS] [--code ...] [--speed-repeats N] [--fresh] [--exploratory]

Each ``--code`` names a checkout of rnnkit (a git worktree of the commit to measure; its
``rnnkit`` package is what runs), and optionally the seeds to run it with (``old=/tmp/old@0,1,2``:
three seeds, so that the other version's runs can be set against their spread; entries
``RUN/NAME/seedK``).  Without seeds a version runs once at the default seed 0 (entries
``RUN/NAME``, as the first checks recorded them).  The runs, with the configurations of the task benchmarks:
- ``shakespeare_5min``: character LM on tinyshakespeare, 5 minutes (``benchmarks/lm.py``);
- ``sst2_last``: SST-2 with ``last`` pooling, selected on dev.tsv (``benchmarks/classify.py``);
- ``multi30k_words_15min``: Multi30k De->En with the word tokenizer, attention, 15 minutes
  (``benchmarks/translate.py``).
Each run is long and runs once, so its speed moves with the machine's mood; ``--speed-repeats N``
adds the noise estimate: N rounds of 45-second runs of the character LM, the versions
interleaved within each round, their median training speeds listed per version.
Results: benchmarks/results/regression.json, one entry per (code, run); a rerun skips recorded
entries.  Run it alone: these figures are time-bound.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import classify
import lm
import translate
from common import DATA, RUNS, Results, best, metrics, open_results, results_options, speed

SEEDS = [0]     # rnnkit train's default seed: the runs give none


def runs(data: Path) -> dict[str, tuple[str, list[str], str, bool, str]]:
    """name: (task, arguments, the validation metric that selects, maximize?, speed key)."""
    text = data / "shakespeare" / "input.txt"
    seconds, _, lm_config = lm.SHAKESPEARE_RUNS["shakespeare_5min"]
    glue = data / "sst2" / "glue"
    m30k = data / "multi30k"
    return {
        "shakespeare_5min": ("lm", ["--text", str(text), "--valid-fraction", "0.1", *lm_config, "--max-time",
                                    str(seconds)], "valid_loss", False, "tokens_per_s"),
        "sst2_last": ("classify", ["--train", str(glue / "train.tsv"), "--valid", str(glue / "dev.tsv"),
                                   *classify.CONFIG, *classify.RUNS["sst2_last"][0]],
                      "valid_accuracy", True, "examples_per_s"),
        "multi30k_words_15min": ("translate", ["--src", str(m30k / "train.de.gz"), "--tgt", str(m30k / "train.en.gz"),
                                               "--valid-src", str(m30k / "val.de.gz"), "--valid-tgt",
                                               str(m30k / "val.en.gz"), *translate.MODEL,
                                               *translate.TOKENIZERS["word"], "--attention", "general",
                                               "--max-time", "900"],
                                 "valid_bleu", True, "tokens_per_s"),
    }


def train_with(code: Path, task: str, name: str, args: list[str]) -> tuple[Path, float]:
    """``rnnkit train TASK`` run from the checkout ``code``; its directory and wall time."""
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(code))
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "rnnkit.cli.main", "train", task, *args, "--out", str(out)],
                   check=True, cwd=code, env=env)
    return out, time.monotonic() - start


def speed_rounds(versions: dict[str, str], data: Path, repeats: int, results: Results) -> None:
    """``repeats`` rounds of a 45-second character LM run per version, interleaved; tokens/s."""
    task, options, *_ = runs(data)["shakespeare_5min"]
    options = [*options[:-2], "--max-time", "45", "--eval-every", "100000"]   # no evaluation until the end
    for _ in range(repeats):
        for label, code in versions.items():
            run, _ = train_with(Path(code).resolve(), task, f"regression_speed_{label}", options)
            name = f"speed_rounds/{label}"
            earlier = results[name] if name in results else []
            results.record(name, [*earlier, speed(metrics(run))], seeds=SEEDS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", action="append", required=True, metavar="NAME=DIR[@SEEDS]",
                        help="a version to measure: a label, the checkout that holds it and, after @, its seeds "
                             "(0,1,2; default: one run at seed 0)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--speed-repeats", type=int, default=0, metavar="N",
                        help="also N interleaved rounds of 45-second speed runs per version")
    results_options(parser)
    args = parser.parse_args(argv)
    versions, seeded = {}, {}
    for spec in args.code:
        label, where = spec.split("=", 1)
        code, _, given = where.partition("@")
        versions[label], seeded[label] = code, [int(s) for s in given.split(",")] if given else None
    results = open_results("regression", args)
    if args.speed_repeats:
        speed_rounds(versions, args.data, args.speed_repeats, results)
    everyone = sorted({s for chosen in seeded.values() for s in (chosen or SEEDS)})
    for name, (task, options, key, maximize, unit) in runs(args.data).items():
        for seed in everyone:   # the versions' runs of one seed one after the other
            for label, code in versions.items():
                if seed not in (seeded[label] or SEEDS):
                    continue
                entry = f"{name}/{label}" if seeded[label] is None else f"{name}/{label}/seed{seed}"
                if entry in results:
                    continue
                commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True,
                                        text=True).stdout.strip()
                run, wall = train_with(Path(code).resolve(), task, f"regression_{name}_{label}",
                                       [*options, "--seed", str(seed)])
                records = metrics(run)
                chosen = best(records, key, maximize)
                results.record(entry, {"commit": commit, "wall_s": wall, "best": chosen[key], "metric": key,
                                       "best_at_s": chosen["elapsed"], "speed": speed(records, unit),
                                       "speed_unit": unit, "steps": max(r["step"] for r in records)}, seeds=[seed])
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
