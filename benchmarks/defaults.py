"""Classifying recordings with default options, on problems nobody tuned for (issue 34).

    python benchmarks/defaults.py [PROBLEM ...] [--split validation|test] [--seeds 3] [--max-time 600]
                                  [--label L [--options '...']] [--baselines-only] [--skip-baselines] [--again]
                                  [--fresh] [--exploratory]

Problems (``../shared/data/uea/``): JapaneseVowels, BasicMotions, GunPoint, PLAID (UEA/UCR
``.ts``), Coffee and PigCVP (UCR's text format).  rnnkit runs ``rnnkit train classify --train
FILE`` with ``--seed`` and ``--max-time`` only, once per seed, and ``rnnkit evaluate --json``;
its figures are the mean of the seeds' test accuracies, each seed's in the summary's per_seed.
Baselines in the same script, on the raw values: 1-NN with the Euclidean distance (equal lengths
only) and 1-NN with dependent DTW in a Sakoe-Chiba band of 10% of the problem's longest case
(dtaidistance's C implementation; one warping path for all channels).  Each is computed once
per split and kept in the results file.

``--split test`` trains on ``NAME_TRAIN`` and scores ``NAME_TEST``.  ``--split validation`` is the
development split for choosing defaults: ``NAME_TEST`` is never read; a stratified quarter of
each class of ``NAME_TRAIN`` (at least one case of every class with two or more) is held out
with a fixed seed and scored, the rest is the training file (both written as ``.ts``).
Results: ``benchmarks/results/defaults.json`` (entries ``SPLIT/recordings/PROBLEM/...``).  Needs
the ``bench`` extra (dtaidistance).
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from common import DATA, HERE, defaults_arguments, defaults_runs, evaluate, open_results, train

PROBLEMS = {"JapaneseVowels": ".ts", "BasicMotions": ".ts", "GunPoint": ".ts", "Coffee": ".txt", "PigCVP": ".txt",
            "PLAID": ".ts"}
UEA = DATA / "uea"
SPLITS = HERE / "results" / "defaults_data"
HELD = 0.25         # the validation split's share of each class
WINDOW = 0.1        # the DTW band, as a share of the longest case
METRICS = ("accuracy", "macro_f1")


def read(path: Path):
    from rnnkit.data.recordings import read_recordings

    data = read_recordings(path)
    return [case.numpy() for case in data.cases], data.labels


def held_out(labels: list[str]) -> list[int]:
    """The validation split's cases: a seeded ``HELD`` of each class, at least one where a class
    has two or more, never all of it."""
    from rnnkit.data import stratified_hold_out

    return stratified_hold_out(labels, HELD, seed=0, at_least=1)


def write_ts(path: Path, cases, labels) -> None:
    """``cases`` as a UEA/UCR ``.ts`` file.  The validation split is written in this form whatever
    the original's: a UCR text file of one case a class (PigCVP's training part) has as many
    distinct first fields as lines, and is read as UCR's only with ``--format ucr``."""
    equal = len({len(c) for c in cases}) == 1
    lines = ["@problemName defaults", "@timeStamps false", "@missing true",
             f"@univariate {str(cases[0].shape[1] == 1).lower()}", f"@dimensions {cases[0].shape[1]}",
             f"@equalLength {str(equal).lower()}", f"@classLabel true {' '.join(sorted(set(labels)))}", "@data"]
    lines += [":".join([*(",".join("?" if math.isnan(v) else f"{v:.8g}" for v in case[:, c])
                          for c in range(case.shape[1])), label]) for case, label in zip(cases, labels)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def split_files(problem: str, split: str) -> tuple[Path, Path]:
    form = PROBLEMS[problem]
    train_file, test_file = UEA / f"{problem}_TRAIN{form}", UEA / f"{problem}_TEST{form}"
    if split == "test":
        return train_file, test_file
    cases, labels = read(train_file)
    held = set(held_out(labels))
    parts = {}
    for part, keep in (("train", lambda k: k not in held), ("valid", lambda k: k in held)):
        path = SPLITS / f"{problem}_{part}.ts"
        write_ts(path, [c for k, c in enumerate(cases) if keep(k)], [l for k, l in enumerate(labels) if keep(k)])
        parts[part] = path
    return parts["train"], parts["valid"]


def nearest_neighbour(train, test, distance) -> float:
    """The accuracy of 1-NN on ``test``; ``train`` and ``test`` are (cases, labels)."""
    (train_cases, train_labels), (test_cases, test_labels) = train, test
    right = sum(train_labels[int(np.argmin([distance(case, ref) for ref in train_cases]))] == label
                for case, label in zip(test_cases, test_labels))
    return right / len(test_cases)


def baselines(train, test) -> dict:
    from dtaidistance import dtw_ndim

    cases = train[0] + test[0]
    window = max(1, math.ceil(WINDOW * max(len(c) for c in cases)))
    filled = lambda part: ([np.nan_to_num(c.astype(np.double)) for c in part[0]], part[1])   # noqa: E731
    train, test = filled(train), filled(test)
    out = {"1-NN DTW": nearest_neighbour(train, test, lambda a, b: dtw_ndim.distance_fast(a, b, window=window)),
           "dtw_window": window}
    if len({len(c) for c in cases}) == 1:
        out["1-NN Euclidean"] = nearest_neighbour(train, test, lambda a, b: float(np.sum((a - b) ** 2)))
    return out


def rnnkit_run(problem: str, train_file: Path, test_file: Path, name: str, seed: int, max_time: int,
               options: list[str]) -> dict:
    start = time.monotonic()
    run, _ = train("classify", name, ["--train", str(train_file), "--seed", str(seed), "--max-time", str(max_time),
                                      *options])
    seconds = time.monotonic() - start
    scored = evaluate(run, test_file)
    config = json.loads((run / "config.json").read_text())
    return {**{k: scored[k] for k in METRICS}, "train_seconds": round(seconds, 1), "model": config["model"],
            "data": {k: v for k, v in config["data"].items() if k != "labels"}, "options": " ".join(options)}


def main(argv=None) -> int:
    args = defaults_arguments(__doc__, PROBLEMS, "problem", "classify", argv)
    results = open_results("defaults", args)
    for problem in args.names or PROBLEMS:
        key = f"{args.split}/recordings/{problem}"
        train_file, test_file = split_files(problem, args.split)
        if f"{key}/baselines" not in results and not args.skip_baselines:
            results.record(f"{key}/baselines", baselines(read(train_file), read(test_file)))
            print(key, results[f"{key}/baselines"], file=sys.stderr)
        if args.baselines_only:
            continue
        defaults_runs(results, args, key, problem, lambda seed, folder: rnnkit_run(
            problem, train_file, test_file, folder, seed, args.max_time, args.options.split()), METRICS)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
