"""Sentiment classification on SST-2 (GLUE): dev accuracy with random-initialised embeddings,
``last`` (the final states) against ``attention`` pooling.

    python benchmarks/classify.py [--fresh] [--data DIR]

Each run trains with ``rnnkit train classify`` on GLUE's train.tsv (67,349 phrases and
sentences: the phrase-level labels are the lever) for at most 10 minutes, selects on dev.tsv
(872 sentences) and is scored with ``rnnkit evaluate``.  Results: benchmarks/results/classify.json.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import DATA, HERE, Results, best, evaluate, metrics, speed, train

CONFIG = ["--cell", "lstm", "--layers", "1", "--hidden", "256", "--embedding", "300", "--dropout", "0.5",
          "--batch-size", "64", "--lr", "2e-3", "--weight-decay", "0.01", "--epochs", "8", "--max-time", "600",
          "--eval-every", "250", "--patience", "12"]
RUNS = {"sst2_attention": ["--pooling", "attention"], "sst2_last": ["--pooling", "last"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--fresh", action="store_true", help="forget recorded results")
    args = parser.parse_args(argv)
    results = Results(HERE / "results" / "classify.json", args.fresh)
    glue = args.data / "sst2" / "glue"
    for name, extra in RUNS.items():
        if name in results:
            continue
        config = [*CONFIG, *extra]
        run, wall = train("classify", name, ["--train", str(glue / "train.tsv"), "--valid", str(glue / "dev.tsv"),
                                             *config])
        records = metrics(run)
        dev = evaluate(run, glue / "dev.tsv")
        chosen = best(records, "valid_accuracy", maximize=True)
        results[name] = {"config": " ".join(config), "wall_s": wall, "dev_accuracy": dev["accuracy"],
                         "dev_macro_f1": dev["macro_f1"], "selected_at_step": chosen["step"],
                         "selected_at_s": chosen["elapsed"], "examples_per_s": speed(records, "examples_per_s")}
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
