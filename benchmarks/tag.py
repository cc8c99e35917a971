"""Part-of-speech tagging on UD English EWT: UPOS accuracy on the test set (gold tokenisation),
overall and on words unseen in training, with no pretrained embeddings.

    python benchmarks/tag.py [--fresh] [--exploratory] [--data DIR]

Trains ``rnnkit train tag`` on en_ewt-ud-train.conllu for at most 30 minutes, selects on dev,
and scores en_ewt-ud-test.conllu with ``rnnkit evaluate``.  Results: benchmarks/results/tag.json (the
results store, with the run's provenance; rendered into BENCHMARKS.md by ``benchmarks/report.py``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import DATA, best, evaluate, metrics, open_results, results_options, speed, train

CONFIG = ["--layers", "2", "--hidden", "200", "--embedding", "100", "--char-embedding", "32", "--char-hidden", "64",
          "--dropout", "0.33", "--word-dropout", "0.1", "--batch-size", "32", "--lr", "2e-3", "--epochs", "40",
          "--max-time", "1800", "--eval-every", "200"]
SEED = 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    results_options(parser)
    args = parser.parse_args(argv)
    results = open_results("tag", args)
    ewt = args.data / "ud_english_ewt"
    if "ewt_upos" not in results:
        run, wall = train("tag", "ewt_upos", ["--train", str(ewt / "en_ewt-ud-train.conllu"),
                                              "--valid", str(ewt / "en_ewt-ud-dev.conllu"), *CONFIG,
                                              "--seed", str(SEED)])
        records = metrics(run)
        test = evaluate(run, ewt / "en_ewt-ud-test.conllu")
        dev = best(records, "valid_accuracy", maximize=True)
        results.record("ewt_upos", {"config": " ".join(CONFIG), "wall_s": wall, "test_accuracy": test["accuracy"],
                                    "test_unseen_accuracy": test["unseen_accuracy"],
                                    "test_unseen_tokens": test["unseen_tokens"],
                                    "test_tokens": test["tokens"], "dev_accuracy": dev["valid_accuracy"],
                                    "selected_at_s": dev["elapsed"], "per_tag": test["per_tag"],
                                    "tokens_per_s": speed(records)}, seeds=[SEED])
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
