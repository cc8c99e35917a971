"""Classifying recordings (UEA/UCR .ts) against 1-nearest-neighbour baselines on the same splits.

    python benchmarks/recordings.py [PROBLEM ...] [--seeds N] [--fresh] [--exploratory]

Problems (default: all; each result is recorded as it comes, so a rerun resumes): JapaneseVowels,
BasicMotions, GunPoint, trained on NAME_TRAIN.ts (20% held out for validation) and scored on
NAME_TEST.ts.  rnnkit runs ``rnnkit train classify`` with one configuration for every problem
(CONFIG) for each of ``--seeds`` seeds (0, 1, ...); its figures are the mean and sample standard
deviation of the test accuracy over the seeds, each seed's in the summary's ``per_seed``, with
the mean training time of the runs.  Baselines: 1-NN with the Euclidean distance (equal lengths
only) and with dynamic time warping (dependent: one warping path for all channels, squared
differences summed over the channels), on the raw values.
Results: benchmarks/results/recordings.json; ``make bench-report`` renders the table of
BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys

import numpy as np

from common import DATA, Results, evaluate, open_results, results_options, train

PROBLEMS = ("JapaneseVowels", "BasicMotions", "GunPoint")
CONFIG = ["--cell", "gru", "--pooling", "mean", "--hidden", "64", "--batch-size", "16", "--lr", "0.005",
          "--dropout", "0.2", "--valid-fraction", "0.2", "--epochs", "300", "--deltas"]


def dtw(query: np.ndarray, references: list[np.ndarray]) -> np.ndarray:
    """The DTW distance of ``query [n, C]`` to each reference ``[m_k, C]``: cost the squared
    Euclidean distance between steps, steps (1, 0), (0, 1), (1, 1); all references at once."""
    m = max(len(r) for r in references)
    padded = np.full((len(references), m, query.shape[1]), np.nan)
    for k, r in enumerate(references):
        padded[k, : len(r)] = r
    cost = np.nansum((query[None, :, None, :] - padded[:, None, :, :]) ** 2, axis=-1)   # [K, n, m]
    D = np.full((len(references), len(query) + 1, m + 1), np.inf)
    D[:, 0, 0] = 0.0
    for i in range(1, len(query) + 1):
        for j in range(1, m + 1):
            D[:, i, j] = cost[:, i - 1, j - 1] + np.minimum(np.minimum(D[:, i - 1, j], D[:, i, j - 1]),
                                                            D[:, i - 1, j - 1])
    return np.array([D[k, len(query), len(r)] for k, r in enumerate(references)])


def nearest_neighbour(train, test, distance) -> float:
    """The test accuracy of 1-NN: ``train`` and ``test`` are (cases, labels)."""
    (train_cases, train_labels), (test_cases, test_labels) = train, test
    right = 0
    for case, label in zip(test_cases, test_labels):
        right += train_labels[int(np.argmin(distance(case, train_cases)))] == label
    return right / len(test_cases)


def euclidean(query, references):
    return np.array([np.sum((query - r) ** 2) for r in references])


def problem(results: Results, name: str, seeds: int) -> None:
    from rnnkit.data.recordings import read_recordings

    train_file, test_file = DATA / "uea" / f"{name}_TRAIN.ts", DATA / "uea" / f"{name}_TEST.ts"
    if f"{name}/baselines" not in results:
        train_data, test_data = read_recordings(train_file), read_recordings(test_file)
        as_np = lambda d: ([np.nan_to_num(c.numpy()) for c in d.cases], d.labels)  # noqa: E731
        tr, te = as_np(train_data), as_np(test_data)
        equal = len({len(c) for c in tr[0] + te[0]}) == 1
        results[f"{name}/baselines"] = {
            "1-NN Euclidean": nearest_neighbour(tr, te, euclidean) if equal else None,
            "1-NN DTW (dependent)": nearest_neighbour(tr, te, dtw)}
    for seed in range(seeds):
        key = f"{name}/rnnkit/seed{seed}"
        if key in results:
            continue
        run, seconds = train("classify", f"recordings_{name}_seed{seed}",
                             ["--train", str(train_file), *CONFIG, "--seed", str(seed)])
        results.record(key, {"accuracy": evaluate(run, test_file)["accuracy"], "train_seconds": round(seconds, 1)},
                       seeds=[seed])
    runs = {s: results[f"{name}/rnnkit/seed{s}"] for s in range(seeds)}
    recorded = results.entries.get(f"{name}/rnnkit")
    if recorded is None or recorded.provenance.get("per_seed") != {str(s): r for s, r in runs.items()}:
        spread = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0  # noqa: E731
        results.record(f"{name}/rnnkit", {k: (statistics.mean(r[k] for r in runs.values()),
                                              spread([r[k] for r in runs.values()])) for k in runs[0]},
                       seeds=list(runs), per_seed=runs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problems", nargs="*", metavar="PROBLEM", help=f"of {', '.join(PROBLEMS)}")
    parser.add_argument("--seeds", type=int, default=5, help="rnnkit runs per problem (default 5)")
    results_options(parser)
    args = parser.parse_args(argv)
    if set(args.problems) - set(PROBLEMS):
        parser.error(f"unknown problem(s) {sorted(set(args.problems) - set(PROBLEMS))}; choose from {PROBLEMS}")
    results = open_results("recordings", args)
    for name in args.problems or PROBLEMS:
        problem(results, name, args.seeds)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
